#!/bin/sh
# Issue 15's top-of-the-board target: votes until the true top 3 stay in order, against uniform
# sampling, for the active strategy and the active strategy focused on the top 3 (and the same
# figures for online Elo), 20 models, median over seeds.
# Usage: benchmarks/matchmaking/top.sh [SEEDS] [JOBS] [ARGS...]   (defaults: 30 seeds,
# 2 processes; ARGS go to `arena simulate` after the others and override them, e.g. --json F)
# Writes results/top.json.
set -eu
cd "$(dirname "$0")/../.."
SEEDS=${1:-30}
JOBS=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
export OPENBLAS_NUM_THREADS=1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
" $(free -g | awk '/Mem:/ {print $2}') GB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
time arena simulate --scenario top --strategy uniform --strategy active --focus-top 3 \
    --models 20 --seeds "$SEEDS" --votes 24000 --every 250 --refresh 50 --rounds 100 \
    --jobs "$JOBS" --json benchmarks/matchmaking/results/top.json "$@"
