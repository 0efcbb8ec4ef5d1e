#!/usr/bin/env python3
"""Independent implementation of the recovery-kit formats of keyward-superpin
(docs/formats.md: "Recovery URL token", "Used Recovery URL tokens",
"Application PIN record", "Device secret file"); writes the JSON known-answer
vectors that `tests/kit_vectors.rs` checks against the Rust crate.

Written from docs/formats.md, with
  * HMAC-SHA256 and SHA-256 from Python's `hmac`/`hashlib`;
  * HKDF-SHA256 written out from RFC 5869 with `hmac`;
  * Base64url (RFC 4648 section 5, no padding) from `base64`;
  * Argon2id (RFC 9106) from `argon2-cffi` (`argon2.low_level.hash_secret_raw`);
  * AES-256-SIV (RFC 5297) from the `cryptography` package.

Regenerate (from the repository root):
    python3 -m venv /tmp/kitvenv && /tmp/kitvenv/bin/pip install argon2-cffi cryptography
    /tmp/kitvenv/bin/python crates/keyward-superpin/tests/data/gen_kit_vectors.py
(`crates/keyward-superpin/ci/kit_vectors.sh` writes them to a temporary file
and fails if they differ from the committed ones.) An optional argument names
another output file.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

HERE = os.path.dirname(os.path.abspath(__file__))


def hmac256(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def hkdf_extract(salt, ikm):
    return hmac256(salt, ikm)


def hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac256(prk, t, info, bytes([i]))
        out += t
        i += 1
    return out[:length]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pct(account):
    keep = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return "".join(chr(b) if b in keep else "%%%02X" % b for b in account.encode())


# ------------------------------------------------------------ Recovery URL token
ACCOUNT_TAG_LABEL = b"keyward/recovery-url/v1/account"
TOKEN_MAC_LABEL = b"keyward/recovery-url/v1/mac"


def token(server_key, account, token_id, issued_at, valid_for):
    tag = hmac256(server_key, ACCOUNT_TAG_LABEL, b"\x00", account.encode())[:16]
    head = bytes([1, 1]) + token_id + struct.pack(">QQ", issued_at, issued_at + valid_for) + tag
    assert len(head) == 50
    mac = hmac256(server_key, TOKEN_MAC_LABEL, b"\x00", head)
    t = head + mac
    assert len(t) == 82
    return t


def token_vectors():
    out = []
    cases = [
        (bytes(range(32)), "alice@example.com", bytes(range(0x10, 0x20)), 1_800_000_000, 86_400,
         "https://id.example.com/recover"),
        (bytes([0xA5] * 32), "bob+kw@example.org", bytes([0xFF] * 16), 0, 1826 * 86_400,
         "http://localhost:8080/r"),
        (hashlib.sha256(b"keyward kit vector 3").digest(), "Zoë", bytes(16), 4_102_444_800, 1,
         "https://example.com"),
    ]
    for key, account, tid, issued, valid, base in cases:
        t = token(key, account, tid, issued, valid)
        text = b64url(t)
        assert len(text) == 110
        out.append({
            "server_key": key.hex(),
            "account": account,
            "token_id": tid.hex(),
            "issued_at": issued,
            "valid_for": valid,
            "expires_at": issued + valid,
            "account_tag": t[34:50].hex(),
            "token_hex": t.hex(),
            "token_text": text,
            "base": base,
            "url": "%s?account=%s&token=%s" % (base, pct(account), text),
        })
    return out


# ------------------------------------------------------------ used tokens
def used_tokens_vector():
    entries = sorted([(bytes([3] * 16), 1_800_000_600), (bytes([1] * 16), 1_800_086_400)])
    rec = b"KWUT" + bytes([1]) + struct.pack(">I", len(entries))
    for tid, exp in entries:
        rec += tid + struct.pack(">Q", exp)
    return {
        "entries": [{"token_id": t.hex(), "expires_at": e} for t, e in entries],
        "record_hex": rec.hex(),
    }


# ------------------------------------------------------------ application PIN
KEK_INFO = b"keyward/app-pin/v1/kek"
AD_LABEL = b"keyward/app-pin/v1"
DEVICE_ID_LABEL = b"keyward/app-pin/v1/device-id"
SIV_KEY_INFO = b"keyward/superpin/v1/aes-256-siv"


def app_pin_record(pin, salt, device_secret, m, t, p, max_tries, installation_key):
    device_id = hashlib.sha256(DEVICE_ID_LABEL + device_secret).digest()[:16]
    stretched = hash_secret_raw(pin.encode(), salt, time_cost=t, memory_cost=m, parallelism=p,
                                hash_len=32, type=Type.ID, version=19)
    kek = hkdf_expand(hkdf_extract(device_secret, stretched), KEK_INFO, 32)
    siv_key = hkdf_expand(kek, SIV_KEY_INFO, 64)
    head = b"KWAP" + bytes([1, max_tries, 0]) + struct.pack(">III", m, t, p) + salt + device_id
    assert len(head) == 51
    ad = [AD_LABEL, head[0:6], head[7:51]]
    wrapped = AESSIV(siv_key).encrypt(installation_key, ad)
    assert len(wrapped) == 48
    rec = head + wrapped
    assert len(rec) == 99
    return {
        "pin": pin,
        "salt": salt.hex(),
        "device_secret": device_secret.hex(),
        "device_id": device_id.hex(),
        "device_secret_file_hex": (b"KWDS" + bytes([1]) + device_secret).hex(),
        "m_cost_kib": m,
        "t_cost": t,
        "p_cost": p,
        "max_tries": max_tries,
        "installation_key": installation_key.hex(),
        "argon2id": stretched.hex(),
        "kek": kek.hex(),
        "record_hex": rec.hex(),
    }


def app_pin_vectors():
    return [
        app_pin_record("493817", bytes(range(16)), bytes(range(0x20, 0x40)), 64, 1, 1, 5,
                       bytes([0x5A] * 32)),
        app_pin_record("000000", bytes([0xEE] * 16), hashlib.sha256(b"device").digest(), 256, 3, 2, 10,
                       hashlib.sha256(b"installation").digest()),
    ]


def main():
    vectors = {
        "source": "crates/keyward-superpin/tests/data/gen_kit_vectors.py (hmac, hashlib, base64, "
                  "argon2-cffi, cryptography AESSIV); formats in docs/formats.md",
        "recovery_url_tokens": token_vectors(),
        "used_tokens": used_tokens_vector(),
        "app_pin_records": app_pin_vectors(),
    }
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "kit_vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
