#!/usr/bin/env bash
# elucid on a busy machine: the bench at 2 threads next to another process that keeps one core busy, against the
# bench at 1 thread on the machine as it is. Rounds in turns; prints each round and the median ratios
# (busy 2 threads / quiet 1 thread) for training and inference, with the team following the free cores (the
# default) and with a fixed team of 2 (--fixed-threads: what elucid did before it followed them).
# Usage: scripts/bench/under_load.sh [BENCH] [SAMPLES] [ROUNDS]   (defaults: build/elucid-bench 20000 3)
#   BENCH is elucid-bench (cmake --build build --target app_elucid-bench); a relative path is taken from the current
#   folder, and the default from the repository's root. Fashion-MNIST from the Debian package dataset-fashion-mnist
#   when it is installed, synthetic images of the same shape otherwise (the speed is the same).
# The busy process is a shell loop (one core, no memory traffic); nothing else should run meanwhile, or the "quiet"
# figures are not. A round takes about 40 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-$root/build/elucid-bench}
samples=${2:-20000}; rounds=${3:-3}
case "$bench" in /*) ;; *) bench=$PWD/$bench ;; esac
[ -x "$bench" ] || { echo "under_load.sh: $bench is not an executable; build it with" \
  "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target app_elucid-bench" >&2; exit 2; }
busy=""
stop_busy() { [ -z "$busy" ] || { kill "$busy" 2>/dev/null || true; wait "$busy" 2>/dev/null || true; busy=""; }; }
trap stop_busy EXIT
# run ARGS...: the bench's JSON line reduced to "train infer"
run() { "$bench" --samples "$samples" "$@" | tail -n 1 | python3 -c 'import json,sys
d = json.load(sys.stdin); print(d["train_samples_per_s"], d["infer_samples_per_s"])'; }
results=$(mktemp); trap 'stop_busy; rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
  read -r q_train q_infer < <(run --threads 1)
  sh -c 'while :; do :; done' & busy=$!
  read -r f_train f_infer < <(run --threads 2)
  read -r x_train x_infer < <(run --threads 2 --fixed-threads)
  stop_busy
  echo "$q_train $q_infer $f_train $f_infer $x_train $x_infer" >> "$results"
  printf 'round %d: quiet 1 thread %.0f / %.0f; busy, 2 threads following the free cores %.0f / %.0f, fixed %.0f / %.0f (train / infer samples/s)\n' \
    "$round" "$q_train" "$q_infer" "$f_train" "$f_infer" "$x_train" "$x_infer"
done
python3 - "$results" <<'EOF'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
def median_ratio(a, b): return statistics.median(r[a] / r[b] for r in rows)
print(f"busy 2 threads / quiet 1 thread, median of {len(rows)} rounds: "
      f"training {median_ratio(2, 0):.2f}, inference {median_ratio(3, 1):.2f} (following the free cores); "
      f"training {median_ratio(4, 0):.2f}, inference {median_ratio(5, 1):.2f} (fixed team of 2)")
EOF
