#!/usr/bin/env bash
# Python 3 and dash for keyward-cli's terminal tests (tests/cli_terminal.rs
# drives the binary on a pseudo-terminal with tests/pty/drive.py, and runs it
# under dash, which does not restore the terminal after a child dies).
#
# Installs the Debian packages python3 and dash when either is missing; when
# the download fails it says so in one line and exits non-zero (with CI set
# the terminal tests then fail rather than skip).
set -euo pipefail

if ! command -v python3 >/dev/null 2>&1 || ! command -v dash >/dev/null 2>&1; then
    echo "installing python3 and dash (apt-get)"
    if ! { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 dash >/dev/null 2>&1; }; then
        echo "terminal.sh: apt-get could not download python3/dash: the terminal tests cannot run" >&2
        exit 1
    fi
fi
python3 -c 'import os, termios, fcntl, select; os.openpty()'
echo "terminal tests use $(python3 --version) and $(command -v dash)"
