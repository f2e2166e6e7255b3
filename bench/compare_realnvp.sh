#!/usr/bin/env bash
# Side-by-side timing of one RealNVP-8 training step (8 affine couplings,
# conv 1 → 16 → 16 → 2, 3×3 circular, tanh, plain gradient, float32):
# normflow-go (`normflow bench`) against the PyTorch reference
# bench/realnvp.py (with its faster `--padding cat`), at the three sizes of
# the README's benchmark table, 1 and 2 threads each, in one run.
#
#   bench/compare_realnvp.sh [--gradient path]
#
# Needs Debian's python3-torch. Prints ms per step and the ratio of PyTorch's
# best (the faster thread count) to normflow-go's best.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
grad=plain
if [ "${1:-}" = "--gradient" ]; then grad=$2; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/normflow" ./cmd/normflow
printf '| L, B | normflow-go 1 thr | 2 thr | PyTorch 1 thr | 2 thr | PyTorch best / Go best |\n|---|---|---|---|---|---|\n'
for sz in "8 128" "8 1024" "16 256"; do
  read -r L B <<< "$sz"
  epochs=20
  [ "$B" -ge 1024 ] && epochs=8
  out=$("$tmp/normflow" bench --config "bench/realnvp8_L$L.toml" --batch "$B" --gradient "$grad" --epochs "$epochs" --repeat 3 --threads 1,2)
  g1=$(printf '%s\n' "$out" | sed -n 's/^threads 1: \([0-9.]*\) ms.*/\1/p')
  g2=$(printf '%s\n' "$out" | sed -n 's/^threads 2: \([0-9.]*\) ms.*/\1/p')
  t=()
  for thr in 1 2; do
    t+=("$("$py" bench/realnvp.py --bench --L "$L" --batch "$B" --threads "$thr" --padding cat --gradient "$grad" |
      "$py" -c 'import json,sys; print(json.loads(sys.stdin.read())["ms_per_step"])')")
  done
  awk -v L="$L" -v B="$B" -v g1="$g1" -v g2="$g2" -v t1="${t[0]}" -v t2="${t[1]}" 'BEGIN {
    gb = (g1 < g2) ? g1 : g2; tb = (t1 < t2) ? t1 : t2
    printf "| %d, %d | %.1f | %.1f | %.1f | %.1f | %.1fx |\n", L, B, g1, g2, t1, t2, tb/gb }'
done
