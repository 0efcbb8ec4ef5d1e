#!/usr/bin/env python3
"""Independent computation of the keyward-pkcs11 wrapped-key file vectors.

Implements docs/formats.md "## keyward-pkcs11" from the text alone with
pyca/cryptography (aes_key_wrap_with_padding for RFC 5649, CMAC and AES-ECB
for the KCVs) -- no keyward code is used. The RFC 5649 section 6 examples are
checked first, so the wrap itself is anchored to the standard.

Regenerate (from the repository root):

    python3 -m venv /tmp/venv-p11 && /tmp/venv-p11/bin/pip install cryptography
    /tmp/venv-p11/bin/python crates/keyward-pkcs11/tests/data/wrapped_key_vector.py \
        > crates/keyward-pkcs11/tests/data/wrapped_key_vectors.json

`--check FILE` recomputes every vector and compares with FILE instead (exit
status 1 on any difference); crates/keyward-pkcs11/ci/interop.sh runs it.
`--unwrap KEK_HEX FILE` prints the key a wrapped-key file holds (hex), after
checking its layout and both KCVs: the interop script feeds it a file exported
by a token through `keyward pkcs11 export`.
"""

import json
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

MAGIC = b"kw-p11wk"
VERSION = 1
CKM_AES_KEY_WRAP_PAD = 0x0000210A
CKK_AES = 0x0000001F
METHODS = {"cmac": 1, "ecb": 2}

# RFC 5649 section 6: KEK, key, wrapped key.
RFC5649 = [
    (
        "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
        "c37b7e6492584340bed12207808941155068f738",
        "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
    ),
    (
        "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
        "466f7250617369",
        "afbeb0f07dfbf5419200f2ccb50bb24f",
    ),
]

# Inputs of the file vectors: (name, transport key, key, label, KCV method).
CASES = [
    (
        "rfc4493-aes256-under-aes256-cmac",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "HSM_KEY_AES_ENCRYPTION_VER_13",
        "cmac",
    ),
    (
        "rfc4493-aes128-under-aes256-ecb",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "2b7e151628aed2a6abf7158809cf4f3c",
        "legacy key",
        "ecb",
    ),
    (
        "aes192-under-aes128-empty-label",
        "2b7e151628aed2a6abf7158809cf4f3c",
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        "",
        "cmac",
    ),
]


def kcv(key: bytes, method: str) -> bytes:
    if method == "cmac":
        c = CMAC(algorithms.AES(key))
        c.update(bytes(16))
        return c.finalize()[:5]
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (enc.update(bytes(16)) + enc.finalize())[:5]


def file_bytes(transport: bytes, key: bytes, label: str, method: str):
    blob = aes_key_wrap_with_padding(transport, key)
    lab = label.encode("utf-8")
    out = (
        MAGIC
        + bytes([VERSION])
        + struct.pack(">II", CKM_AES_KEY_WRAP_PAD, CKK_AES)
        + bytes([len(key), METHODS[method]])
        + kcv(transport, method)
        + kcv(key, method)
        + struct.pack(">H", len(lab))
        + lab
        + struct.pack(">H", len(blob))
        + blob
    )
    return blob, out


def check_rfc5649():
    for kek, key, wrapped in RFC5649:
        got = aes_key_wrap_with_padding(bytes.fromhex(kek), bytes.fromhex(key))
        assert got.hex() == wrapped, (key, got.hex())
        assert aes_key_unwrap_with_padding(bytes.fromhex(kek), got) == bytes.fromhex(key)


def vectors():
    check_rfc5649()
    out = {
        "description": "keyward-pkcs11 wrapped-key file, version 1 (docs/formats.md, keyward-pkcs11); "
        "computed by wrapped_key_vector.py with pyca/cryptography",
        "rfc5649": [{"kek": k, "key": x, "wrapped": w} for k, x, w in RFC5649],
        "files": [],
    }
    for name, t, k, label, method in CASES:
        transport, key = bytes.fromhex(t), bytes.fromhex(k)
        blob, data = file_bytes(transport, key, label, method)
        out["files"].append(
            {
                "name": name,
                "transport_key": t,
                "key": k,
                "label": label,
                "kcv_method": method,
                "wrapping_kcv": kcv(transport, method).hex(),
                "key_kcv": kcv(key, method).hex(),
                "blob": blob.hex(),
                "file": data.hex(),
            }
        )
    return out


def unwrap(kek_hex: str, path: str) -> str:
    """Parses a wrapped-key file as docs/formats.md says and unwraps it."""
    data = open(path, "rb").read()
    kek = bytes.fromhex(kek_hex)
    assert data[:8] == MAGIC, "magic"
    assert data[8] == VERSION, "version"
    mech, ktype = struct.unpack(">II", data[9:17])
    assert (mech, ktype) == (CKM_AES_KEY_WRAP_PAD, CKK_AES), "mechanism / key type"
    length, method_byte = data[17], data[18]
    method = {v: k for k, v in METHODS.items()}[method_byte]
    wrapping_kcv, key_kcv = data[19:24], data[24:29]
    (label_len,) = struct.unpack(">H", data[29:31])
    at = 31 + label_len
    (blob_len,) = struct.unpack(">H", data[at : at + 2])
    blob = data[at + 2 : at + 2 + blob_len]
    assert at + 2 + blob_len == len(data), "trailing bytes"
    assert kcv(kek, method) == wrapping_kcv, "the file was wrapped under another key"
    key = aes_key_unwrap_with_padding(kek, blob)
    assert len(key) == length, "key length"
    assert kcv(key, method) == key_kcv, "key KCV"
    return key.hex()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        want = json.load(open(sys.argv[2]))
        got = vectors()
        if got != want:
            print(f"{sys.argv[2]} differs from the independent computation", file=sys.stderr)
            sys.exit(1)
        print(f"{sys.argv[2]}: {len(got['files'])} file vectors and {len(got['rfc5649'])} RFC 5649 examples agree")
    elif len(sys.argv) == 4 and sys.argv[1] == "--unwrap":
        print(unwrap(sys.argv[2], sys.argv[3]))
    else:
        json.dump(vectors(), sys.stdout, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
