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
//! Replays the fuzz corpora of `fuzz/fuzz_targets/blob_open.rs` and
//! `blob_params.rs` through the same entry points, so inputs that once found
//! a bug stay fixed under `cargo test`.

use std::path::Path;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn blob_open_corpus() {
    let ring = keyward_blob::fuzzing::fixed_keyring();
    let files = corpus("blob_open");
    assert!(files.len() >= 10, "corpus has {} files", files.len());
    for (name, data) in &files {
        let opened = keyward_blob::fuzzing::open(&ring, data);
        // Seeds named valid-* are real BLOBs for the fixed keyring and record;
        // every other seed must be refused.
        assert_eq!(opened, name.starts_with("valid-"), "{name}");
    }
}

#[test]
fn blob_params_corpus() {
    let files = corpus("blob_params");
    assert!(files.len() >= 5, "corpus has {} files", files.len());
    for (name, data) in &files {
        keyward_blob::fuzzing::parse_params(data);
        if name.starts_with("valid-") {
            assert!(
                keyward_blob::StorageDeriveKey::parse_params(std::str::from_utf8(data).unwrap())
                    .is_ok(),
                "{name}"
            );
        }
    }
}
