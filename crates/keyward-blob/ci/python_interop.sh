#!/usr/bin/env bash
# Recomputes every keyward-blob known-answer vector with pyca/cryptography
# (HKDF, AESSIV) from docs/formats.md and compares with the committed JSON.
# Works from a clean clone, no stdin; exits non-zero on any difference.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${KEYWARD_BLOB_VENV:-${TMPDIR:-/tmp}/keyward-blob-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >/dev/null
fi
"$venv/bin/python" -c "import cryptography" 2>/dev/null || "$venv/bin/pip" install -q "cryptography>=43" >/dev/null
"$venv/bin/python" "$here/tests/data/gen_vectors.py" --check "$here/tests/data/blob_vectors.json"
