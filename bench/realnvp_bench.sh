#!/usr/bin/env bash
# Time one RealNVP-8 training step (8 affine couplings, conv 1->16->16->2, 3x3
# circular, tanh, AdamW) in the PyTorch reference bench/realnvp.py at the three
# sizes of the README benchmark table, at 1 and 2 threads, and print a table (ms per
# step, median of 20 steps after 3 warm-up steps).
#
#   bench/realnvp_bench.sh [extra realnvp.py options]
#   bench/realnvp_bench.sh                      # float32, plain gradient (default)
#   bench/realnvp_bench.sh --gradient path      # path gradient
#   bench/realnvp_bench.sh --dtype float64
#
# Needs Debian's python3-torch (/usr/bin/python3). Each run's JSON line also
# goes to stderr as it comes.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
extra=("$@")
declare -A ms
for sz in "8 128" "8 1024" "16 256"; do
  read -r L B <<< "$sz"
  for thr in 1 2; do
    line=$("$py" bench/realnvp.py --bench --L "$L" --batch "$B" --threads "$thr" "${extra[@]}")
    echo "$line" >&2
    ms[$L,$B,$thr]=$(printf '%s' "$line" |
      "$py" -c 'import json,sys; print(json.loads(sys.stdin.read())["ms_per_step"])')
  done
done
echo "RealNVP-8 training step, PyTorch $("$py" -c 'import torch; print(torch.__version__)'), ms (median)${extra[*]:+, options: ${extra[*]}}"
printf '| %-8s | %10s | %10s |\n' "L, B" "1 thread" "2 threads"
printf '|----------|------------|------------|\n'
for sz in "8 128" "8 1024" "16 256"; do
  read -r L B <<< "$sz"
  printf '| %-8s | %10s | %10s |\n' "$L, $B" "${ms[$L,$B,1]}" "${ms[$L,$B,2]}"
done
