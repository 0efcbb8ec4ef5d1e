#!/usr/bin/env python3
"""Independent computation of the keyward-pinhash known answers.

Nothing here shares code with the Rust crate:

* HKDF-SHA256 (RFC 5869) is written out with Python's `hmac`/`hashlib`;
* Argon2id comes from the reference C implementation (libargon2, the P-H-C
  `phc-winner-argon2` code as packaged by Debian: `apt-get install
  libargon2-1`), called through `ctypes` and its `argon2_ctx` entry point,
  the only one that takes a secret K and associated data X;
* the PHC string is assembled here with `base64` (standard alphabet, `=`
  padding stripped).

Usage:
    python3 gen_vectors.py            # rewrite pinhash_vectors.json beside this file
    python3 gen_vectors.py --check    # exit 1 if the file differs from a fresh computation
    python3 gen_vectors.py --cli target/debug/keyward
                                      # random-salt round trips between the CLI and libargon2

The RFC 9106 §5.3 Argon2id vector is checked against libargon2 first, so a
wrong binding cannot produce plausible-looking vectors.
"""

import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pinhash_vectors.json")


# ---- HKDF-SHA256 (RFC 5869) ----
def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def hashkey_pepper(hash_key: str):
    """(pepper, key id) of a site HashKey (keyward-core, docs/formats.md)."""
    prk = hkdf_extract(b"keyward/hashkey/v1", hash_key.encode("ascii"))
    pepper = hkdf_expand(prk, b"keyward/hashkey/v1/pin-pepper", 32)
    key_id = hkdf_expand(prk, b"keyward/hashkey/v1/key-id", 4)
    return pepper, key_id


def hashkey_pepper_v2(hash_key: str):
    """(pepper, key id) of a site HashKey under HashKey derivation 2
    (docs/formats.md, "HashKey subkeys"): Argon2id first, then HKDF."""
    s = argon2id(hash_key.encode("ascii"), b"keyward/hashkey/v2/argon2id", b"", b"", 3, 65536, 4, 32)
    prk = hkdf_extract(b"keyward/hashkey/v2", s)
    return hkdf_expand(prk, b"keyward/hashkey/v2/pin-pepper", 32), hkdf_expand(prk, b"keyward/hashkey/v2/key-id", 4)


def raw_pepper(pepper: bytes):
    """(pepper, key id) of a raw 32-byte pepper (keyward-pinhash)."""
    prk = hkdf_extract(b"keyward/pinhash/v1/raw-pepper", pepper)
    return pepper, hkdf_expand(prk, b"keyward/pinhash/v1/raw-pepper/key-id", 4)


# ---- libargon2 through ctypes ----
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


ARGON2_ID = 2
ARGON2_VERSION_13 = 0x13


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


def argon2id(pwd: bytes, salt: bytes, secret: bytes, ad: bytes, t: int, m: int, p: int, outlen: int) -> bytes:
    out = ctypes.create_string_buffer(outlen)
    keep = [ctypes.create_string_buffer(x, len(x)) if x else None for x in (pwd, salt, secret, ad)]
    ptr = [ctypes.cast(k, ctypes.c_void_p) if k is not None else None for k in keep]
    ctx = Argon2Context(
        ctypes.cast(out, ctypes.c_void_p), outlen,
        ptr[0], len(pwd), ptr[1], len(salt), ptr[2], len(secret), ptr[3], len(ad),
        t, m, p, p, ARGON2_VERSION_13, None, None, 0,
    )
    rc = LIB.argon2_ctx(ctypes.byref(ctx), ARGON2_ID)
    if rc != 0:
        raise RuntimeError("argon2_ctx: " + LIB.argon2_error_message(rc).decode())
    return out.raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


# RFC 9106 §5.3 (Argon2id, version 0x13)
RFC9106_TAG = bytes.fromhex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")


def check_rfc9106():
    tag = argon2id(b"\x01" * 32, b"\x02" * 16, b"\x03" * 8, b"\x04" * 12, 3, 32, 4, 32)
    if tag != RFC9106_TAG:
        sys.exit("libargon2 does not reproduce RFC 9106 5.3: binding broken")


# ---- the cases ----
SITE_HASHKEY = "Site-HashKey/for:demo#2026-11-22"
DEFAULT_HASHKEY = "keyward-default-hashkey-CHANGEME"
RAW = bytes(range(0x20, 0x40))

CASES = [
    # label, input (str), pepper source, salt hex, m, t, p, user id (None: unbound)
    ("pin6-site-hashkey-owasp", "483920", ("hashkey", SITE_HASHKEY), "000102030405060708090a0b0c0d0e0f", 19456, 2, 1, "alice"),
    ("pin4-default-hashkey-small", "2580", ("hashkey", DEFAULT_HASHKEY), "f0e1d2c3b4a5968778695a4b3c2d1e0f", 64, 1, 1, "bob@example.org"),
    ("pin16-raw-pepper-p2", "9081726354453627", ("raw", RAW.hex()), "a1a2a3a4a5a6a7a8a9aaabacadaeafb0", 256, 3, 2, "user-0000000042"),
    ("password-nfkc-raw-pepper", "ﬁrst Ⅻ café", ("raw", RAW.hex()), "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", 128, 2, 1, "zoë"),
    ("empty-input-site-hashkey", "", ("hashkey", SITE_HASHKEY), "0123456789abcdef0123456789abcdef", 32, 1, 4, "a-user-id-longer-than-the-32-bytes-argon2-crates-allow-as-ad"),
    # Made before hashes were bound to their user: no bind=user, X empty.
    ("pin6-unbound-legacy", "483920", ("hashkey", SITE_HASHKEY), "00112233445566778899aabbccddeeff", 64, 1, 1, None),
]


