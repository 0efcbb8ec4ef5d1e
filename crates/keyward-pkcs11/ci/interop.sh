#!/usr/bin/env bash
# keyward-pkcs11 interop with pyca/cryptography, from a clean clone, no stdin:
#  1. recomputes the wrapped-key file vectors (and RFC 5649's own examples)
#     with wrapped_key_vector.py and compares with the committed JSON;
#  2. against SoftHSM2: a key entered from components into one token is
#     exported by `keyward pkcs11 export`, and pyca's aes_key_unwrap_with_padding
#     recovers it from the file; a file made by Python alone imports into a
#     second token with the token-computed KCV 1A0B2D.
# Exits non-zero on any difference. Without SoftHSM2 part 2 is skipped with one
# line, except when CI is set (then it fails).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${KEYWARD_PKCS11_VENV:-${TMPDIR:-/tmp}/keyward-pkcs11-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >/dev/null
fi
"$venv/bin/python" -c "import cryptography" 2>/dev/null || "$venv/bin/pip" install -q "cryptography>=43" >/dev/null
py="$venv/bin/python"
gen="$here/tests/data/wrapped_key_vector.py"
"$py" "$gen" --check "$here/tests/data/wrapped_key_vectors.json"
"$py" "$here/tests/data/share_record_vector.py" --check "$here/tests/data/share_record_vectors.json"

module="${KEYWARD_TEST_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
if [ ! -f "$module" ] || ! command -v softhsm2-util >/dev/null; then
    if [ -n "${CI:-}" ]; then
        echo "interop: CI is set and SoftHSM2 ($module, softhsm2-util) is missing: run .ci/softhsm.sh" >&2
        exit 1
    fi
    echo "interop: SoftHSM2 part skipped ($module or softhsm2-util missing)"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$work/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm2.conf"
(umask 077 && printf '246810\n' >"$work/pin")
for t in hsm1 hsm2; do
    softhsm2-util --init-token --free --label "$t" --so-pin 87654321 --pin 246810 >/dev/null
done
(cd "$root" && cargo build --quiet -p keyward-cli)
kw="$root/target/debug/keyward"
uri() { echo "pkcs11:token=$1;object=$2;type=secret-key?module-path=$module&pin-source=file:$work/pin"; }

kek=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
key=603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4
echo "$kek" | "$kw" components split --count 2 >"$work/kek.txt"
echo "$key" | "$kw" components split --count 3 >"$work/key.txt"
for t in hsm1 hsm2; do
    "$kw" pkcs11 import-components "$(uri "$t" KEK)" --transport <"$work/kek.txt" >/dev/null 2>&1
done
"$kw" pkcs11 import-components "$(uri hsm1 DEK)" --extractable <"$work/key.txt" >/dev/null 2>&1
"$kw" pkcs11 export "$(uri hsm1 DEK)" --wrapping-key "pkcs11:object=KEK" >"$work/dek.kwwrap" 2>/dev/null
got="$("$py" "$gen" --unwrap "$kek" "$work/dek.kwwrap")"
if [ "$got" != "$key" ]; then
    echo "interop: pyca unwrapped $got from the token's export, expected the RFC 4493 key" >&2
    exit 1
fi
# A file made by Python alone (the committed vector) imports into hsm2.
"$py" - "$here/tests/data/wrapped_key_vectors.json" "$work/py.kwwrap" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["files"][0]
open(sys.argv[2], "wb").write(bytes.fromhex(v["file"]))
PY
kcv="$("$kw" pkcs11 import "$(uri hsm2 DEK)" --wrapping-key "pkcs11:object=KEK" <"$work/py.kwwrap" 2>/dev/null)"
if [ "$kcv" != "KCV 1A0B2D" ]; then
    echo "interop: importing the Python-made file gave '$kcv', expected 'KCV 1A0B2D'" >&2
    exit 1
fi
"$kw" pkcs11 kcv "$(uri hsm1 DEK)" "$(uri hsm2 DEK)" >/dev/null 2>&1
echo "interop: SoftHSM2 export unwraps with pyca, the pyca file imports (KCV 1A0B2D), both HSMs agree"
