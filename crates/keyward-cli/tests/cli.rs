#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The `keyward` CLI contract where a fixed snapshot (`tests/cmd/*.toml`,
//! run by `cli_snapshots.rs`) cannot say it: random keys and components, a
//! closed or full stdout/stderr.

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::{keyward, stderr, stdout};

const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const K256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

#[test]
fn key_generate_prints_hex_and_kcv_on_stderr() {
    for (bytes, digits) in [("16", 32), ("24", 48), ("32", 64)] {
        let o = keyward(&["key", "generate", "--bytes", bytes], "");
        assert!(o.status.success());
        let hex = stdout(&o);
        let hex = hex.trim_end();
        assert_eq!(hex.len(), digits);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        // The KCV on stderr is the KCV of the printed key.
        let kcv = stdout(&keyward(&["kcv"], hex));
        assert_eq!(stderr(&o), format!("KCV {kcv}"));
    }
    let a = stdout(&keyward(&["key", "generate"], ""));
    let b = stdout(&keyward(&["key", "generate"], ""));
    assert_ne!(a, b);
}

#[test]
fn components_split_then_combine_round_trips() {
    let split = keyward(&["components", "split", "--count", "3"], K256);
    assert!(split.status.success(), "{}", stderr(&split));
    let text = stdout(&split);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3], "KCV 1A0B2D");
    for l in &lines[..3] {
        let (hex, kcv) = l.split_once(' ').unwrap();
        assert_eq!(hex.len(), 64);
        assert_eq!(stdout(&keyward(&["kcv"], hex)).trim(), kcv);
    }
    let combined = keyward(&["components", "combine"], &text);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K256}\n"));
    assert_eq!(stderr(&combined), "KCV 1A0B2D\n");
    // ECB method throughout: the form records it (docs/formats.md, "XOR key
    // components"), so combine needs no --method.
    let split = keyward(
        &["components", "split", "--count", "2", "--method", "ecb"],
        K128,
    );
    let form = stdout(&split);
    assert!(form.ends_with("\nKCV-ECB 7DF76B\n"), "{form}");
    for l in form.lines().take(2) {
        let (hex, kcv) = l.split_once(' ').unwrap();
        assert_eq!(
            stdout(&keyward(&["kcv", "--method", "ecb"], hex)).trim(),
            kcv
        );
    }
    let combined = keyward(&["components", "combine"], &form);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K128}\n"));
    assert_eq!(stderr(&combined), "KCV-ECB 7DF76B\n");
    // The agreeing --method is accepted.
    let combined = keyward(&["components", "combine", "--method", "ecb"], &form);
    assert_eq!(stdout(&combined), format!("{K128}\n"));
    // A form printed before the method was recorded (last line `KCV`) still
    // combines with --method ecb.
    let old_form = form.replace("KCV-ECB", "KCV");
    let combined = keyward(&["components", "combine", "--method", "ecb"], &old_form);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K128}\n"));
}

/// Runs `keyward ARGS` with stdin empty and stdout/stderr as given.
fn run_with(args: &[&str], stdout: Stdio, stderr: Stdio) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_exits_1_without_a_panic() {
    // `keyward demo | head -1`: the reader goes away after the first line.
    // The demo runs for a while, so the pipe is closed long before it ends.
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("demo")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    let mut out = child.stdout.take().unwrap();
    out.read_exact(&mut first).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A reader closing the pipe is not an error worth reporting.
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_full_stdout_is_one_error_line_and_exit_1() {
    let full = || Stdio::from(std::fs::File::create("/dev/full").unwrap());
    for args in [
        &["demo"][..],
        &["key", "generate"],
        &["superpin", "generate"],
    ] {
        let o = run_with(args, full(), Stdio::piped());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&o),
            "keyward: error: writing the output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

#[test]
fn a_full_stderr_exits_1_without_a_panic() {
    // `key generate` writes the KCV on stderr: when it cannot, the run fails.
    let full = Stdio::from(std::fs::File::create("/dev/full").unwrap());
    let o = run_with(&["key", "generate"], Stdio::piped(), full);
    assert_eq!(o.status.code(), Some(1));
    // A usage error with a full stderr: still exit 2, no panic (clap's own
    // message is lost).
    let full = Stdio::from(std::fs::File::create("/dev/full").unwrap());
    let o = run_with(&["no-such-command"], Stdio::piped(), full);
    assert_eq!(o.status.code(), Some(2));
}