def user_ad(user):
    """Argon2 associated data X of a hash bound to `user`: SHA-256 of its UTF-8 bytes."""
    return b"" if user is None else hashlib.sha256(user.encode("utf-8")).digest()


def phc_string(m, t, p, key_id, bound, salt, tag):
    bind = ",bind=user" if bound else ""
    return f"$argon2id$v=19$m={m},t={t},p={p},keyid={b64(key_id)}{bind}${b64(salt)}${b64(tag)}"


def nfkc(s: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFKC", s)


def compute():
    vectors = []
    for label, text, (kind, source), salt_hex, m, t, p, user in CASES:
        if kind == "hashkey":
            pepper, key_id = hashkey_pepper(source)
        else:
            pepper, key_id = raw_pepper(bytes.fromhex(source))
        hashed = nfkc(text).encode("utf-8")
        salt = bytes.fromhex(salt_hex)
        ad = user_ad(user)
        tag = argon2id(hashed, salt, pepper, ad, t, m, p, 32)
        phc = phc_string(m, t, p, key_id, user is not None, salt, tag)
        v = {
            "label": label,
            "input": text,
            "input_nfkc_hex": hashed.hex(),
            "pepper_source": kind,
            "user": user,
            "ad_hex": ad.hex(),
        }
        if kind == "hashkey":
            v["hash_key"] = source
        else:
            v["raw_pepper_hex"] = source
        v.update({
            "pepper_hex": pepper.hex(),
            "key_id_hex": key_id.hex(),
            "salt_hex": salt_hex,
            "m": m, "t": t, "p": p,
            "tag_hex": tag.hex(),
            "phc": phc,
        })
        vectors.append(v)
    return {
        "description": "keyward-pinhash known answers: Argon2id v19, secret K = pepper, associated data X = SHA-256(user id) "
        "for hashes bound to their user (bind=user), empty for the unbound legacy case (user null), 32-byte tag. "
        "Computed by tests/data/gen_vectors.py with HKDF from Python hmac/hashlib and Argon2id from libargon2 (reference C code) via ctypes.",
        "vectors": vectors,
    }


def b64decode(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4))


def check_cli(cli: str) -> int:
    """Round trips with the `keyward` binary on fresh random salts: its
    hashes verify under libargon2, and libargon2's hashes verify under it."""
    import subprocess
    import tempfile
    # A key from `keyward hashkey generate` (the CLI refuses typed keys such
    # as SITE_HASHKEY below its strength floor), under both HashKey derivations.
    hash_key = "HCjQFrv)G1cUFl>fi;b%Rm?L1&MSla[U"
    with tempfile.NamedTemporaryFile("w", suffix=".hashkey", delete=False) as f:
        f.write(hash_key + "\n")
        key_file = f.name
    try:
        n = 0
        for derivation, (pepper, key_id) in (("1", hashkey_pepper(hash_key)), ("2", hashkey_pepper_v2(hash_key))):
            n += cli_round_trips(cli, key_file, ["--hashkey-derivation", derivation], pepper, key_id)
        return n
    finally:
        os.unlink(key_file)


def cli_round_trips(cli, key_file, derivation_args, pepper, key_id) -> int:
    """Three PINs each way between the CLI (under `derivation_args`) and libargon2."""
    import subprocess
    n = 0
    for pin, user in (("483920", "alice"), ("90817263", "bob@example.org"), ("5281", "zoë")):
        # keyward -> libargon2
        phc = subprocess.run([cli, "pin", "hash", *derivation_args, "--user", user, "--hash-key-file", key_file], input=pin + "\n",
                             capture_output=True, text=True, check=True).stdout.strip()
        _, alg, ver, params, salt, tag = phc.split("$")
        kv = dict(x.split("=") for x in params.split(","))
        assert (alg, ver) == ("argon2id", "v=19"), phc
        assert b64decode(kv["keyid"]) == key_id, phc
        assert kv.get("bind") == "user", phc
        ours = argon2id(pin.encode(), b64decode(salt), pepper, user_ad(user),
                        int(kv["t"]), int(kv["m"]), int(kv["p"]), 32)
        if ours != b64decode(tag):
            sys.exit(f"libargon2 does not reproduce keyward's hash {phc}")
        # libargon2 -> keyward
        salt = os.urandom(16)
        tag = argon2id(pin.encode(), salt, pepper, user_ad(user), 2, 19456, 1, 32)
        theirs = phc_string(19456, 2, 1, key_id, True, salt, tag)
        r = subprocess.run([cli, "pin", "verify", *derivation_args, "--user", user, "--hash-key-file", key_file],
                           input=f"{pin}\n{theirs}\n", capture_output=True, text=True)
        if r.returncode != 0 or r.stdout.strip() != "match":
            sys.exit(f"keyward does not verify libargon2's hash {theirs}: {r.stderr.strip()}")
        # ... and not for another user.
        r = subprocess.run([cli, "pin", "verify", *derivation_args, "--user", user + "-other", "--hash-key-file", key_file],
                           input=f"{pin}\n{theirs}\n", capture_output=True, text=True)
        if r.returncode == 0:
            sys.exit(f"keyward verified {theirs} for another user")
        n += 2
    return n


def main():
    check_rfc9106()
    if "--cli" in sys.argv:
        cli = sys.argv[sys.argv.index("--cli") + 1]
        n = check_cli(cli)
        print(f"pinhash interop: {n} random-salt hashes cross-verified between keyward and libargon2")
        return
    text = json.dumps(compute(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("pinhash_vectors.json differs from an independent recomputation")
        print(f"pinhash vectors: {len(CASES)} reproduced by libargon2 (and RFC 9106 5.3)")
    else:
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
