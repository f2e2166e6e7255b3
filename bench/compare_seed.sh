#!/usr/bin/env bash
# Side-by-side timing of the seed example (1000 epochs, batch 1024, path
# gradient): normflow-go against the PyTorch reference bench/seed_1site.py,
# interleaved in one run so that machine load affects both alike.
#
#   bench/compare_seed.sh [REPEATS]       (default 5)
#
# Needs Debian's python3-torch (apt-get install python3-torch). Prints each
# run's training seconds, then medians and the ratio PyTorch / Go for
# PyTorch's best setting (float32, 1 or 2 threads, whichever is faster) and
# Go at 1 and 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/normflow" ./cmd/normflow
declare -A times
for r in $(seq 1 "$reps"); do
  for thr in 1 2; do
    "$tmp/normflow" train --threads "$thr" --seed "$r" --out "$tmp/go-$thr-$r" > /dev/null
    t=$(sed -n 's/.*"train_seconds": \([0-9.e+-]*\).*/\1/p' "$tmp/go-$thr-$r/summary.json")
    times[go$thr]+="$t "
    t=$("$py" bench/seed_1site.py --threads "$thr" --seed "$r" --nsamples 1000 | tail -1 |
        "$py" -c 'import json,sys; print(json.loads(sys.stdin.read())["train_seconds"])')
    times[torch$thr]+="$t "
  done
  last() { set -- $1; eval echo "\${$#}"; }
  echo "repeat $r: go1 $(last "${times[go1]}") go2 $(last "${times[go2]}") torch1 $(last "${times[torch1]}") torch2 $(last "${times[torch2]}")" >&2
done
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
g1=$(median "${times[go1]}"); g2=$(median "${times[go2]}")
t1=$(median "${times[torch1]}"); t2=$(median "${times[torch2]}")
best=$(printf '%s\n%s\n' "$t1" "$t2" | sort -g | head -1)
echo "training seconds, median of $reps (1000 epochs, batch 1024, path gradient):"
for k in go1 go2 torch1 torch2; do echo "  $k: ${times[$k]}"; done
awk -v g1="$g1" -v g2="$g2" -v t1="$t1" -v t2="$t2" -v b="$best" 'BEGIN {
  printf "  normflow-go 1 thread  %.3f s\n  normflow-go 2 threads %.3f s\n", g1, g2
  printf "  PyTorch f32 1 thread  %.3f s\n  PyTorch f32 2 threads %.3f s\n", t1, t2
  printf "ratio PyTorch(best %.3f s) / normflow-go: %.1fx (1 thread), %.1fx (2 threads)\n", b, b/g1, b/g2
}'
