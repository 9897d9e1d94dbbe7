#!/usr/bin/env bash
# Does ONNX Runtime compute elucid's outputs from the graph `elucid export MODEL OUT.onnx` writes? onnxruntime-node
# (ONNX Runtime's CPU execution provider; its binaries come inside the npm package) loads the .onnx file, runs the
# inputs tests/tfjs/dump_model.cpp wrote (Fashion-MNIST test images and examples/images/*.png, as check-tfjs.sh
# feeds TensorFlow.js) as one batch and as a batch of one, and must agree with elucid's predictions to TOLERANCE
# (tests/onnx/check.mjs), with the input and output named as saving/onnx.hpp says; then the graph of each prefix of
# the model's layers (tests/onnx/export_prefixes.cpp) against elucid's output of that layer, to name the first layer
# where the two part.
# A development check (docs/keras-compatibility.md), not part of .ci/run: it needs Node (20 tested), npm and its
# registry, g++, and Fashion-MNIST (the Debian package dataset-fashion-mnist, or $ELUCID_DATA).
# Nothing from npm goes into the repository: the package is installed in WORK (kept, so a second run is offline).
#
# Usage: scripts/check-onnx.sh [MODEL]   (default: four models, about a minute: the seed model trained by
#        examples/recipes/fashion_mnist_seed_quick.json, tests/tfjs/every_layer.json (every layer class elucid reads,
#        options off their defaults), tests/onnx/layouts.json (the layout switches of the graph) and
#        tests/onnx/no_tfjs.json (the options TensorFlow.js cannot check: grouped Conv2D, bilinear UpSampling2D),
#        each trained briefly; and two Functional models, made and trained two epochs by dump_model:
#        tests/tfjs/every_merge.json (a residual block and the merge layers) and tests/onnx/merge_layouts.json (every
#        merge layer, Subtract too, on inputs in both layouts, Concatenate along the channels and along the rows) and
#        tests/tfjs/two_outputs.json (two outputs: class logits and a channels-last feature map))
# Environment: BUILD_DIR (build: a built tree with elucid and libelucid.so), WORK (${TMPDIR:-/tmp}/elucid-onnx),
#   ORT_VERSION (1.30.0), TOLERANCE (1e-5, max abs difference of the outputs), SAMPLES (32 test images).
# Exit status 0 when everything agrees, 1 on a mismatch or any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(realpath "${BUILD_DIR:-build}")
work=${WORK:-${TMPDIR:-/tmp}/elucid-onnx}
ort_version=${ORT_VERSION:-1.30.0}
tolerance=${TOLERANCE:-1e-5}
samples=${SAMPLES:-32}
step() { echo "== check-onnx: $* =="; }
fail() { echo "check-onnx: $*" >&2; exit 1; }

[ -x "$build/elucid" ] && [ -e "$build/libelucid.so" ] && [ -d "$build/include/elucid" ] ||
  fail "$build has no built elucid, libelucid.so and include/elucid (build it, or set BUILD_DIR)"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (apt-get install nodejs npm)"
mkdir -p "$work"

step "onnxruntime-node $ort_version from npm into $work"
installed=$(node -p "try { require('$work/node_modules/onnxruntime-node/package.json').version } catch { '' }")
if [ "$installed" != "$ort_version" ]; then
  [ -f "$work/package.json" ] || echo '{"name": "elucid-onnx-check", "private": true}' > "$work/package.json"
  # --ignore-scripts: the install script only fetches GPU providers; the CPU binaries are in the package
  (cd "$work" && npm install --no-audit --no-fund --ignore-scripts "onnxruntime-node@$ort_version") ||
    fail "npm install onnxruntime-node@$ort_version failed"
fi
cp tests/onnx/check.mjs "$work/check.mjs"  # next to its node_modules, where Node resolves the import

step "dump_model (tests/tfjs/dump_model.cpp) against $build"
dump=$work/dump_model
if [ ! -x "$dump" ] || [ tests/tfjs/dump_model.cpp -nt "$dump" ] || [ "$build/libelucid.so" -nt "$dump" ]; then
  ${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -Werror -I"$build/include" tests/tfjs/dump_model.cpp -o "$dump" \
    -L"$build" -lelucid -Wl,-rpath,"$build" || fail "dump_model does not compile"
fi

step "export_prefixes (tests/onnx/export_prefixes.cpp) against $build"
prefixes=$work/export_prefixes
if [ ! -x "$prefixes" ] || [ tests/onnx/export_prefixes.cpp -nt "$prefixes" ] ||
  [ "$build/libelucid.so" -nt "$prefixes" ]; then
  ${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -Werror -I"$build/include" tests/onnx/export_prefixes.cpp -o "$prefixes" \
    -L"$build" -lelucid -Wl,-rpath,"$build" || fail "export_prefixes does not compile"
fi

images=("$root"/examples/images/*.png)

# check NAME MODEL: export to ONNX and Keras JSON (for the names), dump elucid's outputs, compare in ONNX Runtime.
check() {
  local name=$1 model=$2 dir=$work/$1
  mkdir -p "$dir"
  step "$name: elucid export to ONNX, dump_model on $model"
  "$build/elucid" export "$model" "$dir/model.onnx"
  "$build/elucid" export "$model" --keras-json "$dir/model.json"
  "$dump" "$model" "$samples" "$dir/dump.json" "${images[@]}" || fail "dump_model failed"
  rm -rf "$dir/prefixes" && mkdir -p "$dir/prefixes"
  "$prefixes" "$model" "$dir/prefixes" || fail "export_prefixes failed"

  step "$name: ONNX Runtime runs the graph and compares (tolerance $tolerance)"
  (cd "$work" && node check.mjs "$name/model.onnx" "$name/dump.json" "$tolerance" "$name/model.json" \
    "$name/prefixes") ||
    fail "$name: ONNX Runtime and elucid disagree, or check.mjs failed (above)"
}

# check_graph NAME JSON: a Functional model's Keras JSON: dump_model (tests/tfjs/dump_model.cpp) makes it, trains it
# two epochs on the test images and saves it as WORK/NAME/trained.elucid, which then goes through check.
check_graph() {
  local name=$1 model=$2 dir=$work/$1
  mkdir -p "$dir"
  step "$name: dump_model makes $model and trains it"
  "$dump" "$model" "$samples" "$dir/trained.json" || fail "dump_model failed"
  check "$name" "$dir/trained.elucid"
}

# train RECIPE NAME: trains RECIPE into WORK/NAME/train and prints the model file's path.
train() {
  local out=$work/$2/train
  rm -rf "$out" && mkdir -p "$out"
  step "$2: elucid train $1" >&2
  "$build/elucid" train "$1" --output-dir "$out" >&2 || fail "elucid train $1 failed"
  echo "$out/$(basename "$1" .json).elucid"  # the recipes name their model file after themselves
}

if [ $# -ge 1 ]; then
  check model "$(realpath "$1")"
else
  seed=$(train examples/recipes/fashion_mnist_seed_quick.json seed) || exit 1
  check seed "$seed"
  every_layer=$(train tests/tfjs/every_layer.json every_layer) || exit 1
  check every_layer "$every_layer"
  layouts=$(train tests/onnx/layouts.json layouts) || exit 1
  check layouts "$layouts"
  no_tfjs=$(train tests/onnx/no_tfjs.json no_tfjs) || exit 1
  check no_tfjs "$no_tfjs"
  check_graph every_merge tests/tfjs/every_merge.json
  check_graph merge_layouts tests/onnx/merge_layouts.json
  check_graph two_outputs tests/tfjs/two_outputs.json
fi

step "all passed"
