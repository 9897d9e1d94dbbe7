#!/usr/bin/env bash
# The docs as a user reads them: README.md and docs/*.md must not quote a commit hash (a word of 7 to 40 hex digits
# with at least one letter a-f and one digit), point at ../shared, or name an absolute path of a development
# machine (/work/, /root/, /home/). Prints file:line and the text of each finding, and fails if there is any.
# A letter followed only by digits is not taken for a hash: checkpoint files are named checkpoint-e0000-b000019.
# Usage: scripts/check-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
files=(README.md docs/*.md)
findings=0
# check WHAT PATTERN: every match of the Perl regular expression PATTERN, as file:line: WHAT "match"
check() {
  local what=$1 pattern=$2 hit
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    local file=${hit%%:*} rest=${hit#*:}
    echo "$file:${rest%%:*}: $what \"${rest#*:}\""
    findings=$((findings + 1))
  done < <(grep -noHP -- "$pattern" "${files[@]}" || true)
}
check "a commit hash" '\b(?![a-f][0-9]+\b)(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b'
check "a path outside the repository" '\.\./shared'
check "a path of a development machine" '(?<![\w.~-])/(work|root|home)/'
if [ "$findings" -gt 0 ]; then
  echo "check-docs: $findings finding(s) in README.md and docs/*.md" >&2
  exit 1
fi
echo "check-docs: ${#files[@]} files clean"
