"""Writes slip39_bytes_form.json: the packed bytes form of some official
SLIP-0039 vector shares, computed independently of keyward (plain Python:
word index -> 10 bits big-endian, concatenated, zero-padded to a byte).

Run from the crate directory: python3 tests/data/make_bytes_form.py
"""
import json, os

here = os.path.dirname(os.path.abspath(__file__))
words = open(os.path.join(here, "../../src/slip39/wordlist.txt")).read().split()
index = {w: i for i, w in enumerate(words)}
vectors = json.load(open(os.path.join(here, "slip39_vectors.json")))

out = []
for n in (1, 4, 20, 23, 42, 45):
    desc, mnemonics, secret, _ = vectors[n - 1]
    m = mnemonics[0]
    bits = "".join(format(index[w], "010b") for w in m.split())
    bits += "0" * (-len(bits) % 8)
    b = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    out.append({"source": f"vectors.json case {desc}", "mnemonic": m, "words": len(m.split()), "bytes_hex": b.hex()})
json.dump(out, open(os.path.join(here, "slip39_bytes_form.json"), "w"), indent=1)
