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
//! Replays the fuzz corpus of `fuzz/fuzz_targets/core_hex.rs` through the same
//! entry point, so inputs that once found a bug stay fixed under `cargo test`.

#[test]
fn core_hex_corpus_never_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus/core_hex");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        keyward_core::fuzzing::parse_all(&data);
        n += 1;
    }
    assert!(n >= 5, "corpus has {n} files");
}
