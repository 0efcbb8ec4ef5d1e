#!/usr/bin/env python3
"""Independent computation of the keyward-blob known-answer vectors.

Implements docs/formats.md "## keyward-blob" from the text alone with
pyca/cryptography (HKDF, HKDFExpand, AESSIV) -- no keyward code is used.

Regenerate (from the repository root):

    python3 -m venv /tmp/venv-blob && /tmp/venv-blob/bin/pip install cryptography
    /tmp/venv-blob/bin/python crates/keyward-blob/tests/data/gen_vectors.py \
        > crates/keyward-blob/tests/data/blob_vectors.json

`--check FILE` recomputes every vector and compares with FILE instead
(exit status 1 on any difference); crates/keyward-blob/ci/python_interop.sh
runs it.
"""

import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

LABEL_DATABASE_KEY = b"keyward/blob/v1/database-key"
LABEL_KEY_ID = b"keyward/blob/v1/key-id"
LABEL_RECORD_KEY = b"keyward/blob/v1/record-key"
BUILTIN_STATIC_KEY = b"keyward-blob-static-key-CHANGEME"
BUILTIN_STATIC_IV = b"keyward-blob-iv1"
KINDS = {"application": 0x01, "payload": 0x02}

# keyward-core HashKey subkeys (docs/formats.md, "HashKey subkeys").
HASHKEY_SALT = b"keyward/hashkey/v1"
HASHKEY_INFO_PREFIX = b"keyward/hashkey/v1/"


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def expand(prk, info, length):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def hashkey_blob_static_key(hashkey: str) -> bytes:
    return hkdf(HASHKEY_SALT, hashkey.encode("ascii"), HASHKEY_INFO_PREFIX + b"blob-static-key", 32)


def database_key(static_key, derive_vector, sdk):
    mode = 0x02 if sdk is not None else 0x01
    ikm = sdk if sdk is not None else b""
    info = LABEL_DATABASE_KEY + bytes([mode]) + struct.pack(">I", derive_vector)
    return hkdf(static_key, ikm, info, 32)


def key_id(dbk, static_iv):
    return expand(dbk, LABEL_KEY_ID + static_iv, 4)


def record_key(dbk, kind, serial, app, static_iv):
    info = (
        LABEL_RECORD_KEY
        + bytes([KINDS[kind]])
        + struct.pack(">I", len(serial))
        + serial
        + struct.pack(">I", len(app))
        + app
        + static_iv
    )
    return expand(dbk, info, 64)


def seal(dbk, static_iv, kind, serial, app, context, nonce, plaintext):
    kid = key_id(dbk, static_iv)
    flags = 0x01 if nonce is not None else 0x00
    fixed = bytes([0x01, 0x01, flags, 0x00]) + kid
    ad = [fixed, bytes([KINDS[kind]]), serial, app, context]
    if nonce is not None:
        ad.append(nonce)
    rk = record_key(dbk, kind, serial, app, static_iv)
    # AESSIV.encrypt returns SIV tag (16) || ciphertext.
    tag_ct = AESSIV(rk).encrypt(plaintext, ad)
    header = fixed + (nonce if nonce is not None else b"")
    return header + tag_ct


def sdk_params(sdk):
    words = struct.unpack(">8I", sdk)
    return "".join(f"StorageDeriveKey{n} = 0x{w:08X}\n" for n, w in enumerate(words, 1))


DESIGN_SDK = bytes.fromhex("00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100")
SITE_HASHKEY = "Site-HashKey/for:demo#2026-11-22"

