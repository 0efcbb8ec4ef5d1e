//! Replays the fuzz seed corpora through the same entry points as the
//! cargo-fuzz targets (`fuzz/fuzz_targets/superpin_*.rs`).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let data = fs::read(entry.unwrap().path()).unwrap();
        f(&data);
        n += 1;
    }
    n
}

#[test]
fn superpin_parse_corpus() {
    assert!(replay("superpin_parse", keyward_superpin::fuzzing::parse_codes) >= 30);
}

#[test]
fn superpin_records_corpus() {
    assert!(
        replay(
            "superpin_records",
            keyward_superpin::fuzzing::decode_records
        ) >= 5
    );
}
