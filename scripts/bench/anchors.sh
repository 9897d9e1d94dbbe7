#!/usr/bin/env bash
# Side-by-side throughput of the seed model (the Keras ELU example) against the libraries under the frameworks, rounds
# in turns, at 1 and at 2 threads: elucid's bench program trains it in float32 and under the mixed_bfloat16 policy
# against the whole training step written with oneDNN primitives (onednn_seed.cpp, float32 and --bf16, beside this
# script), and predicts against ONNX Runtime running the graph `elucid export` writes (ort_seed.mjs, beside it).
# Usage: scripts/bench/anchors.sh [BENCH] [ROUNDS] [SAMPLES]   (defaults: build/elucid-bench 3 20000)
#   BENCH is elucid-bench (cmake --build build --target app_elucid-bench); a relative path is taken from the current
#   folder, and the default from the repository's root.
# Environment: BUILD_DIR (the repository's build by default; a relative path is taken from the current folder): the
#   built tree whose elucid-mnist trains a seed model briefly (--quick; the weights do not matter to the speed) and
#   whose elucid exports it to ONNX; ORT_VERSION (1.30.0).
# Needs: the Debian packages libdnnl-dev (oneDNN 2.6.3 in Debian 12) and dataset-fashion-mnist, installed here with
# apt-get when missing (root and a network the first time); g++; python3; node and npm, and npm's registry the first
# time: onnxruntime-node (ONNX Runtime's CPU execution provider, its binaries inside the package) is installed into the
# work folder, as scripts/check-onnx.sh does. Its files (the unpacked IDX files, the compiled oneDNN program, the npm
# package, the exported model) go into ${TMPDIR:-/tmp}/elucid-references; nothing goes into the repository.
# Each round runs, at 1 thread and then at 2: elucid-bench --fixed-threads in float32 (its training and inference
# figures) and in mixed_bfloat16 (its training figure), onednn_seed in float32 and in bfloat16, ort_seed at batch 256;
# all train one pass over (or predict) the first SAMPLES training images, training at batch 32. The ratios are elucid
# over the reference at the same thread count; the end prints their medians over the rounds. Three rounds of 20,000
# samples take about two minutes on a 2-core machine; nothing else should run meanwhile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-$root/build/elucid-bench}
rounds=${2:-3}; samples=${3:-20000}
ort_version=${ORT_VERSION:-1.30.0}
case "$bench" in /*) ;; *) bench=$PWD/$bench ;; esac
build=${BUILD_DIR:-$root/build}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
[ -x "$bench" ] || { echo "anchors.sh: $bench is not an executable; build it with" \
  "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target app_elucid-bench" >&2; exit 2; }
[ -x "$build/elucid" ] && [ -x "$build/elucid-mnist" ] ||
  { echo "anchors.sh: $build has no elucid and elucid-mnist (build them, or set BUILD_DIR)" >&2; exit 2; }
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "anchors.sh: node and npm are needed (apt-get install nodejs npm)" >&2; exit 2; }
work=${TMPDIR:-/tmp}/elucid-references; mkdir -p "$work"
source "$here/common.sh"
need_packages libdnnl-dev dataset-fashion-mnist
unpack_fashion_mnist "$work"
installed=$(node -p "try { require('$work/node_modules/onnxruntime-node/package.json').version } catch { '' }")
if [ "$installed" != "$ort_version" ]; then
  echo "anchors.sh: npm install onnxruntime-node@$ort_version into $work" >&2
  [ -f "$work/package.json" ] || echo '{"name": "elucid-anchors", "private": true}' > "$work/package.json"
  # --ignore-scripts: the install script only fetches GPU providers; the CPU binaries are in the package
  (cd "$work" && npm install --no-audit --no-fund --ignore-scripts "onnxruntime-node@$ort_version" >/dev/null)
fi
cp "$here/ort_seed.mjs" "$work/ort_seed.mjs"  # next to its node_modules, where Node resolves the import
onednn=$work/onednn_seed
if [ ! -x "$onednn" ] || [ "$here/onednn_seed.cpp" -nt "$onednn" ]; then
  echo "anchors.sh: compiling onednn_seed.cpp" >&2
  g++ -O2 -std=c++17 "$here/onednn_seed.cpp" -o "$onednn" -ldnnl -fopenmp
fi
# the seed model to export: elucid-mnist --quick trains one in seconds (3,000 images, 2 epochs)
"$build/elucid-mnist" --quick --threads 1 --data "$work" --out "$work/seed" >/dev/null
"$build/elucid" export "$work/seed/model.elucid" "$work/seed.onnx" >/dev/null
ratio() { python3 -c "print(round($1/$2,2))"; }
echo "seed model, batch 32, $samples samples; samples/s, and elucid / reference"
echo "round threads | elucid_f32 onednn_f32 ratio | elucid_bf16 onednn_bf16 ratio | elucid_infer ort_infer ratio"
results=$(mktemp); trap 'rm -f "$results"' EXIT
for r in $(seq "$rounds"); do
  for t in 1 2; do
    e=$("$bench" --batch 32 --samples "$samples" --threads "$t" --fixed-threads | tail -1)
    eb=$("$bench" --batch 32 --samples "$samples" --threads "$t" --fixed-threads --dtype-policy mixed_bfloat16 |
      tail -1)
    o=$("$onednn" "$work" "$samples" 32 "$t")
    ob=$("$onednn" "$work" "$samples" 32 "$t" --bf16)
    x=$(cd "$work" && node ort_seed.mjs seed.onnx "$work" "$samples" "$t")
    et=$(echo "$e" | field train_samples_per_s); ei=$(echo "$e" | field infer_samples_per_s)
    ebt=$(echo "$eb" | field train_samples_per_s)
    ot=$(echo "$o" | field samples_per_s); obt=$(echo "$ob" | field samples_per_s)
    xi=$(echo "$x" | field infer_samples_per_s)
    rt=$(ratio "$et" "$ot"); rb=$(ratio "$ebt" "$obt"); ri=$(ratio "$ei" "$xi")
    echo "$t $rt $rb $ri" >> "$results"
    echo "$r $t | $et $ot $rt | $ebt $obt $rb | $ei $xi $ri"
  done
done
for t in 1 2; do
  ft=$(awk -v t="$t" '$1 == t {print $2}' "$results" | med)
  fb=$(awk -v t="$t" '$1 == t {print $3}' "$results" | med)
  fi_=$(awk -v t="$t" '$1 == t {print $4}' "$results" | med)
  echo "median ratios at $t thread(s): train float32 elucid / oneDNN $ft, train elucid mixed_bfloat16 / oneDNN bf16" \
    "$fb, inference elucid / ONNX Runtime $fi_"
done
