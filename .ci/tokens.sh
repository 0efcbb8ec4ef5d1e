#!/usr/bin/env bash
# Backup-key cards on PKCS#11 tokens (keyward-pkcs11's TokenCard, keyward-cli's
# `ceremony backup --card` / `recover` / `card ...` on tokens) against SoftHSM2
# and OpenSC's pkcs11-tool, timed. Run after .ci/softhsm.sh (which installs
# softhsm2 and opensc and exports KEYWARD_TEST_PKCS11_MODULE). With CI set the
# tests fail, not skip, when the module or pkcs11-tool is missing; this script
# also fails if any of them printed a "skipped:" line.
set -euo pipefail
cd "$(dirname "$0")/.."
log=target/ci-tokens.log
mkdir -p target
t0=$(date +%s)
cargo test --locked -p keyward-pkcs11 --test token_card --test token_card_vectors -- --nocapture 2>&1 | tee "$log"
cargo test --locked -p keyward-cli --test cli_tokens -- --nocapture 2>&1 | tee -a "$log"
if grep -q '^skipped:' "$log"; then
    echo "tokens.sh: a token test skipped (SoftHSM2 or pkcs11-tool missing): run .ci/softhsm.sh" >&2
    exit 1
fi
passed=$(awk '/^test result:/ {for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^passed/) p += $i} END {print p + 0}' "$log")
echo "tokens.sh: ${passed} token-card tests passed against SoftHSM2 in $(($(date +%s) - t0))s"
