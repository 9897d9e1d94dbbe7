#!/usr/bin/env bash
# The README's test command: installs what is missing, builds elucid and its tests, runs them all through ctest.
# BUILD_DIR and CMAKE_ARGS may be set, e.g. CMAKE_ARGS="-DELUCID_SANITIZE=ON" BUILD_DIR=build-asan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
