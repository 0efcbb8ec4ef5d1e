#!/usr/bin/env bash
# Recomputes the keyward facade's template BLOB vectors (HashKey migration,
# docs/formats.md) with pyca/cryptography and compares with the committed JSON.
# Works from a clean clone, no stdin; exits non-zero on any difference.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${KEYWARD_FACADE_VENV:-${TMPDIR:-/tmp}/keyward-facade-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >/dev/null
fi
"$venv/bin/python" -c "import cryptography" 2>/dev/null || "$venv/bin/pip" install -q "cryptography>=43" >/dev/null
"$venv/bin/python" "$here/tests/data/gen_hashkey_templates.py" --check "$here/tests/data/hashkey_template_vectors.json"
