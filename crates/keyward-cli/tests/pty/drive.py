#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal, as an operator at a terminal would.

The command is the session leader and the pty is its controlling terminal, so
Ctrl-C typed on it (byte 0x03) reaches it as SIGINT through the line
discipline, exactly as at a real terminal. The parent keeps the slave side
open to read the terminal's settings (termios) at each prompt and after the
command ends.

Usage: drive.py --mode MODE [--shell SHELL] [--line TEXT ...] -- COMMAND ARGS...
  MODE  type   : answer each prompt with the next --line, then wait for the end
        ctrl-c : type the --lines, then Ctrl-C at the following prompt
        sigterm: type the --lines, then SIGTERM to the process group at the following prompt
        ctrl-d : type the --lines, then Ctrl-D (end of input) at the following prompt
  SHELL run the command as `SHELL -c '"$0" "$@"; echo shell-went-on'` (e.g. dash)

Prints one JSON object: echo_at_prompts (ECHO flag at each prompt), echo_after,
output (everything written to the terminal), status (exit code or -signal of
the process started; for a shell, the shell's).
Only the Python standard library is used (os, pty-free openpty, termios).
"""

import argparse
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time

PROMPT_END = b"): "
TIMEOUT = 20.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True, choices=["type", "ctrl-c", "sigterm", "ctrl-d"])
    ap.add_argument("--shell")
    ap.add_argument("--line", action="append", default=[])
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if a.shell:
        cmd = [a.shell, "-c", '"$0" "$@"; echo shell-went-on'] + cmd

    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] |= termios.ECHO | termios.ICANON | termios.ISIG
    termios.tcsetattr(slave, termios.TCSANOW, attrs)

    def controlling_tty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True, preexec_fn=controlling_tty, close_fds=True,
    )
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT

    def pump(wait):
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                output.extend(os.read(master, 4096))
            except OSError:
                pass

    def wait_prompt(n):
        # Wait for the n-th prompt, then for the command to switch echo off
        # (the prompt is written just before).
        while output.count(PROMPT_END) < n:
            if time.monotonic() > deadline or proc.poll() is not None:
                pump(0.2)
                if output.count(PROMPT_END) >= n:
                    break
                return False
            pump(0.1)
        for _ in range(50):
            if not termios.tcgetattr(slave)[3] & termios.ECHO:
                break
            time.sleep(0.02)
        return True

    echo_at_prompts = []
    prompts = len(a.line) + (0 if a.mode == "type" else 1)
    for i in range(prompts):
        if not wait_prompt(i + 1):
            break
        echo_at_prompts.append(bool(termios.tcgetattr(slave)[3] & termios.ECHO))
        if i < len(a.line):
            os.write(master, a.line[i].encode() + b"\n")
        elif a.mode == "ctrl-c":
            os.write(master, b"\x03")
        elif a.mode == "ctrl-d":
            os.write(master, b"\x04")
        else:
            os.killpg(proc.pid, signal.SIGTERM)
    while proc.poll() is None and time.monotonic() < deadline:
        pump(0.1)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    pump(0.2)
    result = {
        "echo_at_prompts": echo_at_prompts,
        "echo_after": bool(termios.tcgetattr(slave)[3] & termios.ECHO),
        "output": output.decode("utf-8", "replace"),
        "status": proc.returncode,
    }
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
