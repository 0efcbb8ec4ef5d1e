//! The HashKey migration part of `keyward demo`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

#[test]
fn demo_includes_the_hashkey_migration() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("demo")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let o = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{o}");
    assert!(
        o.contains("== HashKey migration (built-in default -> site HashKey) =="),
        "{o}"
    );
    assert!(
        o.contains("refusing to switch HashKey 7ecc060f to cc29e517: 2 PIN/password hashes"),
        "{o}"
    );
    assert!(
        o.contains("ok    the switch is refused while 2 PIN hashes exist under the old HashKey")
    );
    assert!(o.contains("  must re-enrol: alice, bob\n"), "{o}");
    assert!(o.contains(
        "ok    all 3 templates re-sealed; they open under the site HashKey, not the default"
    ));
    assert!(!o.contains("FAIL"), "{o}");
}
