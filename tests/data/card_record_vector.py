#!/usr/bin/env python3
"""Independent computation of the keyward card-record vectors (docs/formats.md,
"keyward (facade): card record"): version 2 (written today) to
card_record_v2.json, version 1 (still read) to card_record_v1.json.

Needs `cryptography` (AESSIV, HKDFExpand) and `argon2-cffi` (low-level
hash_secret_raw):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install cryptography argon2-cffi
    /tmp/venv/bin/python tests/data/card_record_vector.py 2 > tests/data/card_record_v2.json
    /tmp/venv/bin/python tests/data/card_record_vector.py 1 > tests/data/card_record_v1.json

With `--check FILE` (after the version) it recomputes and compares instead of
printing (exit 1 on a difference). The inputs (key, SLIP-0039 share of it, salt, PIN) are fixed;
the share is share 1 of a 2-of-3 SLIP-0039 split of the key made by
`cargo test -p keyward --test backup print_vector_inputs -- --ignored --nocapture`.
"""
import hashlib
import json
import struct
import sys

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

KEY = "98191f46e5830216445436978803697a5e3ab61b1e8951d4fe9ae67bab614a5f"
SHARE = "f8f7000001078c2b1a1d9f1a10a0510396afbbeb393cf09f0b44f0b0e506d6f77c59c9f20f173da8b1c0"
SET_ID = 0x7C7B  # the SLIP-0039 identifier of SHARE (first 15 bits)
THRESHOLD, SHARES, NUMBER = 2, 3, 1
LABEL = "backup card 1 of 3"
PIN = "123456"
SALT = bytes(range(16))
M_COST, T_COST, P_COST = 64, 1, 1
WRONG_PINS = 0
# Version 2 flags: bit 0 weak Argon2 for tests (m, t below 19456 KiB, 2
# passes: set here, 64 KiB), bit 1 sealed under the default PIN 123456 (set).
FLAG_WEAK, FLAG_DEFAULT_PIN = 0x01, 0x02


def kcv(key: bytes) -> bytes:
    c = cmac.CMAC(algorithms.AES(key))
    c.update(bytes(16))
    return c.finalize()[:5]


def main() -> int:
    version = int(sys.argv[1])
    assert version in (1, 2)
    weak = M_COST < 19456 or T_COST < 2
    flags = (FLAG_WEAK if weak else 0) | (FLAG_DEFAULT_PIN if PIN == "123456" else 0)
    key = bytes.fromhex(KEY)
    share = bytes.fromhex(SHARE)
    header = (
        b"KWCD"
        + (bytes([1]) if version == 1 else bytes([2, flags]))
        + bytes([len(LABEL)])
        + LABEL.encode("ascii")
        + struct.pack(">HBBB", SET_ID, THRESHOLD, SHARES, NUMBER)
        + kcv(key)
        + struct.pack(">III", M_COST, T_COST, P_COST)
        + SALT
    )
    pin_key = hash_secret_raw(
        PIN.encode(), SALT, time_cost=T_COST, memory_cost=M_COST,
        parallelism=P_COST, hash_len=32, type=Type.ID, version=19,
    )
    siv_key = HKDFExpand(hashes.SHA256(), 64, b"keyward/card/v1/aes-256-siv").derive(pin_key)
    sealed = AESSIV(siv_key).encrypt(share, [header])  # V (16) || C
    body = header + bytes([WRONG_PINS, len(sealed)]) + sealed
    record = body + hashlib.sha256(body).digest()[:8]
    out = {
        "description": f"keyward card record v{version} (docs/formats.md, 'keyward (facade): card record'); "
        "computed by tests/data/card_record_vector.py with cryptography AESSIV/HKDFExpand/CMAC "
        "and argon2-cffi hash_secret_raw",
        "key": KEY,
        "kcv": kcv(key).hex(),
        "share": SHARE,
        "set_id": f"{SET_ID:04x}",
        "threshold": THRESHOLD,
        "shares": SHARES,
        "number": NUMBER,
        "label": LABEL,
        "pin": PIN,
        "salt": SALT.hex(),
        "m_cost_kib": M_COST,
        "t_cost": T_COST,
        "p_cost": P_COST,
    }
    if version == 2:
        out["flags"] = f"{flags:02x}"
    out |= {
        "header": header.hex(),
        "argon2id_pin_key": pin_key.hex(),
        "siv_key": siv_key.hex(),
        "sealed": sealed.hex(),
        "record": record.hex(),
    }
    text = json.dumps(out, indent=2) + "\n"
    if len(sys.argv) == 4 and sys.argv[2] == "--check":
        with open(sys.argv[3], encoding="utf-8") as f:
            stored = json.load(f)
        if stored != out:
            print(f"card record vector v{version}: MISMATCH with", sys.argv[3])
            return 1
        print(f"card record vector v{version}: 1 passed, 0 failed")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
