#!/usr/bin/env python3
"""Independent computation of the keyward facade's HashKey template vectors.

Implements docs/formats.md "## keyward (facade): HashKey migration" from the
text alone with pyca/cryptography (HKDF, HKDFExpand, AESSIV) -- no keyward code.

Regenerate (from the repository root):

    python3 -m venv /tmp/venv-hk && /tmp/venv-hk/bin/pip install cryptography
    /tmp/venv-hk/bin/python tests/data/gen_hashkey_templates.py \
        > tests/data/hashkey_template_vectors.json

`--check FILE` recomputes the vectors and compares with FILE instead (exit
status 1 on any difference); .ci/interop/hashkey_templates.sh runs it.
"""

import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

# keyward-core HashKey subkeys and key id.
HASHKEY_SALT = b"keyward/hashkey/v1"
HASHKEY_INFO_PREFIX = b"keyward/hashkey/v1/"
# keyward-blob derivation.
LABEL_DATABASE_KEY = b"keyward/blob/v1/database-key"
LABEL_KEY_ID = b"keyward/blob/v1/key-id"
LABEL_RECORD_KEY = b"keyward/blob/v1/record-key"
BUILTIN_STATIC_IV = b"keyward-blob-iv1"
# The facade's template choices.
TEMPLATE_APPLICATION = b"keyward/template/v1"
KIND_APPLICATION = 0x01
MODE_DERIVE_VECTOR = 0x01
TEMPLATE_DERIVE_VECTOR = 0


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def expand(prk, info, length):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def hashkey_key_id(hashkey):
    return hkdf(HASHKEY_SALT, hashkey.encode("ascii"), HASHKEY_INFO_PREFIX + b"key-id", 4)


def template_subkey(hashkey):
    return hkdf(HASHKEY_SALT, hashkey.encode("ascii"), HASHKEY_INFO_PREFIX + b"template-encryption", 32)


def template_database_key(hashkey):
    info = LABEL_DATABASE_KEY + bytes([MODE_DERIVE_VECTOR]) + struct.pack(">I", TEMPLATE_DERIVE_VECTOR)
    return hkdf(template_subkey(hashkey), b"", info, 32)


def key_id(dbk):
    return expand(dbk, LABEL_KEY_ID + BUILTIN_STATIC_IV, 4)


def seal_template(dbk, user, slot, plaintext):
    kid = key_id(dbk)
    fixed = bytes([0x01, 0x01, 0x00, 0x00]) + kid
    info = (
        LABEL_RECORD_KEY
        + bytes([KIND_APPLICATION])
        + struct.pack(">I", len(user))
        + user
        + struct.pack(">I", len(TEMPLATE_APPLICATION))
        + TEMPLATE_APPLICATION
        + BUILTIN_STATIC_IV
    )
    rk = expand(dbk, info, 64)
    ad = [fixed, bytes([KIND_APPLICATION]), user, TEMPLATE_APPLICATION, slot]
    return fixed + AESSIV(rk).encrypt(plaintext, ad)


CASES = [
    ("built-in default HashKey", "keyward-default-hashkey-CHANGEME", b"alice", b"finger-1", b"alice's template"),
    ("demo site HashKey", "Site-HashKey/for:demo#2026-11-22", b"alice", b"finger-1", b"alice's template"),
    ("second site HashKey, empty slot", "Next-HashKey/rotated:2027-01-01!", b"user-0042", b"", b"\x00\x01\x02 template bytes"),
]


def main():
    vectors = []
    for name, hk, user, slot, pt in CASES:
        dbk = template_database_key(hk)
        vectors.append(
            {
                "name": name,
                "hashkey": hk,
                "hashkey_key_id": hashkey_key_id(hk).hex(),
                "template_key_id": key_id(dbk).hex(),
                "user_hex": user.hex(),
                "slot_hex": slot.hex(),
                "plaintext_hex": pt.hex(),
                "blob_hex": seal_template(dbk, user, slot, pt).hex(),
            }
        )
    doc = {
        "description": "keyward facade template BLOBs (docs/formats.md, keyward (facade): HashKey migration); "
        "computed by tests/data/gen_hashkey_templates.py with pyca/cryptography",
        "vectors": vectors,
    }
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            have = json.load(f)
        if have != doc:
            print("keyward facade template vectors: MISMATCH with", sys.argv[2])
            sys.exit(1)
        print(f"keyward facade template vectors: {len(vectors)} vectors reproduced by pyca/cryptography")
        return
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
