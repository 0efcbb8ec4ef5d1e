#!/usr/bin/env bash
# Regenerates the recovery-kit vectors (Recovery URL token, used-token record,
# application-PIN record, device secret file) with the independent Python
# implementation (tests/data/gen_kit_vectors.py) and fails if they differ from
# the committed tests/data/kit_vectors.json. Needs python3 (3.9+) and PyPI for
# argon2-cffi (Argon2id) and cryptography (AES-SIV).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
if ! "$work/venv/bin/pip" install --quiet --disable-pip-version-check argon2-cffi 'cryptography>=44'; then
    echo "keyward-superpin: could not install argon2-cffi and cryptography from PyPI (download failed)" >&2
    exit 1
fi
"$work/venv/bin/python" "$here/tests/data/gen_kit_vectors.py" "$work/vectors.json" >/dev/null

if cmp -s "$work/vectors.json" "$here/tests/data/kit_vectors.json"; then
    echo "keyward-superpin: Python recovery-kit vectors match the committed ones"
else
    diff -u "$here/tests/data/kit_vectors.json" "$work/vectors.json" | head -40 >&2 || true
    echo "keyward-superpin: Python recovery-kit vectors DIFFER from tests/data/kit_vectors.json" >&2
    exit 1
fi
