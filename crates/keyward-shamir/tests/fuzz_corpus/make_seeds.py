"""Regenerates the seed corpora from the official SLIP-0039 vectors.

Run from the crate directory: python3 tests/fuzz_corpus/make_seeds.py
"""
import json, os

here = os.path.dirname(os.path.abspath(__file__))
words = open(os.path.join(here, "../../src/slip39/wordlist.txt")).read().split()
index = {w: i for i, w in enumerate(words)}
vectors = json.load(open(os.path.join(here, "../data/slip39_vectors.json")))

def pack(mnemonic):
    bits = "".join(format(index[w], "010b") for w in mnemonic.split())
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))

def write(target, name, data):
    with open(os.path.join(here, target, name), "wb") as f:
        f.write(data)

for n, (desc, mnemonics, secret, _xprv) in enumerate(vectors, 1):
    for j, m in enumerate(mnemonics):
        if n % 3 == 0 or secret == "":
            write("shamir_slip39_mnemonic", f"v{n:02}_{j}", m.encode())
        if all(w in index for w in m.split()):
            write("shamir_slip39_bytes", f"v{n:02}_{j}", pack(m))
    if all(all(w in index for w in m.split()) for m in mnemonics):
        write("shamir_slip39_combine", f"v{n:02}", b"\xff\x00\xff".join(pack(m) for m in mnemonics))

# Raw combine: k, then (x, len, value) records.
write("shamir_raw_combine", "k2_two_shares", bytes([2, 1, 4, 1, 2, 3, 4, 2, 4, 5, 6, 7, 8]))
write("shamir_raw_combine", "k2_duplicate", bytes([2, 1, 2, 9, 9, 1, 2, 9, 9]))
write("shamir_raw_combine", "k2_zero_x", bytes([2, 0, 2, 9, 9, 1, 2, 9, 9]))
write("shamir_raw_combine", "k3_three", bytes([3, 1, 1, 5, 2, 1, 6, 3, 1, 7, 4, 1, 8]))
write("shamir_raw_combine", "k0", bytes([0, 1, 1, 5]))
write("shamir_raw_combine", "empty", b"")
