#!/usr/bin/env bash
# The importer command of tests/spark/differential.py: imports the export files given as
# arguments with the library's import_files (the ignored test import_dump in tests/engine)
# and prints every table of the database and the ImportReport as one JSON object.
#   tests/spark/import_dump.sh FILE...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
list=""
for f in "$@"; do list+="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"$'\n'; done
(cd "$root" && IMPORT_DUMP_FILES="$list" IMPORT_DUMP_OUT="$out" \
    cargo test -q -p usage-copilot --test engine import_dump::dump_an_import -- --ignored --exact >&2)
cat "$out"
