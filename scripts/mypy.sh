#!/usr/bin/env bash
# mypy cannot follow the editable finder that maps core/ onto alephtx.core, so give it a tree of
# links with the real import names and check that.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree="$root/build/mypy-tree"
rm -rf "$tree" && mkdir -p "$tree/alephtx"
for d in core agent tools cli evals proto emulators; do ln -s "$root/$d" "$tree/alephtx/$d"; done
cd "$tree"
"$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" -p alephtx
