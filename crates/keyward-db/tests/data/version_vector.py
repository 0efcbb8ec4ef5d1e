#!/usr/bin/env python3
"""Writes version_vectors.json: the version column values of docs/formats.md
("Database version column"), computed with the Python standard library only
(int.from_bytes, format) from the key ids' bytes."""
import json
import os

KEY_IDS = ["00000000", "00000001", "7fffffff", "80000000", "adea4f60", "33edea4e", "ffffffff"]
vectors = []
for kid in KEY_IDS:
    b = bytes.fromhex(kid)
    n = int.from_bytes(b, "big")
    vectors.append({
        "key_id": kid,
        "plaintext": n == 0,
        "integer": n,
        "text": format(n, "08x"),
    })
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "version_vectors.json")
with open(out, "w") as f:
    json.dump({"source": "version_vector.py", "vectors": vectors}, f, indent=1)
    f.write("\n")
