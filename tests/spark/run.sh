#!/usr/bin/env bash
# Runs the extraction SQL (sql/extract/*.sql) on local Spark over the system-table fixtures,
# checks the figures of tests/fixtures/system-tables/EXPECTED.md on the outputs, and checks
# that the outputs are byte-identical to the committed tests/fixtures/system-tables-extracted/
# (which the Rust test tests/engine/extract.rs imports: the same database as the raw fixtures).
#   tests/spark/run.sh OUT_DIR
#   UPDATE_EXTRACTED=1 tests/spark/run.sh OUT_DIR   # after changing the SQL: rewrite the committed files
# Needs Java 17 (Debian: openjdk-17-jre-headless) and pyspark 4.3.0 (pip); `make setup` installs
# both. Exits non-zero on any failure or mismatch; prints its wall time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
PYTHON="${PYTHON:-python3}"
command -v java >/dev/null || { echo "tests/spark: java is missing (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
"$PYTHON" -c 'import pyspark, sys; sys.exit(0 if pyspark.__version__.startswith("4.") else 1)' 2>/dev/null \
    || { echo "tests/spark: pyspark 4.x is missing ($PYTHON -m pip install pyspark==4.3.0)" >&2; exit 1; }
expected="$root/tests/fixtures/system-tables-extracted"
start=$(date +%s.%N)
status=0
if [[ "${UPDATE_EXTRACTED:-0}" == 1 ]]; then
    "$PYTHON" "$here/run_extract.py" "$1" --update "$expected" || status=$?
else
    "$PYTHON" "$here/run_extract.py" "$1" --expect "$expected" || status=$?
fi
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [[ $status -eq 0 ]]; then
    echo "tests/spark: ok, wall time ${elapsed} s"
else
    echo "tests/spark: FAILED (exit $status), wall time ${elapsed} s" >&2
fi
exit "$status"
