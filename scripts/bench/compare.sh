#!/usr/bin/env bash
# Side-by-side training and inference throughput of one model, the seed model (the Keras ELU example) by default:
# elucid's bench program against the same model in the PyTorch C++ frontend (libtorch_MODEL.cpp, beside this
# script), rounds in turns.
# Usage: scripts/bench/compare.sh [BENCH] [BATCH] [SAMPLES] [ROUNDS] [MODEL]
#   (defaults: build/elucid-bench 32 20000 3 seed); MODEL is seed or resblock (libtorch_resblock.cpp, a residual net).
#   BENCH is elucid-bench (cmake --build build --target app_elucid-bench); a relative path is taken from the
#   current folder, and the default from the repository's root.
# Needs: the Debian packages libtorch-dev (libtorch 1.13.1 in Debian 12) and dataset-fashion-mnist, installed here
# with apt-get when missing (root and a network the first time); g++; python3. Its files (the unpacked IDX files, the
# compiled libtorch program) go into ${TMPDIR:-/tmp}/elucid-compare.
# The bench program must accept --batch B --samples N and print, as its LAST line, one JSON object with at least
# "train_samples_per_s" and "infer_samples_per_s" (elucid-bench does); for a MODEL other than seed it must accept
# --model MODEL as well.
# Each round runs libtorch at 1 and at 2 threads and elucid at its default (every core); the training ratio is
# elucid over libtorch's better thread count, the inference ratio elucid over libtorch's 2-thread run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-$root/build/elucid-bench}
batch=${2:-32}; samples=${3:-20000}; rounds=${4:-3}; model=${5:-seed}
[ -f "$here/libtorch_$model.cpp" ] || { echo "compare.sh: no libtorch_$model.cpp beside it for $model" >&2; exit 2; }
model_flag=(); [ "$model" = seed ] || model_flag=(--model "$model")  # any bench program measures the seed model
case "$bench" in /*) ;; *) bench=$PWD/$bench ;; esac
[ -x "$bench" ] || { echo "compare.sh: $bench is not an executable; build it with" \
  "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target app_elucid-bench" >&2; exit 2; }
work=${TMPDIR:-/tmp}/elucid-compare; mkdir -p "$work"
source "$here/common.sh"
need_packages libtorch-dev dataset-fashion-mnist
unpack_fashion_mnist "$work"
reference=$work/libtorch_$model
if [ ! -x "$reference" ] || [ "$here/libtorch_$model.cpp" -nt "$reference" ] || [ "$here/idx_tensor.hpp" -nt "$reference" ]; then
  echo "compare.sh: compiling libtorch_$model.cpp (about a minute)" >&2
  g++ -O2 -std=c++17 "$here/libtorch_$model.cpp" -o "$reference" -I/usr/include/torch/csrc/api/include \
    -ltorch -ltorch_cpu -lc10
fi
echo "$model, batch $batch, $samples samples"
echo "round libtorch1_train libtorch2_train elucid_train ratio_train | libtorch_infer elucid_infer ratio_infer"
ratios=(); iratios=()
for r in $(seq "$rounds"); do
  t1=$("$reference" "$work" "$samples" "$batch" 1)
  t2=$("$reference" "$work" "$samples" "$batch" 2)
  e=$("$bench" "${model_flag[@]}" --batch "$batch" --samples "$samples" | tail -1)
  lt1=$(echo "$t1" | field samples_per_s); lt2=$(echo "$t2" | field samples_per_s)
  li=$(printf '%s\n%s\n' "$t1" "$t2" | field infer_samples_per_s)
  et=$(echo "$e" | field train_samples_per_s); ei=$(echo "$e" | field infer_samples_per_s)
  best=$(python3 -c "print(max($lt1,$lt2))")
  rt=$(python3 -c "print(round($et/$best,2))"); ri=$(python3 -c "print(round($ei/$li,2))")
  ratios+=("$rt"); iratios+=("$ri")
  echo "$r $lt1 $lt2 $et $rt | $li $ei $ri"
done
echo "median train ratio (elucid / best libtorch): $(printf '%s\n' "${ratios[@]}" | med)" \
  " median inference ratio: $(printf '%s\n' "${iratios[@]}" | med)"
