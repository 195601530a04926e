#!/usr/bin/env bash
# make setup: installs what the build and the tests need, skipping whatever is present.
# Idempotent and quick on a machine that has everything. Versions are pinned here.
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml
APT_PACKAGES=(clang llvm chromium chromium-driver)

say() { printf 'setup: %s\n' "$*"; }

# 1. Rust target for the browser build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding rustup target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# Formatting and lint gates of make test.
for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
        say "adding rustup component $component"
        rustup component add "$component"
    fi
done

# 2. System packages: clang compiles SQLite for wasm32; Chromium runs the browser tests.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        say "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        say "missing system packages; run:"
        echo "    sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
fi

# 3. Pinned cargo tools (built once, then reused from ~/.cargo/bin).
if [[ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]]; then
    say "installing trunk $TRUNK_VERSION (takes several minutes once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lock file names a webpki-roots release the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 4. npm packages (ECharts, esbuild, playwright-core, binaryen) exactly as locked.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
fi

# --- Spark extraction test (tests/spark, sql/extract): Java 17+ and pyspark 4.3.0 ---------
# Only what is missing: Java when `java -version` is absent or older than 17, pyspark when
# it is not 4.3.0. Quick when both are present.
SPARK_PYTHON="${PYTHON:-python3}"
PYSPARK_VERSION=4.3.0
java_major() {
    local v
    v=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)
    [[ -n "$v" ]] || { echo 0; return; }
    [[ "$v" == 1.* ]] && v=${v#1.}
    echo "${v%%[.+_-]*}"
}
if ! command -v java >/dev/null 2>&1 || (( $(java_major) < 17 )); then
    if [[ $(id -u) -eq 0 ]]; then
        say "installing openjdk-17-jre-headless (Java for the Spark test)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
    else
        say "Java 17 is missing (the Spark test needs it); run:"
        echo "    sudo apt-get install -y openjdk-17-jre-headless"
        exit 1
    fi
fi
if ! "$SPARK_PYTHON" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$PYSPARK_VERSION')" 2>/dev/null; then
    say "installing pyspark $PYSPARK_VERSION (pip)"
    "$SPARK_PYTHON" -m pip install --quiet --disable-pip-version-check "pyspark==$PYSPARK_VERSION" || {
        say "pip could not install pyspark; run:"
        echo "    $SPARK_PYTHON -m pip install --user pyspark==$PYSPARK_VERSION"
        exit 1
    }
fi
# --- end of the Spark extraction test block --------------------------------------------------

say "ok"
