#!/usr/bin/env bash
# SoftHSM2 and OpenSC for the PKCS#11 tests (keyward-pkcs11, keyward-cli's
# cli_pkcs11, crates/keyward-pkcs11/ci/interop.sh).
#
# Source it before the tests (`. .ci/softhsm.sh`) so that
# KEYWARD_TEST_PKCS11_MODULE reaches them, or run it to install only.
# Installs the Debian packages softhsm2 and opensc when the module or a tool is
# missing; when the download fails it says so in one line and returns non-zero
# (with CI set the PKCS#11 tests then fail rather than skip).

keyward_softhsm_setup() {
    local module=/usr/lib/softhsm/libsofthsm2.so
    if [ ! -f "$module" ] || ! command -v softhsm2-util >/dev/null 2>&1 ||
        ! command -v pkcs11-tool >/dev/null 2>&1; then
        echo "installing softhsm2 and opensc (apt-get)"
        if ! { apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc >/dev/null 2>&1; }; then
            echo "softhsm.sh: apt-get could not download softhsm2/opensc: the PKCS#11 tests cannot run" >&2
            return 1
        fi
    fi
    if [ ! -f "$module" ]; then
        # Another layout: ask dpkg where the package put the module.
        module=$(dpkg -L softhsm2 2>/dev/null | grep -m1 '/libsofthsm2\.so$' || true)
    fi
    if [ -z "$module" ] || [ ! -f "$module" ]; then
        echo "softhsm.sh: softhsm2 is installed but libsofthsm2.so was not found" >&2
        return 1
    fi
    export KEYWARD_TEST_PKCS11_MODULE="$module"
    echo "PKCS#11 tests use $KEYWARD_TEST_PKCS11_MODULE ($(softhsm2-util --version 2>/dev/null || echo 'version unknown'))"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    keyward_softhsm_setup
else
    keyward_softhsm_setup
fi
