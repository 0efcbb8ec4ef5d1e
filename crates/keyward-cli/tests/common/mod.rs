//! Helpers shared by the CLI integration tests: run the `keyward` binary as a
//! user would, with the secret input piped to stdin.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `keyward ARGS` with `stdin` piped in and collects its output.
///
/// A command that exits before reading stdin (a usage error) closes the pipe:
/// the write error is ignored, the exit code is what the tests check.
pub fn keyward<S: AsRef<[u8]> + ?Sized>(args: &[&str], stdin: &S) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_ref());
    child.wait_with_output().unwrap()
}

/// Bytes as UTF-8 text (the CLI only prints UTF-8).
pub fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// The command's stdout as text.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// The command's stderr as text.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}
