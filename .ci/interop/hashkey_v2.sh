#!/usr/bin/env bash
# Recomputes the HashKey derivation 2 vectors (tests/data/hashkey_v2_vectors.json,
# docs/formats.md "HashKey subkeys") with libargon2 (the reference C Argon2, Debian
# package libargon2-1, through ctypes) and Python hmac/hashlib, and compares them
# with the committed JSON. Works from a clean clone, no stdin; exits non-zero on
# any difference.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if ! python3 -c 'import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library("argon2") else 1)' 2>/dev/null \
   && ! ls /usr/lib/*/libargon2.so.1 >/dev/null 2>&1; then
    echo "hashkey v2 vectors: installing libargon2-1" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if ! { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq libargon2-1 >/dev/null; }; then
        echo "hashkey v2 vectors: apt-get could not install libargon2-1 (download failed)" >&2
        exit 1
    fi
fi

python3 "$root/tests/data/gen_hashkey_v2.py" --check
echo "hashkey v2 vectors: ok (4 HashKeys recomputed with libargon2 and Python HKDF, RFC 9106 5.3 first)"
