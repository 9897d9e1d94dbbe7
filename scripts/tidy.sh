#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy: bugprone-*, performance-*) over elucid's own sources, every folder but tests/,
# fuzz/ and examples/ (so a new folder is covered by itself), and the headers they include from the repository; any
# finding fails. It reads the compile commands of a
# build tree that already exists (CMAKE_EXPORT_COMPILE_COMMANDS is on), so it needs no build of its own.
# Usage: scripts/tidy.sh [BUILD_DIR] (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "scripts/tidy.sh: no $build/compile_commands.json (configure $build first)"; exit 1; }
log=$build/clang-tidy.log
# run-clang-tidy exits non-zero when any file has a finding (WarningsAsErrors is '*'); -quiet drops the per-file
# "N warnings generated" lines for system headers, which the header filter hides anyway.
# The files: a Python regular expression over compile_commands.json's paths. The headers: those under the
# repository, reached directly or through the build tree's include/elucid link.
root=$(pwd)
files="^$root/(?!tests/|fuzz/|examples/).*\.cpp$"
headers="^($root|$(realpath "$build")/include/elucid)/"
if ! run-clang-tidy -j "$(nproc)" -quiet -p "$build" -header-filter "$headers" "$files" > "$log" 2>&1; then
  grep -E '(warning|error): ' "$log" | sort -u || tail -n 40 "$log"
  echo "clang-tidy: findings above (whole log in $log)"
  exit 1
fi
echo "clang-tidy: no findings in $(grep -c '^clang-tidy' "$log") files"
