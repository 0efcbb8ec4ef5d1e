//! Replays the seed corpora of the cargo-fuzz targets (`fuzz/fuzz_targets/shamir_*`)
//! through the same entry points, so `cargo test` catches regressions.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        f(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

#[test]
fn shamir_raw_combine() {
    replay("shamir_raw_combine", keyward_shamir::fuzzing::raw_combine);
}

#[test]
fn shamir_slip39_mnemonic() {
    replay(
        "shamir_slip39_mnemonic",
        keyward_shamir::fuzzing::slip39_mnemonic,
    );
}

#[test]
fn shamir_slip39_bytes() {
    replay("shamir_slip39_bytes", keyward_shamir::fuzzing::slip39_bytes);
}

#[test]
fn shamir_slip39_combine() {
    replay(
        "shamir_slip39_combine",
        keyward_shamir::fuzzing::slip39_combine,
    );
}
