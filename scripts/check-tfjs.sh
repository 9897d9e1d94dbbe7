#!/usr/bin/env bash
# Does a real Keras implementation read elucid's exported model and compute the same outputs? TensorFlow.js (its
# pure-JavaScript CPU backend, from npm) loads `elucid export`'s Keras JSON unchanged with tf.models.modelFromJSON,
# takes the model file's weights by name (tests/tfjs/dump_model.cpp, through elucid's public API), predicts
# Fashion-MNIST test images and examples/images/*.png, and must agree with elucid to TOLERANCE at every layer's output
# and with `elucid predict`'s printed percentages; then elucid reads TensorFlow.js's own model.toJSON() back and must
# print the same summary. The TensorFlow.js layers format both ways: tf.loadLayersModel reads the folder
# `elucid export MODEL DIR --format tfjs` wrote, unchanged (weights bit for bit, outputs to TOLERANCE), saves the model
# it loaded as a folder of its own, and `elucid predict` on that folder must print what it printed for the model file.
# A development check (docs/keras-compatibility.md), not part of .ci/run: it needs Node (20 tested), npm and its
# registry, g++, and Fashion-MNIST (the Debian package dataset-fashion-mnist, or $ELUCID_DATA).
# Nothing from npm goes into the repository: the package is installed in WORK (kept, so a second run is offline).
#
# Usage: scripts/check-tfjs.sh [MODEL]   (default: four models, about a minute: the seed model trained by
#        examples/recipes/fashion_mnist_seed_quick.json, tests/tfjs/every_layer.json, every other layer class
#        elucid reads, with options off their defaults, trained for 3 short epochs, and the Functional
#        tests/tfjs/every_merge.json, every merge layer in a graph with a residual connection, made and trained
#        two epochs by dump_model, then checked as the others are, its TensorFlow.js folder too; and
#        tests/tfjs/two_outputs.json, a model of two outputs, the same way but for `elucid predict`; the first run
#        takes about 45 s more: npm install and compiling dump_model)
# Environment: BUILD_DIR (build: a built tree with elucid and libelucid.so), WORK (${TMPDIR:-/tmp}/elucid-tfjs),
#   TFJS_VERSION (4.22.0), TOLERANCE (1e-5, max abs difference of any layer's output), SAMPLES (32 test images).
# Exit status 0 when everything agrees, 1 on a mismatch or any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(realpath "${BUILD_DIR:-build}")
work=${WORK:-${TMPDIR:-/tmp}/elucid-tfjs}
tfjs_version=${TFJS_VERSION:-4.22.0}
tolerance=${TOLERANCE:-1e-5}
samples=${SAMPLES:-32}
step() { echo "== check-tfjs: $* =="; }
fail() { echo "check-tfjs: $*" >&2; exit 1; }

[ -x "$build/elucid" ] && [ -e "$build/libelucid.so" ] && [ -d "$build/include/elucid" ] ||
  fail "$build has no built elucid, libelucid.so and include/elucid (build it, or set BUILD_DIR)"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (apt-get install nodejs npm)"
mkdir -p "$work"

step "TensorFlow.js $tfjs_version from npm into $work"
installed=$(node -p "try { require('$work/node_modules/@tensorflow/tfjs/package.json').version } catch { '' }")
if [ "$installed" != "$tfjs_version" ]; then
  [ -f "$work/package.json" ] || echo '{"name": "elucid-tfjs-check", "private": true}' > "$work/package.json"
  # --ignore-scripts: the only install script in the tree is core-js's donation banner
  (cd "$work" && npm install --no-audit --no-fund --ignore-scripts "@tensorflow/tfjs@$tfjs_version") ||
    fail "npm install @tensorflow/tfjs@$tfjs_version failed"
fi
cp tests/tfjs/check.mjs "$work/check.mjs"  # next to its node_modules, where Node resolves the import

