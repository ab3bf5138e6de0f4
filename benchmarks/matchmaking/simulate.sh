#!/bin/sh
# The issue-7 target: with 20 models, votes the active strategy needs against uniform sampling
# for the same ranking accuracy (median over seeds), and the coverage of the 95% intervals.
# Usage: benchmarks/matchmaking/simulate.sh [SEEDS] [JOBS] [ARGS...]   (defaults: 30 seeds,
# 2 processes; ARGS go to `arena simulate` after the others and override them, e.g. --json F)
# About 20 minutes with 2 processes on a 2-core machine. Writes results/simulate-20.json.
set -eu
cd "$(dirname "$0")/../.."
SEEDS=${1:-30}
JOBS=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
export OPENBLAS_NUM_THREADS=1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
" $(free -g | awk '/Mem:/ {print $2}') GB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
time arena simulate --strategy uniform --strategy active --reweight \
    --models 20 --seeds "$SEEDS" --votes 24000 --every 250 --refresh 50 --rounds 1000 \
    --jobs "$JOBS" --json benchmarks/matchmaking/results/simulate-20.json "$@"
