#!/usr/bin/env python3
"""Independent implementation of the keyward-superpin formats; writes the JSON
known-answer vectors that `tests/vectors.rs` checks against the Rust crate.

Independent of the Rust code on purpose:
  * GF(32) arithmetic with log/antilog tables built from x^5 + x^2 + 1
    (Rust multiplies by shift-and-XOR);
  * Crockford Base32 through a dict (Rust uses branch-free range masks);
  * HKDF-SHA256 written out from RFC 5869 with `hmac`/`hashlib`;
  * AES-256-SIV (RFC 5297) and Argon2id from the `cryptography` package.

Regenerate (from the repository root):
    python3 -m venv /tmp/spvenv && /tmp/spvenv/bin/pip install cryptography
    /tmp/spvenv/bin/python crates/keyward-superpin/tests/data/gen_vectors.py
(`crates/keyward-superpin/ci/python_vectors.sh` writes them to a temporary
file and fails if they differ from the committed ones.) An optional argument
names another output file.
"""

import hashlib
import hmac
import json
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- GF(32)
EXP = [0] * 62
LOG = [None] * 32
x = 1
for i in range(31):
    EXP[i] = EXP[i + 31] = x
    LOG[x] = i
    x <<= 1
    if x & 0x20:
        x ^= 0b100101  # x^5 + x^2 + 1
assert sorted(EXP[:31]) == list(range(1, 32)), "alpha = x must be primitive"


def mul(a, b):
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]


WEIGHTS = [EXP[1], EXP[2], EXP[3], EXP[4], EXP[5], EXP[0]]
assert WEIGHTS == [2, 4, 8, 16, 5, 1]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DECODE = {c: i for i, c in enumerate(ALPHABET)}
DECODE.update({c.lower(): i for i, c in enumerate(ALPHABET)})
DECODE.update({"O": 0, "o": 0, "I": 1, "i": 1, "L": 1, "l": 1})

KINDS = {
    "super-pin": {"groups": 9, "constants": list(range(1, 10)), "salt": b"keyward/superpin/v1"},
    "recovery-code": {"groups": 5, "constants": [17, 18, 19, 20, 21], "salt": b"keyward/recovery-code/v1"},
}
VERSION = 1
LABELS = ["account-slot", "local-key-repository", "slot-id"]


def check_symbol(k, payload):
    acc = k
    for w, c in zip(WEIGHTS, payload):
        acc ^= mul(w, c)
    return acc


def display(kind, symbols):
    spec = KINDS[kind]
    groups = []
    for g in range(spec["groups"]):
        p = symbols[5 * g: 5 * g + 5]
        groups.append("".join(ALPHABET[v] for v in p) + ALPHABET[check_symbol(spec["constants"][g], p)])
    return "-".join(groups)


def parse(kind, text):
    """Returns ("ok", symbols) or (error type, details), following the spec
    in docs/formats.md."""
    spec = KINDS[kind]
    vals = []
    for pos, ch in enumerate(text, 1):
        if ch == "-" or ch.isspace():
            continue
        n = len(vals)
        if ch not in DECODE:
            where = {"position": pos, "group": n // 6 + 1, "index": n % 6 + 1}
            if ch in "Uu":
                return "letter_u", where
            return "character", dict(where, character=ch)
        vals.append(DECODE[ch])
    if len(vals) != 6 * spec["groups"]:
        return "length", {"expected": 6 * spec["groups"], "found": len(vals)}
    bad = []
    for g in range(spec["groups"]):
        grp = vals[6 * g: 6 * g + 6]
        s = spec["constants"][g]
        for w, c in zip(WEIGHTS, grp):
            s ^= mul(w, c)
        if s:
            bad.append(g + 1)
    if bad:
        return "check", {"groups": bad}
    if vals[0] != VERSION:
        return "version", {"found": vals[0]}
    return "ok", [v for g in range(spec["groups"]) for v in vals[6 * g: 6 * g + 5]]


def pack(symbols):
    bits = "".join(format(v, "05b") for v in symbols)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i: i + 8], 2) for i in range(0, len(bits), 8))


# ---------------------------------------------------------------- HKDF (RFC 5869)
def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


# RFC 5869 test case 1, to check this HKDF.
_prk = hkdf_extract(bytes.fromhex("000102030405060708090a0b0c"), bytes([0x0B] * 22))
assert hkdf_expand(_prk, bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42).hex() == (
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
)


def derive_key(kind, symbols, label):
    salt = KINDS[kind]["salt"]
    return hkdf_expand(hkdf_extract(salt, pack(symbols)), salt + b"/" + label.encode(), 32)