step "dump_model (tests/tfjs/dump_model.cpp) against $build"
dump=$work/dump_model
if [ ! -x "$dump" ] || [ tests/tfjs/dump_model.cpp -nt "$dump" ] || [ "$build/libelucid.so" -nt "$dump" ]; then
  ${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -Werror -I"$build/include" tests/tfjs/dump_model.cpp -o "$dump" \
    -L"$build" -lelucid -Wl,-rpath,"$build" || fail "dump_model does not compile"
fi

images=("$root"/examples/images/*.png)

# compare_in_tfjs NAME [PREDICT_TXT TFJS_DIR TFJS_SAVED]: check.mjs on WORK/NAME's model.json and dump.json, which
# also writes TensorFlow.js's own JSON of the model to WORK/NAME/tfjs.json.
compare_in_tfjs() {
  local name=$1 dir=$work/$1 status=0
  shift
  (cd "$work" && node check.mjs "$name/model.json" "$name/dump.json" "$tolerance" "$name/tfjs.json" "$@") \
    > "$dir/check.txt" 2>&1 || status=$?
  # TensorFlow.js prints a banner recommending its native tfjs-node package: not ours to show
  grep -v -e '^=*$' -e 'running TensorFlow.js in Node.js' "$dir/check.txt" || true
  [ "$status" -eq 0 ] || fail "$name: TensorFlow.js and elucid disagree, or check.mjs failed (above)"
}

# read_back NAME: elucid reads TensorFlow.js's JSON of the model and prints the summary it prints for its own.
read_back() {
  local name=$1 dir=$work/$1
  step "$name: elucid reads TensorFlow.js's model.toJSON() back"
  "$build/elucid" summary "$dir/model.json" > "$dir/summary-elucid.txt"
  "$build/elucid" summary "$dir/tfjs.json" > "$dir/summary-tfjs.txt" || fail "elucid cannot read $dir/tfjs.json"
  diff -u "$dir/summary-elucid.txt" "$dir/summary-tfjs.txt" || fail "$name: the two summaries differ (above)"
  echo "the same summary: $(grep 'Total params' "$dir/summary-tfjs.txt")"
}

# check NAME MODEL [several]: export, dump, predict, compare in TensorFlow.js, read TensorFlow.js's JSON back; files in
# WORK/NAME. With "several" (a model of several outputs, which `elucid predict` does not take) no `elucid predict`.
check() {
  local name=$1 model=$2 dir=$work/$1 several=${3:-}
  mkdir -p "$dir"
  step "$name: elucid export, dump_model and elucid predict on $model"
  "$build/elucid" export "$model" --keras-json "$dir/model.json"
  rm -rf "$dir/tfjs" "$dir/tfjs-saved"
  "$build/elucid" export "$model" "$dir/tfjs" --format tfjs
  "$dump" "$model" "$samples" "$dir/dump.json" "${images[@]}" || fail "dump_model failed"
  if [ -n "$several" ]; then
    step "$name: TensorFlow.js: modelFromJSON, set the weights, predict, compare (tolerance $tolerance); loadLayersModel"
    compare_in_tfjs "$name" "" "$name/tfjs" "$name/tfjs-saved"
    read_back "$name"
    return
  fi
  "$build/elucid" predict "$model" "${images[@]}" --top 100 > "$dir/predict.txt" || fail "elucid predict failed"

  step "$name: TensorFlow.js: modelFromJSON, set the weights, predict, compare (tolerance $tolerance); loadLayersModel"
  compare_in_tfjs "$name" "$name/predict.txt" "$name/tfjs" "$name/tfjs-saved"
  read_back "$name"

  step "$name: elucid predict on the folder TensorFlow.js saved"
  "$build/elucid" predict "$dir/tfjs-saved" "${images[@]}" --top 100 > "$dir/predict-tfjs-saved.txt" ||
    fail "elucid cannot predict with $dir/tfjs-saved"
  diff -u "$dir/predict.txt" "$dir/predict-tfjs-saved.txt" || fail "$name: the predictions differ (above)"
  echo "the same predictions for $(wc -l < "$dir/predict.txt") images from the model file and tfjs' folder"
}

# check_graph NAME JSON [several]: a Functional model's Keras JSON: dump_model makes it, trains it two epochs on the
# test images and saves it as WORK/NAME/trained.elucid, which then goes through check as a trained Sequential model does.
check_graph() {
  local name=$1 model=$2 dir=$work/$1
  mkdir -p "$dir"
  step "$name: dump_model makes $model and trains it"
  "$dump" "$model" "$samples" "$dir/trained.json" || fail "dump_model failed"
  check "$name" "$dir/trained.elucid" "${3:-}"
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
  check_graph every_merge tests/tfjs/every_merge.json
  check_graph two_outputs tests/tfjs/two_outputs.json several
fi

step "all passed"
