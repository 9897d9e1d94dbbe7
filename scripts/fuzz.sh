#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ with clang (libFuzzer, ASan, UBSan) and runs each one RUNS times, starting from
# its seed corpus; new inputs go to a scratch folder, never into the tree. Fails on any crash, leak, timeout (5 s)
# or memory blow-up (1 GiB); the input is left in BUILD/fuzz/artifacts. fuzz/README.md says how to fuzz for longer.
# Usage: scripts/fuzz.sh [RUNS] [BUILD_DIR]. A BUILD_DIR already configured with -DELUCID_FUZZ=ON is used as it is
# (CI's clang ASan + UBSan test tree, which has the fuzz targets too); any other is configured here for fuzzing only.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3000}
build=${2:-build-fuzz}
if ! grep -q '^ELUCID_FUZZ:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELUCID_FUZZ=ON -DELUCID_BUILD_TESTS=OFF \
    -DELUCID_INSTALL=OFF -DELUCID_WERROR=ON > /dev/null
fi
cmake --build "$build" --target fuzz -j "$(nproc)"
mkdir -p "$build/fuzz/artifacts"
for target in idx idx_gzip recipe keras_json model_file checkpoint image keras_h5; do
  scratch=$(mktemp -d)
  start=$(date +%s)
  # Each keras_h5 input makes and reads whole HDF5 files in libhdf5 (about 30 a second under ASan, a hundred times
  # slower than the other targets' inputs): a tenth of the runs keeps it to the others' time.
  target_runs=$runs
  if [ "$target" = keras_h5 ]; then target_runs=$(( runs / 10 > 0 ? runs / 10 : 1 )); fi
  if ! "$build/fuzz/fuzz_$target" -runs="$target_runs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz/artifacts/$target-" "$scratch" "fuzz/corpus/$target" > "$build/fuzz/$target.log" 2>&1; then
    tail -n 60 "$build/fuzz/$target.log"
    rm -rf "$scratch"
    echo "fuzz_$target failed: input in $build/fuzz/artifacts, log in $build/fuzz/$target.log"
    exit 1
  fi
  rm -rf "$scratch"
  echo "fuzz_$target: $target_runs runs, $(( $(date +%s) - start )) s, $(grep -o 'cov: [0-9]*' "$build/fuzz/$target.log" | tail -n 1)"
done
