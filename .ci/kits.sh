#!/usr/bin/env bash
# Tools of the recovery-kit tests (keyward-cli tests cli_age and
# cli_superpin_sheet): the age command-line tool (Debian `age`: age,
# age-keygen) that decrypts the sealed shares, ssh-keygen (Debian
# `openssh-client`) for the ssh-ed25519 custodian, and the QR scanner zbarimg
# (Debian `zbar-tools`) that reads the recovery sheet. Installed with apt-get
# when missing; when the download fails it says so in one line and exits
# non-zero (with CI set those tests then fail rather than skip).
set -euo pipefail

missing=()
command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 || missing+=(age)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)"
    if ! { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; then
        echo "kits.sh: apt-get could not download ${missing[*]}: the age and recovery-sheet tests cannot run" >&2
        exit 1
    fi
fi
echo "recovery-kit tools: $(age --version 2>/dev/null | head -n1 || echo 'age ?'), $(zbarimg --version 2>/dev/null | head -n1 || echo 'zbarimg ?'), $(command -v ssh-keygen)"
