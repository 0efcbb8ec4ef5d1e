#!/usr/bin/env bash
# keyward-pinhash interop check against the Argon2 reference C implementation
# (libargon2, Debian package libargon2-1), called from Python through ctypes:
#   1. RFC 9106 §5.3 through libargon2 (checks the binding itself);
#   2. tests/data/pinhash_vectors.json recomputed independently, byte for byte;
#   3. random-salt round trips: `keyward pin hash` strings verify under
#      libargon2, and libargon2 strings verify under `keyward pin verify`.
# Works from a clean clone, no stdin; exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

if ! python3 -c 'import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library("argon2") else 1)' 2>/dev/null \
   && ! ls /usr/lib/*/libargon2.so.1 >/dev/null 2>&1; then
    echo "pinhash interop: installing libargon2-1" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null && apt-get install -y -qq libargon2-1 >/dev/null
    else sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq libargon2-1 >/dev/null; fi
fi

gen="$root/crates/keyward-pinhash/tests/data/gen_vectors.py"
python3 "$gen" --check >&2

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p keyward-cli --manifest-path "$root/Cargo.toml"
python3 "$gen" --cli "$CARGO_TARGET_DIR/debug/keyward" >&2

echo "pinhash interop: ok (RFC 9106 5.3, 6 JSON vectors, 12 CLI round trips against libargon2, HashKey derivations 1 and 2)"
