#!/usr/bin/env python3
"""Independent computation of HashKey derivation 2 (docs/formats.md, "HashKey
subkeys", derivation 2), from that text alone:

* Argon2id comes from the reference C implementation (libargon2, the P-H-C
  `phc-winner-argon2` code as packaged by Debian: `apt-get install
  libargon2-1`) through `ctypes` and `argon2_ctx`; the binding is checked
  first against the RFC 9106 section 5.3 Argon2id vector;
* HKDF-SHA256 (RFC 5869) is written out with Python's `hmac`/`hashlib`;
* derivation 1 of the same keys is computed too, so the vectors show the two
  key ids of one HashKey side by side.

Usage:
    python3 tests/data/gen_hashkey_v2.py           # rewrite hashkey_v2_vectors.json beside this file
    python3 tests/data/gen_hashkey_v2.py --check   # exit 1 if the file differs from a fresh computation
"""

import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hashkey_v2_vectors.json")

# docs/formats.md, HashKey derivation 2
ARGON2_SALT = b"keyward/hashkey/v2/argon2id"
M_KIB, T, P, OUTLEN = 65536, 3, 4, 32
V2_SALT = b"keyward/hashkey/v2"
V2_PREFIX = b"keyward/hashkey/v2/"
V1_SALT = b"keyward/hashkey/v1"
V1_PREFIX = b"keyward/hashkey/v1/"
LABELS = ["pin-pepper", "template-encryption", "blob-static-key", "superpin-escrow"]


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


class Argon2Context(ctypes.Structure):
    # argon2.h, struct Argon2_Context (API of 20171227)
    _fields_ = [
        ("out", ctypes.c_void_p), ("outlen", ctypes.c_uint32),
        ("pwd", ctypes.c_void_p), ("pwdlen", ctypes.c_uint32),
        ("salt", ctypes.c_void_p), ("saltlen", ctypes.c_uint32),
        ("secret", ctypes.c_void_p), ("secretlen", ctypes.c_uint32),
        ("ad", ctypes.c_void_p), ("adlen", ctypes.c_uint32),
        ("t_cost", ctypes.c_uint32), ("m_cost", ctypes.c_uint32),
        ("lanes", ctypes.c_uint32), ("threads", ctypes.c_uint32),
        ("version", ctypes.c_uint32),
        ("allocate_cbk", ctypes.c_void_p), ("free_cbk", ctypes.c_void_p),
        ("flags", ctypes.c_uint32),
    ]


def load_libargon2():
    for name in (ctypes.util.find_library("argon2"), "libargon2.so.1", "libargon2.so"):
        if name:
            try:
                return ctypes.CDLL(name)
            except OSError:
                pass
    sys.exit("libargon2 not found: apt-get install libargon2-1")


LIB = load_libargon2()
LIB.argon2_ctx.argtypes = [ctypes.POINTER(Argon2Context), ctypes.c_int]
LIB.argon2_ctx.restype = ctypes.c_int
LIB.argon2_error_message.argtypes = [ctypes.c_int]
LIB.argon2_error_message.restype = ctypes.c_char_p
ARGON2_ID, VERSION_13 = 2, 0x13


def argon2id(pwd, salt, secret, ad, t, m, p, outlen):
    out = ctypes.create_string_buffer(outlen)
    keep = [ctypes.create_string_buffer(x, len(x)) if x else None for x in (pwd, salt, secret, ad)]
    ptr = [ctypes.cast(k, ctypes.c_void_p) if k is not None else None for k in keep]
    ctx = Argon2Context(
        ctypes.cast(out, ctypes.c_void_p), outlen,
        ptr[0], len(pwd), ptr[1], len(salt), ptr[2], len(secret), ptr[3], len(ad),
        t, m, p, p, VERSION_13, None, None, 0,
    )
    rc = LIB.argon2_ctx(ctypes.byref(ctx), ARGON2_ID)
    if rc != 0:
        raise RuntimeError("argon2_ctx: " + LIB.argon2_error_message(rc).decode())
    return out.raw


# RFC 9106 section 5.3 (Argon2id, version 0x13)
RFC9106_TAG = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
if argon2id(b"\x01" * 32, b"\x02" * 16, b"\x03" * 8, b"\x04" * 12, 3, 32, 4, 32).hex() != RFC9106_TAG:
    sys.exit("libargon2 does not reproduce RFC 9106 5.3: binding broken")

KEYS = [
    "keyward-default-hashkey-CHANGEME",
    "0123456789abcdef0123456789abcdef",
    "Site-HashKey/for:demo#2026-11-22",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
]

cases = []
for k in KEYS:
    ikm = k.encode("ascii")
    assert len(ikm) == 32 and all(0x21 <= b <= 0x7E for b in ikm)
    s = argon2id(ikm, ARGON2_SALT, b"", b"", T, M_KIB, P, OUTLEN)
    prk = hkdf_extract(V2_SALT, s)
    cases.append({
        "hashkey": k,
        "argon2id_hex": s.hex(),
        "key_id": hkdf_expand(prk, V2_PREFIX + b"key-id", 4).hex(),
        "v1_key_id": hkdf_expand(hkdf_extract(V1_SALT, ikm), V1_PREFIX + b"key-id", 4).hex(),
        "subkeys": {l: hkdf_expand(prk, V2_PREFIX + l.encode(), 32).hex() for l in LABELS},
    })

text = json.dumps({
    "description": "keyward HashKey derivation 2 (docs/formats.md): Argon2id (libargon2) of the "
                   "HashKey, then HKDF-SHA256 (Python hmac/hashlib). Computed by gen_hashkey_v2.py.",
    "argon2id": {"salt": ARGON2_SALT.decode(), "m_kib": M_KIB, "t": T, "p": P,
                 "output_len": OUTLEN, "version": VERSION_13, "secret": "", "associated_data": ""},
    "hkdf_salt": V2_SALT.decode(),
    "info_prefix": V2_PREFIX.decode(),
    "cases": cases,
}, indent=2) + "\n"

if "--check" in sys.argv[1:]:
    with open(OUT) as f:
        if f.read() != text:
            sys.exit(OUT + " differs from a fresh computation")
    print("hashkey_v2_vectors.json matches")
else:
    with open(OUT, "w") as f:
        f.write(text)
