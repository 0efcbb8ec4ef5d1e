//! Process hygiene seen from outside: while `keyward` waits for a secret on
//! stdin, its core-file limit is 0 (soft and hard), so a core taken at that
//! moment is not written. (That the process is also non-dumpable is checked
//! inside the binary's unit tests, `process_hygiene.rs`: `/proc` shows the
//! attribute to root only indirectly.)

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::time::Duration;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The `Max core file size` line of /proc/PID/limits once the process has
/// set both limits to 0 (the soft limit often is 0 already), or the last
/// line seen after a few seconds.
fn core_limit(pid: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut line = String::new();
    while Instant::now() < deadline {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        line = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap()
            .to_owned();
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(4..6) == Some(&["0", "0"][..]) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    line
}

#[test]
fn core_dumps_are_off_while_a_secret_is_awaited() {
    for args in [
        &["kcv"][..],
        &["ceremony", "recover", "/nonexistent"][..],
        &["components", "combine"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let line = core_limit(child.id());
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "Max core file size  SOFT  HARD  bytes"
        assert_eq!(
            fields.get(4..6),
            Some(&["0", "0"][..]),
            "keyward {args:?}: {line}"
        );
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"00\n");
        drop(stdin);
        child.wait().unwrap();
    }
}
