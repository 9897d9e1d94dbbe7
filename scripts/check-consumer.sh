#!/usr/bin/env bash
# elucid as a library user gets it: installs elucid into a temporary prefix, checks the installed headers (each
# compiles on its own with -Wall -Wextra -Wpedantic -Werror, the umbrella included; none pulls in a private
# dependency), then builds examples/consumer (train, predict, and resnet, which it does not run: it trains for minutes)
# and runs train then predict (train, save, load, predict) three ways: find_package
# (shared, then static), pkg-config (its Makefile), and add_subdirectory of this source tree. Stops at the first error.
# Usage: scripts/check-consumer.sh [BUILD_DIR]   (an existing, built BUILD_DIR is reused: only the install runs;
#        default build-consumer). Set KEEP=1 to keep the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
build=${1:-build-consumer}
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/elucid-consumer.XXXXXX")
finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then echo "check-consumer: FAILED (status $status); files in $work" >&2
  elif [ -n "${KEEP:-}" ]; then echo "check-consumer: files kept in $work"
  else rm -rf "$work"; fi
}
trap finish EXIT
step() { echo "== check-consumer: $* =="; }
fail() { echo "check-consumer: $*" >&2; exit 1; }

# Runs train then predict from the folder holding them; the model file goes there too.
run_consumer() {
  (cd "$1" && ./train model.elucid && ./predict model.elucid) || fail "the consumer in $1 failed"
}

step "the README shows examples/consumer/train.cpp as it is"
awk '/<!-- the text of examples\/consumer\/train.cpp/ {on = 1; next} on && /^```cpp$/ {next} on && /^```$/ {exit} on' \
  README.md > "$work/readme-train.cpp"
diff -u "$work/readme-train.cpp" examples/consumer/train.cpp || fail "README.md and examples/consumer/train.cpp differ"

step "build elucid in $build and install it into a temporary prefix"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DELUCID_WERROR=ON -DELUCID_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
inc=$prefix/include

step "installed headers"
[ -f "$inc/elucid/elucid.hpp" ] || fail "the umbrella header include/elucid/elucid.hpp is not installed"
for internal in core/kernels/gemm.hpp core/ops/check.hpp data/byte_reader.hpp optim/check_option.hpp; do
  [ ! -e "$inc/elucid/$internal" ] || fail "internal header $internal is installed"
done
# nlohmann/json, stb, OpenBLAS and OpenMP are private: a consumer must not need their headers.
if grep -rnE '#\s*include\s*[<"](nlohmann/|stb/|stb_|cblas|openblas|omp\.h)' "$inc"; then
  fail "an installed header includes a private dependency (above)"
fi
# Each header compiles alone against the prefix only, so none includes a header that is not installed.
find "$inc/elucid" -name '*.hpp' | sort > "$work/headers"
echo "$(wc -l < "$work/headers") headers"
compile_header() {
  echo "#include <${1#"$2"/}>" | g++ -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$2" -x c++ - ||
    { echo "check-consumer: ${1#"$2"/} does not compile on its own" >&2; exit 255; }
}
export -f compile_header
xargs -P "$jobs" -I{} bash -c 'compile_header "$1" "$2"' _ {} "$inc" < "$work/headers" ||
  fail "installed headers do not compile on their own (above)"

step "consumer with find_package, shared library"
cmake -S examples/consumer -B "$work/find" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build "$work/find" -j "$jobs"
# ldd's output is taken whole before it is searched: `ldd | grep -q` under pipefail fails whenever grep stops
# reading at its match while ldd still writes (SIGPIPE).
libraries=$(ldd "$work/find/predict")
grep -q "$prefix/lib[^ ]*/libelucid\.so\." <<< "$libraries" ||
  fail "predict does not load the installed libelucid.so"
run_consumer "$work/find"

step "consumer with find_package, static library"
cmake -S examples/consumer -B "$work/static" -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_LINK_STATIC=ON \
      -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build "$work/static" -j "$jobs"
libraries=$(ldd "$work/static/predict")
! grep -q libelucid <<< "$libraries" || fail "the static build of predict still loads libelucid.so"
run_consumer "$work/static"

step "consumer with pkg-config and make"
pc_dir=$(dirname "$(find "$prefix" -name elucid.pc)")
PKG_CONFIG_PATH=$pc_dir make -C examples/consumer -j "$jobs" OUT="$work/make" CXXFLAGS="-O2 -Werror"
run_consumer "$work/make"

step "consumer with add_subdirectory of the source tree"
# This compiles the whole library again, inside the consumer's project: at -O0, which is what is checked here (that
# elucid builds and links as a subproject), and takes about two thirds of the compile time of -O2.
cmake -S examples/consumer -B "$work/subdir" -DELUCID_SOURCE_DIR="$root" -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 >/dev/null
cmake --build "$work/subdir" -j "$jobs"
run_consumer "$work/subdir"

step "all passed"
