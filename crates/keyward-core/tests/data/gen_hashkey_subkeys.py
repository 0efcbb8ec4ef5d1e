#!/usr/bin/env python3
"""Independent computation of the keyward HashKey derivation (docs/formats.md,
"HashKey subkeys") with Python's hmac/hashlib only: HKDF-SHA256 per RFC 5869
written out here, not the Rust code. Regenerate with:

    python3 crates/keyward-core/tests/data/gen_hashkey_subkeys.py > crates/keyward-core/tests/data/hashkey_subkeys.json
"""
import hashlib
import hmac
import json

SALT = b"keyward/hashkey/v1"
PREFIX = b"keyward/hashkey/v1/"
LABELS = ["pin-pepper", "template-encryption", "blob-static-key", "superpin-escrow"]


def hkdf(salt, ikm, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


keys = [
    "keyward-default-hashkey-CHANGEME",
    "0123456789abcdef0123456789abcdef",
    "Site-HashKey/for:demo#2026-11-22",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
]
cases = []
for k in keys:
    ikm = k.encode("ascii")
    assert len(ikm) == 32 and all(0x21 <= b <= 0x7E for b in ikm)
    cases.append({
        "hashkey": k,
        "key_id": hkdf(SALT, ikm, PREFIX + b"key-id", 4).hex(),
        "subkeys": {l: hkdf(SALT, ikm, PREFIX + l.encode(), 32).hex() for l in LABELS},
    })
print(json.dumps({
    "description": "keyward HashKey key ids and purpose subkeys (HKDF-SHA256, docs/formats.md). "
                   "Computed by gen_hashkey_subkeys.py with Python hmac/hashlib.",
    "salt": SALT.decode(), "info_prefix": PREFIX.decode(), "cases": cases}, indent=2))
