#!/usr/bin/env bash
# The layering as a test: every #include <elucid/FOLDER/...> in the library and the apps must follow the arrows of
# the table in docs/architecture.md (the block after "<!-- layers -->": "folder: the folders it may include"). An
# arrow is transitive: train -> distributed -> optim lets train include optim. A folder may include itself. Fails
# naming the file, the line and the arrow it breaks; tests/, fuzz/, examples/ and scripts/ may include anything.
# Usage: scripts/check-layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import pathlib, re, sys

doc = pathlib.Path("docs/architecture.md").read_text()
block = doc.split("<!-- layers -->", 1)[1].split("```", 2)[1]
arrows = {}
for line in block.strip().splitlines():
    folder, _, below = line.partition(":")
    arrows[folder.strip()] = below.split()

def reachable(folder, seen=None):
    seen = set() if seen is None else seen
    for b in arrows.get(folder, []):
        if b not in arrows:
            sys.exit(f"docs/architecture.md: {folder} points at {b}, which is not in the table")
        if b not in seen:
            seen.add(b)
            reachable(b, seen)
    return seen

allowed = {f: reachable(f) | {f} for f in arrows}
include = re.compile(r'^\s*#\s*include\s*<elucid/([a-z_]+)/')
problems, files = [], 0
for path in sorted(pathlib.Path(".").rglob("*")):
    if path.suffix not in (".hpp", ".cpp") or not path.is_file():
        continue
    top = path.parts[0]
    if top in ("tests", "fuzz", "examples", "scripts") or top.startswith("build") or len(path.parts) < 2:
        continue
    if top not in arrows:
        problems.append(f"{path}: folder {top} is not in the table of docs/architecture.md")
        continue
    files += 1
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line)
        if m and m.group(1) not in allowed[top]:
            problems.append(f"{path}:{number}: {top} may not include {m.group(1)} ({line.strip()})")
for p in problems:
    print(p)
if problems:
    sys.exit(f"check-layers: {len(problems)} include(s) break the layering of docs/architecture.md")
print(f"check-layers: {files} files follow the layering of docs/architecture.md")
PY
