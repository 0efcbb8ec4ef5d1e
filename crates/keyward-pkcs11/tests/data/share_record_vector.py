#!/usr/bin/env python3
"""Independent computation of the keyward-pkcs11 share-record vectors.

Implements docs/formats.md "## keyward-pkcs11", "A backup-key share on a
token", from the text alone: the record layout with struct and hashlib
(SHA-256 checksum), the set id, member index and threshold read from the
SLIP-0039 bytes form bit by bit (docs/formats.md, keyward-shamir, "Card bytes
form"; SLIP-0039 "Format of the share mnemonic"), the KCV with
pyca/cryptography's CMAC -- no keyward code is used.

The inputs are the RFC 4493 section 4 AES-256 key and its three 2-of-3
SLIP-0039 shares in bytes form, made once with
`echo KEY | keyward shamir split --threshold 2 --shares 3 --format hex`;
tests/token_card_vectors.rs recovers the key from two of the records.

Regenerate (from the repository root):

    python3 crates/keyward-pkcs11/tests/data/share_record_vector.py \
        > crates/keyward-pkcs11/tests/data/share_record_vectors.json

`--check FILE` recomputes and compares with FILE (exit status 1 on any
difference); crates/keyward-pkcs11/ci/interop.sh runs it.
"""

import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

KEY = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
SHARES = [
    "a67d10000102f7adb68fb2b6e5190b7b0878763f78ef7eab0b732f3b6b93f4770ed60245596548889c40",
    "a67d10001109133b28e30f430ca393bbe1e1ae7500f8228406060137bf2162f85c4bd545206be7d290c0",
    "a67d100021048e809bf768ed27cd9b4acaea670a2971d754b029628372f6d9781bfc1c45badf35cbc6c0",
]
N = 3


def kcv5(key: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(bytes(16))
    return c.finalize()[:5]


def share_fields(share: bytes):
    """Identifier, member index and member threshold from the packed bits."""
    bits = int.from_bytes(share, "big")
    total = 8 * len(share)

    def field(offset, width):
        return (bits >> (total - offset - width)) & ((1 << width) - 1)

    identifier = field(0, 15)
    # 15 id, 1 ext, 4 e, 4 group index, 4 group threshold - 1, 4 group count - 1
    member_index = field(32, 4)
    member_threshold = field(36, 4) + 1
    return identifier, member_index, member_threshold


def record(kind: int, label: str, share: bytes, n: int, kcv: bytes) -> bytes:
    set_id, index, k = share_fields(share)
    lab = label.encode("ascii")
    out = b"KWTS" + bytes([1, kind, len(lab)]) + lab
    out += struct.pack(">HBBB", set_id, k, n, index + 1) + kcv
    if kind == 2:
        out += bytes([len(share)]) + share
    return out + hashlib.sha256(out).digest()[:8]


def vectors():
    key = bytes.fromhex(KEY)
    kcv = kcv5(key)
    out = {
        "description": "keyward-pkcs11 share records (docs/formats.md, keyward-pkcs11, "
        "'A backup-key share on a token'), computed by share_record_vector.py",
        "key": KEY,
        "kcv": kcv.hex(),
        "records": [],
    }
    for s in SHARES:
        share = bytes.fromhex(s)
        set_id, index, k = share_fields(share)
        label = f"backup card {index + 1} of {N}"
        for kind, name in [(2, "share"), (1, "header")]:
            out["records"].append(
                {
                    "kind": name,
                    "label": label,
                    "object_label": f"keyward set {set_id:04X} card {index + 1} of {N}",
                    "set_id": set_id,
                    "threshold": k,
                    "shares": N,
                    "number": index + 1,
                    "share": s if kind == 2 else None,
                    "bytes": record(kind, label, share, N, kcv).hex(),
                }
            )
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            committed = json.load(f)
        if committed != vectors():
            print(f"share_record_vector.py: {sys.argv[2]} differs from the recomputation", file=sys.stderr)
            sys.exit(1)
        print(f"share_record_vector.py: {sys.argv[2]} matches")
        return
    json.dump(vectors(), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
