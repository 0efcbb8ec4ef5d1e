//! Secrets typed at a terminal: a real pseudo-terminal drives the `keyward`
//! binary (tests/pty/drive.py, Python standard library only), and the tests
//! read the terminal's settings at every prompt and after the command ends.
//!
//! * every command that reads a secret from the terminal has echo off at its
//!   prompt, the typed secret never appears on the terminal, and echo is on
//!   again afterwards;
//! * Ctrl-C and SIGTERM at a prompt end the command by that signal with echo
//!   back on, also when the command runs under `dash` (which, unlike bash,
//!   does not restore the terminal after a child dies);
//! * Ctrl-D at a prompt aborts the command, echo back on.
//!
//! Python 3 and dash are needed: without them the tests are skipped, except
//! in CI (`CI` set), where they fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use common::{keyward, stdout};

/// A HashKey for these tests (random-looking, 32 printable characters).
const HASH_KEY: &str = "q7Vf!Lz2#Rk9@Wm4$Tp8^Xc3&Hn6*Jd0";
const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";

/// Whether `program` runs; in CI a missing program fails the test.
fn available(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "{program} is needed for the terminal tests (CI is set, so this fails instead of skipping)"
    );
    if !ok {
        eprintln!("skipped: {program} not found");
    }
    ok
}

/// What drive.py saw.
#[derive(Debug)]
struct Session {
    echo_at_prompts: Vec<bool>,
    echo_after: bool,
    output: String,
    status: i64,
}

/// Extracts a JSON value by key from drive.py's one-line object (its keys
/// and value types are fixed: a list of booleans, a boolean, a string, an
/// integer).
fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let start = json.find(&format!("\"{key}\": ")).unwrap() + key.len() + 4;
    let rest = &json[start..];
    let end = if rest.starts_with('"') {
        // A string: up to the closing unescaped quote.
        let bytes = rest.as_bytes();
        let mut i = 1;
        while bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i + 1
    } else if rest.starts_with('[') {
        rest.find(']').unwrap() + 1
    } else {
        rest.find([',', '}']).unwrap()
    };
    &rest[..end]
}

fn drive(mode: &str, shell: Option<&str>, lines: &[&str], args: &[&str]) -> Session {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pty/drive.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).args(["--mode", mode]);
    if let Some(shell) = shell {
        cmd.args(["--shell", shell]);
    }
    for line in lines {
        cmd.arg(format!("--line={line}"));
    }
    cmd.arg("--").arg(env!("CARGO_BIN_EXE_keyward")).args(args);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "drive.py failed: {out:?}");
    let json = String::from_utf8(out.stdout).unwrap();
    let prompts = field(&json, "echo_at_prompts");
    Session {
        echo_at_prompts: prompts
            .trim_matches(['[', ']'])
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(|s| s == "true")
            .collect(),
        echo_after: field(&json, "echo_after") == "true",
        output: field(&json, "output").to_owned(),
        status: field(&json, "status").parse().unwrap(),
    }
}

/// Types `lines` at the prompts of `keyward ARGS`; checks echo is off at
/// each of the `prompts` prompts, on afterwards, and that no typed secret
/// line shows.
fn typed(args: &[&str], lines: &[&str], prompts: usize) -> Session {
    let s = drive("type", None, lines, args);
    assert_eq!(
        s.echo_at_prompts,
        vec![false; prompts],
        "keyward {args:?}: echo at its prompts: {s:?}"
    );
    assert!(s.echo_after, "keyward {args:?} left echo off: {s:?}");
    // A `KCV XXXXXX` line is not secret (and is printed back as the result).
    for line in lines
        .iter()
        .filter(|l| !l.is_empty() && !l.starts_with("KCV"))
    {
        assert!(
            !s.output.contains(line),
            "keyward {args:?}: the typed secret shows on the terminal: {s:?}"
        );
    }
    s
}

