#!/bin/sh
# Issue 15's cold-start target: 20 established models with 20 000 votes, then one newcomer of
# known strength; votes until its 95% interval is at most 60 Elo wide, placement against
# LMArena-style weighted sampling (and against online Elo), median over seeds.
# Usage: benchmarks/matchmaking/new_model.sh [SEEDS] [JOBS] [ARGS...]   (defaults: 30 seeds,
# 2 processes; ARGS go to `arena simulate` after the others and override them, e.g. --json F)
# About 10 minutes with 2 processes on a 2-core machine. Writes results/new-model.json.
set -eu
cd "$(dirname "$0")/../.."
SEEDS=${1:-30}
JOBS=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
export OPENBLAS_NUM_THREADS=1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
" $(free -g | awk '/Mem:/ {print $2}') GB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
time arena simulate --scenario new-model --strategy weighted --strategy active \
    --models 20 --established 20000 --newcomer 1150 --width 60 --seeds "$SEEDS" \
    --votes 8000 --every 25 --refresh 50 --jobs "$JOBS" \
    --json benchmarks/matchmaking/results/new-model.json "$@"
