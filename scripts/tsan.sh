#!/usr/bin/env bash
# ThreadSanitizer over the tests that start threads: clang 14 with LLVM's libomp and its archer tool, which tells TSan
# what OpenMP's regions and barriers order (GCC's libgomp is not instrumented: every parallel region would be a
# false report). Built: elucid (all of it), the elucid command and the test files that hold a test case tagged
# [threads] (tests/CMakeLists.txt). Run, at 2 threads, every test case tagged [threads]: the 1-vs-2-thread bit-identity tests of conv2d, matmul and training, the sgemm tests (one
# multiplies on a second thread), every test of Sequential (training at 2 threads), the training step's batch split
# and per-thread weight gradients, the image-folder loader (decodes files in parallel), the MPI watchdog's thread,
# and the CLI's Ctrl-C test (the signal handler in a training elucid, itself built with TSan).
# OpenBLAS is not instrumented either: elucid calls it single-threaded inside its own parallel regions, and
# OPENBLAS_NUM_THREADS=1 keeps OpenBLAS from starting its thread pool at all, so no thread exists whose
# synchronization TSan cannot see (races inside a BLAS call would not be seen; elucid gives each call its own output).
# libomp and OpenBLAS are the uninstrumented modules ignore_noninstrumented_modules=1 leaves out (archer asks for it:
# without it libomp's own mutexes, handed between threads through spin flags TSan cannot see, are reported as races,
# as a 10-line OpenMP program shows). No suppressions: any report fails.
# Usage: scripts/tsan.sh [BUILD_DIR] (default build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-tsan}
archer=/usr/lib/llvm-14/lib/libarcher.so
[ -f "$archer" ] || { echo "scripts/tsan.sh: $archer not found (Debian: libomp-14-dev, from scripts/setup.sh)"; exit 1; }
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELUCID_TSAN=ON -DELUCID_WITH_MPI=OFF \
  -DELUCID_INSTALL=OFF -DELUCID_WERROR=ON > /dev/null
cmake --build "$build" --target elucid_tests app_elucid -j "$(nproc)"
export OMP_TOOL_LIBRARIES=$archer OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
# Catch2: a comma between filters means "or".
"$build/tests/elucid_tests" --order decl "[threads]"
