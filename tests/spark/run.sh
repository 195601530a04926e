#!/usr/bin/env bash
# Runs the extraction SQL (sql/extract/*.sql) on local Spark over the system-table fixtures and
# checks the figures of tests/fixtures/system-tables/EXPECTED.md on the outputs.
#   tests/spark/run.sh OUT_DIR
# Needs Java 17 (Debian: openjdk-17-jre-headless) and pyspark 4.3.0 (pip); `make setup` installs
# both. Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
PYTHON="${PYTHON:-python3}"
command -v java >/dev/null || { echo "tests/spark: java is missing (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
"$PYTHON" -c 'import pyspark, sys; sys.exit(0 if pyspark.__version__.startswith("4.") else 1)' 2>/dev/null \
    || { echo "tests/spark: pyspark 4.x is missing ($PYTHON -m pip install pyspark==4.3.0)" >&2; exit 1; }
exec "$PYTHON" "$here/run_extract.py" "$1"
