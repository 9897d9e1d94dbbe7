#!/usr/bin/env bash
# Installs the Debian packages elucid needs to build, test and run its demo. Idempotent: installs only what is
# missing, and runs `apt-get update` only when it has something to install.
set -euo pipefail
packages=(build-essential cmake libopenblas-dev nlohmann-json3-dev catch2 libstb-dev zlib1g-dev libgomp1
          dataset-fashion-mnist pkgconf doxygen libopenmpi-dev openmpi-bin python3
          libhdf5-dev libzip-dev libonnx-dev libprotobuf-dev
          clang-14 clang libclang-rt-14-dev libomp-14-dev clang-tidy)  # the last line: fuzzing, TSan, clang-tidy
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "setup: installing ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
