#!/usr/bin/env bash
# SLIP-0039 interoperability with the reference implementation
# (shamir-mnemonic 0.3.0 from PyPI, in a venv), both directions.
# Works from a clean clone, reads no stdin; exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${KEYWARD_SLIP39_VENV:-${TMPDIR:-/tmp}/keyward-slip39-venv}"

if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("shamir-mnemonic") != "0.3.0")' 2>/dev/null; then
    python3 -m venv "$venv" >/dev/null
    "$venv/bin/pip" install --quiet --disable-pip-version-check "shamir-mnemonic==0.3.0" >/dev/null
fi

target="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --quiet -p keyward-cli)
exec "$venv/bin/python" "$here/interop.py" "$target/debug/keyward"
