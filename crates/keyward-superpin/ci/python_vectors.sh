#!/usr/bin/env bash
# Regenerates the keyward-superpin vectors with the independent Python
# implementation (tests/data/gen_vectors.py) and fails if they differ from the
# committed tests/data/superpin_vectors.json. Needs python3 (3.9+) and network
# access to PyPI for `cryptography` (AES-SIV, Argon2id need cryptography >= 44).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check 'cryptography>=44'
"$work/venv/bin/python" "$here/tests/data/gen_vectors.py" "$work/vectors.json" > /dev/null

if cmp -s "$work/vectors.json" "$here/tests/data/superpin_vectors.json"; then
    echo "keyward-superpin: Python vectors match the committed ones"
else
    diff -u "$here/tests/data/superpin_vectors.json" "$work/vectors.json" | head -40 >&2 || true
    echo "keyward-superpin: Python vectors DIFFER from tests/data/superpin_vectors.json" >&2
    exit 1
fi
