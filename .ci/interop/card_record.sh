#!/usr/bin/env bash
# Recomputes the keyward card-record vectors (tests/data/card_record_v2.json and v1)
# independently in Python (cryptography AESSIV/HKDFExpand/CMAC, argon2-cffi)
# and compares it with the stored one. Prints one summary line; exit 1 on a
# difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${TMPDIR:-/tmp}/keyward-card-vector-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet cryptography argon2-cffi </dev/null
fi
"$venv/bin/python" tests/data/card_record_vector.py 2 --check tests/data/card_record_v2.json
"$venv/bin/python" tests/data/card_record_vector.py 1 --check tests/data/card_record_v1.json
