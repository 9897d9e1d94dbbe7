#!/usr/bin/env bash
# The README's first command: installs what is missing, builds elucid, and runs the MNIST demo (the Keras ELU
# example on Fashion-MNIST). Arguments go to elucid-mnist, e.g. scripts/demo.sh --quick or --data ~/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DELUCID_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target app_elucid-mnist app_elucid  # the demo, and `elucid` for predict
exec "$build/elucid-mnist" "$@"