CASES = [
    dict(
        description="derive-vector mode on the built-in static key and IV, application BLOB, deterministic",
        derive_vector=0x2A, sdk=None, static_key=None, static_iv=None,
        kind="application", serial=b"VDS0012345", app=b"RESPONSE_ONLY", context=b"",
        nonce=None, plaintext=bytes.fromhex("0123456789abcdeffedcba9876543210a5a5a5a5"),
    ),
    dict(
        description="storage-derive-key mode (the docs/formats.md example key), payload key BLOB, with a context",
        derive_vector=0, sdk=DESIGN_SDK, static_key=None, static_iv=None,
        kind="payload", serial=b"VDS0012345", app=b"RESPONSE_ONLY", context=b"table=digipass;column=payload",
        nonce=None, plaintext=bytes(range(32)),
    ),
    dict(
        description="empty plaintext, derive vector 0",
        derive_vector=0, sdk=None, static_key=None, static_iv=None,
        kind="application", serial=b"FDM0000001", app=b"CR", context=b"",
        nonce=None, plaintext=b"",
    ),
    dict(
        description="random-nonce BLOB (nonce fixed here), static key = HashKey blob-static-key subkey, custom static IV",
        derive_vector=7, sdk=None, static_key=hashkey_blob_static_key(SITE_HASHKEY),
        static_key_hashkey=SITE_HASHKEY,
        static_iv=bytes.fromhex("000102030405060708090a0b0c0d0e0f"),
        kind="application", serial=b"GO7-1234567-8", app=b"APPL 1", context=b"ctx",
        nonce=bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f"), plaintext=b"authenticator seed and counters",
    ),
    dict(
        description="storage derive key and derive vector 0x7FFFFFFF together, payload key BLOB, with nonce, empty plaintext",
        derive_vector=0x7FFFFFFF, sdk=bytes(range(0x20, 0x40)), static_key=None, static_iv=None,
        kind="payload", serial=b"", app=b"", context=b"",
        nonce=bytes(16), plaintext=b"",
    ),
    dict(
        description="length prefixing: serial AB, application C",
        derive_vector=1, sdk=None, static_key=None, static_iv=None,
        kind="application", serial=b"AB", app=b"C", context=b"",
        nonce=None, plaintext=b"same plaintext",
    ),
    dict(
        description="length prefixing: serial A, application BC (different key from AB/C)",
        derive_vector=1, sdk=None, static_key=None, static_iv=None,
        kind="application", serial=b"A", app=b"BC", context=b"",
        nonce=None, plaintext=b"same plaintext",
    ),
]


def vector(case):
    static_key = case["static_key"] if case["static_key"] is not None else BUILTIN_STATIC_KEY
    static_iv = case["static_iv"] if case["static_iv"] is not None else BUILTIN_STATIC_IV
    sdk = case["sdk"]
    dbk = database_key(static_key, case["derive_vector"], sdk)
    out = {
        "description": case["description"],
        "static_key": static_key.hex(),
        "static_key_is_builtin": case["static_key"] is None,
        "static_key_hashkey": case.get("static_key_hashkey"),
        "static_iv": static_iv.hex(),
        "mode": 2 if sdk is not None else 1,
        "derive_vector": case["derive_vector"],
        "storage_derive_key": sdk.hex() if sdk is not None else None,
        "storage_derive_key_params": sdk_params(sdk) if sdk is not None else None,
        "database_key": dbk.hex(),
        "key_id": key_id(dbk, static_iv).hex(),
        "kind": case["kind"],
        "serial": case["serial"].hex(),
        "application": case["app"].hex(),
        "context": case["context"].hex(),
        "record_key": record_key(dbk, case["kind"], case["serial"], case["app"], static_iv).hex(),
        "nonce": case["nonce"].hex() if case["nonce"] is not None else None,
        "plaintext": case["plaintext"].hex(),
        "sealed": seal(dbk, static_iv, case["kind"], case["serial"], case["app"], case["context"],
                       case["nonce"], case["plaintext"]).hex(),
    }
    return out


def document():
    ab = [v for v in map(vector, CASES)]
    assert ab[5]["record_key"] != ab[6]["record_key"]
    # RFC 5297 / docs/formats.md: no AD and one empty AD differ.
    assert AESSIV(bytes(64)).encrypt(b"pt", []) != AESSIV(bytes(64)).encrypt(b"pt", [b""])
    return {
        "source": "crates/keyward-blob/tests/data/gen_vectors.py (pyca/cryptography HKDF and AESSIV), "
                  "from docs/formats.md section keyward-blob",
        "format": "keyward-blob sealed BLOB v1, suite 0x01 (HKDF-SHA256 + AES-256-SIV)",
        "vectors": ab,
    }


def main():
    doc = document()
    text = json.dumps(doc, indent=2) + "\n"
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            have = json.load(f)
        if have != doc:
            print("keyward-blob vectors: MISMATCH with", sys.argv[2])
            sys.exit(1)
        print(f"keyward-blob vectors: {len(doc['vectors'])} vectors reproduced by pyca/cryptography")
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