fn hash_key_file(dir: &std::path::Path) -> String {
    let path = dir.join("hashkey");
    std::fs::write(&path, format!("{HASH_KEY}\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn kcv_reads_the_key_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let s = typed(&["kcv"], &[KEY], 1);
    assert_eq!(s.status, 0, "{s:?}");
    assert!(s.output.contains("7AD386"), "the KCV is shown: {s:?}");
}

#[test]
fn pin_hash_reads_the_pin_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = hash_key_file(dir.path());
    let s = typed(
        &["pin", "hash", "--user", "alice", "--hash-key-file", &key],
        &["482916"],
        1,
    );
    assert_eq!(s.status, 0, "{s:?}");
    assert!(s.output.contains("$argon2id$"), "{s:?}");
    let s = typed(
        &[
            "pin",
            "hash",
            "--password",
            "--user",
            "alice",
            "--hash-key-file",
            &key,
        ],
        &["correct horse battery"],
        1,
    );
    assert_eq!(s.status, 0, "{s:?}");
}

#[test]
fn hashkey_check_reads_the_hashkey_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let s = typed(&["hashkey", "check"], &[HASH_KEY], 1);
    assert!(!s.output.contains("error: reading"), "{s:?}");
}

#[test]
fn superpin_check_reads_the_code_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let pin = stdout(&keyward(&["superpin", "generate"], ""));
    let s = typed(&["superpin", "check"], &[pin.trim()], 1);
    assert_eq!(s.status, 0, "{s:?}");
    assert!(s.output.contains("OK"), "{s:?}");
}

#[test]
fn components_combine_reads_every_line_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let form = stdout(&keyward(&["components", "split", "--count", "2"], KEY));
    let lines: Vec<&str> = form.lines().collect();
    assert_eq!(lines.len(), 3, "{form}");
    let s = typed(
        &["components", "combine"],
        &[lines[0], lines[1], lines[2], ""],
        4,
    );
    assert_eq!(s.status, 0, "{s:?}");
    // The combined key is the result (stdout is this terminal too).
    assert!(s.output.contains(KEY), "{s:?}");
}

#[test]
fn shamir_combine_reads_every_share_with_echo_off() {
    if !available("python3", &["--version"]) {
        return;
    }
    let shares = stdout(&keyward(
        &["shamir", "split", "--threshold", "2", "--shares", "3"],
        KEY,
    ));
    let lines: Vec<&str> = shares.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{shares}");
    let s = typed(&["shamir", "combine"], &[lines[0], lines[2], ""], 3);
    assert_eq!(s.status, 0, "{s:?}");
    assert!(s.output.contains(KEY), "{s:?}");
}

/// Ctrl-C or SIGTERM at the prompt: the command dies of the signal, and the
/// terminal has echo on again, run directly and under dash.
#[test]
fn a_signal_at_the_prompt_leaves_echo_on() {
    if !available("python3", &["--version"]) {
        return;
    }
    let shells: &[Option<&str>] = if available("dash", &["-c", ":"]) {
        &[None, Some("dash")]
    } else {
        &[None]
    };
    for &shell in shells {
        for (mode, signal) in [("ctrl-c", 2), ("sigterm", 15)] {
            for args in [&["kcv"][..], &["components", "combine"][..]] {
                let s = drive(mode, shell, &[], args);
                assert_eq!(
                    s.echo_at_prompts,
                    [false],
                    "{mode} {shell:?} {args:?}: {s:?}"
                );
                assert!(
                    s.echo_after,
                    "{mode} at the prompt of keyward {args:?} under {shell:?} left echo off: {s:?}"
                );
                if shell.is_none() {
                    // Run directly, keyward itself dies of the signal. Under
                    // `dash -c`, whether the shell goes on after its child
                    // died of SIGINT is the shell's own choice (dash 0.5.12
                    // does, status 0); what keyward owes it is echo restored,
                    // asserted above.
                    assert_eq!(s.status, -signal, "{mode} {shell:?} {args:?}: {s:?}");
                    assert!(!s.output.contains("shell-went-on"), "{s:?}");
                }
            }
        }
    }
    // A prompt after lines already typed: the state restored is the
    // terminal's, not the echo-off state of an earlier prompt.
    let s = drive("ctrl-c", None, &["0011"], &["components", "combine"]);
    assert_eq!(s.echo_at_prompts, [false, false], "{s:?}");
    assert!(s.echo_after, "{s:?}");
}

/// Ctrl-D at a prompt aborts the command with a message, echo back on.
#[test]
fn ctrl_d_at_the_prompt_aborts() {
    if !available("python3", &["--version"]) {
        return;
    }
    let s = drive("ctrl-d", None, &[], &["kcv"]);
    assert_eq!(s.echo_at_prompts, [false], "{s:?}");
    assert!(s.echo_after, "{s:?}");
    assert_eq!(s.status, 1, "{s:?}");
    assert!(
        s.output.contains(
            "reading the AES key as hex from the terminal: end of input (Ctrl-D): aborted"
        ),
        "{s:?}"
    );
}
