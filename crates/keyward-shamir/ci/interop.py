"""SLIP-0039 interoperability: keyward <-> shamir-mnemonic 0.3.0 (the reference).

Usage: python interop.py /path/to/keyward

Both directions on random secrets: 16 and 32 bytes, with and without a
passphrase, one group and several groups, extendable flag both ways on the
reference side. Shares made by `keyward shamir split` are recovered by the
reference's combine_mnemonics from a random sufficient subset in random
order; shares made by the reference's generate_mnemonics are recovered by
`keyward shamir combine`. Prints one line per case and a summary line;
exits 1 on any mismatch. Each passing case is printed with VERBOSE=1; failures always.
"""
import os
import random
import subprocess
import sys
import tempfile

import shamir_mnemonic

KEYWARD = sys.argv[1]
rnd = random.SystemRandom()

# (group threshold, groups)
LAYOUTS = [
    (1, [(2, 3)]),
    (1, [(3, 5)]),
    (2, [(2, 3), (1, 1), (3, 5)]),
    (3, [(2, 2), (1, 1), (2, 4), (3, 3)]),
]




VERBOSE = os.environ.get("VERBOSE") == "1"


def ok(line):
    if VERBOSE:
        print(f"ok    {line}")


def keyward(args, stdin, passfile):
    cmd = [KEYWARD, "shamir"] + args
    if passfile:
        cmd += ["--passphrase-file", passfile]
    r = subprocess.run(cmd, input=stdin.encode(), capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.decode().strip()}")
    return r.stdout.decode()


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for length in (16, 32):
            for passphrase in (b"", b"correct horse battery staple"):
                passfile = None
                if passphrase:
                    passfile = os.path.join(tmp, "pass")
                    with open(passfile, "wb") as f:
                        f.write(passphrase + b"\n")
                for gt, layout in LAYOUTS:
                    secret = os.urandom(length)
                    label = (
                        f"{length} bytes, {'passphrase' if passphrase else 'no passphrase'}, "
                        f"{gt} of groups {' '.join(f'{t}/{n}' for t, n in layout)}"
                    )
                    # keyward -> reference
                    try:
                        args = ["split", "--group-threshold", str(gt), "--iteration-exponent", "0"]
                        for t, n in layout:
                            args += ["--group", f"{t}/{n}"]
                        out = keyward(args, secret.hex() + "\n", passfile)
                        groups = [blk.strip().split("\n") for blk in out.strip().split("\n\n")]
                        assert [len(g) for g in groups] == [n for _, n in layout], "group sizes"
                        subset = []
                        for g in rnd.sample(range(len(layout)), gt):
                            subset += rnd.sample(groups[g], layout[g][0])
                        rnd.shuffle(subset)
                        got = shamir_mnemonic.combine_mnemonics(subset, passphrase)
                        assert got == secret, "reference recovered another secret"
                        ok(f"keyward -> reference: {label}")
                        passed += 1
                    except Exception as e:  # noqa: BLE001
                        print(f"FAIL  keyward -> reference: {label}: {e}")
                        failed += 1
                    # reference -> keyward, extendable and not
                    for ext in (True, False):
                        try:
                            secret = os.urandom(length)
                            groups = shamir_mnemonic.generate_mnemonics(
                                gt, layout, secret, passphrase, extendable=ext, iteration_exponent=0
                            )
                            subset = []
                            for g in rnd.sample(range(len(layout)), gt):
                                subset += rnd.sample(groups[g], layout[g][0])
                            rnd.shuffle(subset)
                            out = keyward(["combine"], "\n".join(subset) + "\n", passfile)
                            lines = out.strip().split("\n")
                            assert lines[0] == secret.hex(), "keyward recovered another secret"
                            if length in (16, 32):
                                assert len(lines) == 2 and lines[1].startswith("KCV "), "KCV line"
                            ok(f"reference -> keyward: {label}, extendable={ext}")
                            passed += 1
                        except Exception as e:  # noqa: BLE001
                            print(f"FAIL  reference -> keyward: {label}, extendable={ext}: {e}")
                            failed += 1
    print(f"slip39 interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