# ---------------------------------------------------------------- AES-256-SIV
def siv_key(kek):
    return hkdf_expand(kek, b"keyward/superpin/v1/aes-256-siv", 64)


def wrap(kek, ad, secret):
    return AESSIV(siv_key(kek)).encrypt(secret, ad)  # V || C


def unwrap(kek, ad, wrapped):
    return AESSIV(siv_key(kek)).decrypt(wrapped, ad)


# RFC 5297 A.1, to check the SIV library's output layout (V || C).
_a1 = AESSIV(bytes.fromhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"))
assert _a1.encrypt(
    bytes.fromhex("112233445566778899aabbccddee"), [bytes.fromhex("101112131415161718191a1b1c1d1e1f2021222324252627")]
).hex() == "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c"


def argon2id(password, salt, m, t, p):
    return Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(password)


# ---------------------------------------------------------------- deterministic "randomness"
def stream(tag):
    n = 0
    while True:
        for b in hashlib.sha256(tag.encode() + n.to_bytes(4, "big")).digest():
            yield b
        n += 1


def symbols_from(tag, kind):
    g = stream(tag)
    n = 5 * KINDS[kind]["groups"]
    return [VERSION] + [next(g) & 31 for _ in range(n - 1)]


def take(tag, n):
    g = stream(tag)
    return bytes(next(g) for _ in range(n))


# ---------------------------------------------------------------- code vectors
def code_vectors():
    out = []
    for kind in KINDS:
        n = 5 * KINDS[kind]["groups"]
        samples = [
            ("all zero after the version", [VERSION] + [0] * (n - 1)),
            ("all 31 after the version", [VERSION] + [31] * (n - 1)),
            ("counting", [VERSION] + [i % 32 for i in range(1, n)]),
        ] + [(f"pseudo-random {i}", symbols_from(f"{kind}/{i}", kind)) for i in range(5)]
        for name, sym in samples:
            out.append({
                "kind": kind,
                "name": name,
                "payload_symbols": sym,
                "display": display(kind, sym),
                "packed_hex": pack(sym).hex(),
                "keys": {label: derive_key(kind, sym, label).hex() for label in LABELS},
            })
    return out


def parse_vectors(codes):
    out = []

    def add(kind, name, text):
        res, detail = parse(kind, text)
        v = {"kind": kind, "name": name, "input": text, "result": res}
        if res == "ok":
            v["display"] = display(kind, detail)
        else:
            v.update(detail)
        out.append(v)

    for kind in KINDS:
        c = next(v for v in codes if v["kind"] == kind and v["name"] == "pseudo-random 0")["display"]
        d = next(v for v in codes if v["kind"] == kind and v["name"] == "pseudo-random 1")["display"]
        plain = c.replace("-", "")
        add(kind, "canonical", c)
        add(kind, "lowercase", c.lower())
        add(kind, "spaces instead of hyphens", c.replace("-", " "))
        add(kind, "no separators, surrounding whitespace", "  " + plain + "\n")
        add(kind, "0 typed as O and 1 as I or L", c.replace("0", "O").replace("1", "l", 1).replace("1", "I"))
        # substitution in group 2, character 3
        s = list(plain)
        s[8] = ALPHABET[(DECODE[s[8]] + 7) % 32]
        add(kind, "one substitution in group 2", "".join(s))
        # substitutions in groups 1, 3 and last
        s = list(plain)
        last = len(s) - 1
        for i in (0 + 4, 12 + 0, last):
            s[i] = ALPHABET[(DECODE[s[i]] + 1) % 32]
        add(kind, "substitutions in three groups", "".join(s))
        # adjacent transposition of two different characters in group 2
        s = list(plain)
        j = next(i for i in range(6, 11) if s[i] != s[i + 1])
        s[j], s[j + 1] = s[j + 1], s[j]
        add(kind, "adjacent transposition in group 2", "".join(s))
        # exchange of groups 1 and 2
        gs = c.split("-")
        gs[0], gs[1] = gs[1], gs[0]
        add(kind, "groups 1 and 2 exchanged", "-".join(gs))
        # a group of another code of the same kind in slot 3
        gs = c.split("-")
        gs[2] = d.split("-")[3]
        add(kind, "group 4 of another code typed in slot 3", "-".join(gs))
        add(kind, "one character missing", plain[:-1])
        add(kind, "one character too many", plain + "0")
        add(kind, "letter U", plain[:9] + "U" + plain[10:])
        add(kind, "lowercase u", plain[:20] + "u" + plain[21:])
        add(kind, "invalid character", plain[:3] + "*" + plain[4:])
        add(kind, "non-ASCII character", c[:13] + "\u00e9" + c[14:])
        # a code whose checks pass but whose version symbol is 2
        sym = symbols_from(f"{kind}/version", kind)
        sym[0] = 2
        add(kind, "version 2", display(kind, sym))
    # the kinds do not mix: a Recovery Code's groups fail in every Super PIN slot
    rc = next(v for v in codes if v["kind"] == "recovery-code")["display"]
    sp = next(v for v in codes if v["kind"] == "super-pin" and v["name"] == "pseudo-random 0")["display"]
    mixed = rc.split("-") + sp.split("-")[5:]
    add("super-pin", "Recovery Code groups in slots 1-5", "-".join(mixed))
    return out


# ---------------------------------------------------------------- records
SMALL = (64, 1, 1)  # m KiB, t, p: small parameters so the vector is fast


def account_vector():
    account_id = b"alice@example.com"
    password = b"correct horse battery staple"
    master = take("account/master", 32)
    salt = take("account/salt", 16)
    pin_sym = symbols_from("account/super-pin", "super-pin")
    rc_sym = symbols_from("account/recovery-code", "recovery-code")
    used_sym = symbols_from("account/used-recovery-code", "recovery-code")
    m, t, p = SMALL
    pw_kek = argon2id(password, salt, m, t, p)
    rec = b"KWAK" + bytes([1, len(account_id)]) + account_id
    rec += struct.pack(">III", m, t, p) + salt
    rec += wrap(pw_kek, [account_id, b"password"], master)
    rec += b"\x01" + wrap(derive_key("super-pin", pin_sym, "account-slot"), [account_id, b"super-pin"], master)
    rc_id = derive_key("recovery-code", rc_sym, "slot-id")[:8]
    rec += b"\x01" + rc_id + wrap(derive_key("recovery-code", rc_sym, "account-slot"), [account_id, b"recovery-code"], master)
    used_id = derive_key("recovery-code", used_sym, "slot-id")[:8]
    rec += b"\x01" + used_id
    return {
        "note": "AccountKeys v1 record built by gen_vectors.py; Argon2id m=64 KiB, t=1, p=1",
        "account_id": account_id.decode(),
        "password": password.decode(),
        "argon2": {"m_cost_kib": m, "t_cost": t, "p_cost": p},
        "salt_hex": salt.hex(),
        "password_kek_hex": pw_kek.hex(),
        "master_key_hex": master.hex(),
        "super_pin": display("super-pin", pin_sym),
        "recovery_code": display("recovery-code", rc_sym),
        "used_recovery_code": display("recovery-code", used_sym),
        "record_hex": rec.hex(),
    }


def repository_vector(account):
    repo_id = b"example.com"
    master_password = "a master password of 33 characters"[:33]
    assert len(master_password) >= 20
    salt = take("repository/salt", 16)
    m, t, p = SMALL
    key = argon2id(master_password.encode(), salt, m, t, p)
    check = AESSIV(siv_key(key)).encrypt(b"", [repo_id, b"repository-check"])
    assert len(check) == 16
    pin_sym = parse("super-pin", account["super_pin"])[1]
    escrowed = derive_key("super-pin", pin_sym, "account-slot")
    aid = account["account_id"].encode()
    rec = b"KWSR" + bytes([1, len(repo_id)]) + repo_id + struct.pack(">III", m, t, p) + salt + check
    rec += struct.pack(">H", 1) + bytes([len(aid)]) + aid + wrap(key, [repo_id, b"escrow", aid], escrowed)
    return {
        "note": "Repository v1 record built by gen_vectors.py; escrows the Super PIN slot KEK of the account vector",
        "repository_id": repo_id.decode(),
        "master_password": master_password,
        "argon2": {"m_cost_kib": m, "t_cost": t, "p_cost": p},
        "repository_key_hex": key.hex(),
        "escrowed_kek_hex": escrowed.hex(),
        "record_hex": rec.hex(),
    }


def main():
    codes = code_vectors()
    account = account_vector()
    doc = {
        "source": "crates/keyward-superpin/tests/data/gen_vectors.py (independent Python implementation)",
        "gf32_polynomial": "x^5 + x^2 + 1",
        "weights": WEIGHTS,
        "group_constants": {k: v["constants"] for k, v in KINDS.items()},
        "codes": codes,
        "parse": parse_vectors(codes),
        "account_keys": account,
        "repository": repository_vector(account),
    }
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "superpin_vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}: {len(doc['codes'])} codes, {len(doc['parse'])} parse cases")


if __name__ == "__main__":
    main()
