#!/usr/bin/env bash
# Link check: every relative link in every tracked *.md resolves to a tracked file or
# folder inside the repository (with `#anchor`s checked against the target's headings by
# GitHub's rules), and no tracked file points outside the repository (a `shared` folder
# beside it, or any relative path whose `..` segments climb above the root).
#
#   bash .ci/check_links.sh              # check the repository this script lives in
#   bash .ci/check_links.sh --root DIR   # check another git work tree
#   bash .ci/check_links.sh --self-test  # check the checker against a fixture repository
#
# Prints `links: N checked, M broken`; exits 1 when M > 0, listing each broken link as
# `FILE:LINE: LINK (why)`. Only bash, git and the Python 3 standard library are needed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$(command -v python3) || {
    echo "check_links: python3 is required" >&2
    exit 2
}

read -r -d '' CHECKER <<'PYEOF' || true
import os
import re
import subprocess
import sys
import unicodedata
from urllib.parse import unquote

root = os.path.realpath(sys.argv[1])

tracked = subprocess.run(
    ["git", "-C", root, "ls-files", "-z"], check=True, capture_output=True
).stdout.decode("utf-8", "surrogateescape").split("\0")
tracked = [f for f in tracked if f]
files = set(tracked)
dirs = {""}
for f in tracked:
    d = os.path.dirname(f)
    while d not in dirs:
        dirs.add(d)
        d = os.path.dirname(d)

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ATTR = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
HTML_ID = re.compile(r"""<(?:a|span|div)\b[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A relative path that starts with a `..` segment (a Cargo `path`, an include, a link).
CLIMB = re.compile(r"(?<![\w./~-])\.\./[^\s\"'`<>()\[\]{},;|*]*")
LINE_ANCHOR = re.compile(r"^L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?$")


def read_lines(rel):
    try:
        with open(os.path.join(root, rel), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace").splitlines()


def strip_markup(text):
    """Heading text as GitHub renders it: no code ticks, emphasis or link targets."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"!?\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("`", "").replace("*", "")


def slug(text):
    """GitHub's heading anchor: lowercase; letters, marks, digits, `_`, `-` kept; spaces to `-`."""
    out = []
    for ch in strip_markup(text).strip().lower():
        cat = unicodedata.category(ch)
        if ch == " ":
            out.append("-")
        elif ch == "-" or cat[0] in "LMN" or cat == "Pc":
            out.append(ch)
    return "".join(out)


anchor_cache = {}


def anchors(rel):
    """Every anchor GitHub generates for a markdown file (duplicates get -1, -2, ...)."""
    if rel in anchor_cache:
        return anchor_cache[rel]
    seen = {}
    result = set()
    lines = read_lines(rel) or []
    fence = None
    prev = None
    for line in lines:
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            prev = None
            continue
        if m:
            fence = m.group(1)
            prev = None
            continue
        heading = None
        a = ATX.match(line)
        if a:
            heading = a.group(2)
        elif prev is not None and prev.strip() and SETEXT.match(line) and not ATX.match(prev):
            heading = prev
        if heading is not None:
            base = slug(heading)
            n = seen.get(base, 0)
            result.add(base if n == 0 else f"{base}-{n}")
            seen[base] = n + 1
        for ident in HTML_ID.findall(line):
            result.add(ident)
        prev = None if a else line
    anchor_cache[rel] = result
    return result


def inside(path):
    norm = os.path.normpath(path)
    return norm != ".." and not norm.startswith("../") and not os.path.isabs(norm)


checked = 0
broken = []


def problem(rel, lineno, link, why):
    broken.append(f"{rel}:{lineno}: {link} ({why})")


def check_md_link(rel, lineno, link):
    global checked
    if link.startswith("<") and link.endswith(">"):
        link = link[1:-1]
    if not link or SCHEME.match(link) or link.startswith("//"):
        return  # absolute URL (https:, mailto:, ...): not ours to resolve
    if "::" in link and "/" not in link:
        return  # rustdoc intra-doc link (`crate::Type`), resolved by rustdoc -D warnings
    checked += 1
    path, _, fragment = link.partition("#")
    path = unquote(path.split("?", 1)[0])
    fragment = unquote(fragment)
    if path.startswith("/"):
        problem(rel, lineno, link, "absolute path")
        return
    target = os.path.normpath(os.path.join(os.path.dirname(rel), path)) if path else rel
    if target == ".":
        target = ""
    if not inside(target):
        problem(rel, lineno, link, "points outside the repository")
        return
    if target not in files and target not in dirs:
        problem(rel, lineno, link, "no such tracked file")
        return
    if not fragment:
        return
    if target in dirs:
        return  # a folder renders its README; its anchors are not checked
    if target.lower().endswith((".md", ".markdown")):
        if fragment not in anchors(target):
            problem(rel, lineno, link, f"no heading #{fragment} in {target}")
    elif not LINE_ANCHOR.match(fragment):
        problem(rel, lineno, link, "anchor into a file that is not markdown")


def scan_md(rel, lines):
    fence = None
    for lineno, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        text = CODE_SPAN.sub("", line)
        links = INLINE_LINK.findall(text) + HTML_ATTR.findall(text)
        d = REF_DEF.match(text)
        if d:
            links.append(d.group(1))
        for link in links:
            check_md_link(rel, lineno, link)


reported = set()


def scan_climbs(rel, lines):
    """Any tracked file: a relative path whose `..` segments climb above the root."""
    global checked
    base = os.path.dirname(rel)
    for lineno, line in enumerate(lines, 1):
        for m in CLIMB.finditer(line):
            ref = m.group(0).rstrip(".:")
            checked += 1
            bad = None
            if re.search(r"(^|/)shared(/|$)", ref) and not inside(os.path.join(base, ref)):
                bad = "points outside the repository (the shared folder beside it)"
            elif not inside(os.path.join(base, ref)):
                bad = "points outside the repository"
            if bad and (rel, lineno, ref) not in reported:
                reported.add((rel, lineno, ref))
                problem(rel, lineno, ref, bad)


for rel in tracked:
    lines = read_lines(rel)
    if lines is None:
        continue
    if rel.lower().endswith((".md", ".markdown")):
        before = len(broken)
        scan_md(rel, lines)
        for entry in broken[before:]:
            f, ln, rest = entry.split(":", 2)
            reported.add((f, int(ln), rest.strip().split(" (", 1)[0]))
    scan_climbs(rel, lines)

for entry in broken:
    print(entry)
print(f"links: {checked} checked, {len(broken)} broken")
sys.exit(1 if broken else 0)
PYEOF

self_test() {
    local tmp out rc=0 expect UP=..
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    git -C "$tmp" init -q
    mkdir -p "$tmp/docs" "$tmp/crates/a/src"
    cat >"$tmp/README.md" <<'EOF'
# Fixture

See [the design](docs/design.md), [its map](docs/design.md#crate-map),
[the second Notes](docs/design.md#notes-1), [code heading](docs/design.md#sharefrom_bytes--to_bytes),
[a crate](crates/a), [a line](crates/a/src/lib.rs#L3), [web](https://example.com/x.md),
[self](#fixture), ![img](docs/pic.txt "title"), [intra](crate::Thing), <a href="docs/design.md#décisions">x</a>.

`[not a link](nowhere.md)` and

```text
[inside a fence](nowhere.md)
```

[missing file](docs/nope.md)
[missing anchor](docs/design.md#no-such-heading)
[case matters](docs/design.md#Crate-Map)
[escape](@UP@/shared/notes.md)
[ref]: docs/gone.md
EOF
    cat >"$tmp/docs/design.md" <<'EOF'
# Design
## Crate map
## Notes
## Notes
### `Share::from_bytes` / `to_bytes`
## Décisions
Back to [the readme](@UP@/README.md#fixture) and [up too far](@UP@/@UP@/x.md).
EOF
    echo pic >"$tmp/docs/pic.txt"
    printf '//! doc\n\nconst X: &str = include_str!("@UP@/README.md");\nconst Y: &str = "@UP@/@UP@/@UP@/@UP@/outside";\n' \
        >"$tmp/crates/a/src/lib.rs"
    printf '[package]\nname = "a"\n[dependencies]\nroot = { path = "@UP@/@UP@" }\n' >"$tmp/crates/a/Cargo.toml"
    # Climbing paths are written as @UP@ so that this script itself climbs nowhere.
    sed -i "s#@UP@#${UP}#g" "$tmp/README.md" "$tmp/docs/design.md" "$tmp/crates/a/src/lib.rs" "$tmp/crates/a/Cargo.toml"
    git -C "$tmp" add -A
    out=$("$PY" -c "$CHECKER" "$tmp") || rc=$?
    expect="README.md:14: docs/nope.md (no such tracked file)
README.md:15: docs/design.md#no-such-heading (no heading #no-such-heading in docs/design.md)
README.md:16: docs/design.md#Crate-Map (no heading #Crate-Map in docs/design.md)
README.md:17: ${UP}/shared/notes.md (points outside the repository)
README.md:18: docs/gone.md (no such tracked file)
crates/a/src/lib.rs:4: ${UP}/${UP}/${UP}/${UP}/outside (points outside the repository)
docs/design.md:7: ${UP}/${UP}/x.md (points outside the repository)
links: 22 checked, 7 broken"
    if [ "$rc" -ne 1 ] || [ "$out" != "$expect" ]; then
        echo "check_links self-test FAILED (exit $rc); expected:" >&2
        echo "$expect" >&2
        echo "--- got:" >&2
        echo "$out" >&2
        return 1
    fi
    # A clean tree passes with exit 0.
    git -C "$tmp" rm -q --cached README.md crates/a/src/lib.rs
    sed -i '7d' "$tmp/docs/design.md"
    git -C "$tmp" add docs/design.md
    rc=0
    out=$("$PY" -c "$CHECKER" "$tmp") || rc=$?
    if [ "$rc" -ne 0 ] || [ "$out" != "links: 1 checked, 0 broken" ]; then
        echo "check_links self-test FAILED on the clean tree (exit $rc): $out" >&2
        return 1
    fi
    echo "check_links self-test: ok"
}

case "${1:-}" in
--self-test) self_test ;;
--root) exec "$PY" -c "$CHECKER" "$(cd "${2:?--root needs a directory}" && pwd)" ;;
"") exec "$PY" -c "$CHECKER" "$ROOT" ;;
*)
    echo "usage: bash .ci/check_links.sh [--self-test | --root DIR]" >&2
    exit 2
    ;;
esac
