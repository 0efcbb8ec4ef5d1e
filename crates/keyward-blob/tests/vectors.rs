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
//! Known-answer vectors computed independently by
//! `tests/data/gen_vectors.py` (pyca/cryptography HKDF and AESSIV, from
//! docs/formats.md alone).

mod conformance;

use keyward_blob::Suite;

/// Suite 1 (`0x01`, HKDF-SHA256 + AES-256-SIV) against its vector file.
#[test]
fn suite1_vectors_reproduce_byte_for_byte() {
    let json = include_str!("data/blob_vectors.json");
    let record_keys = conformance::check_suite(Suite::HkdfSha256Aes256Siv, json);
    assert_eq!(record_keys.len(), 7);
    // ("AB", "C") and ("A", "BC"): different record keys, different BLOBs.
    assert_ne!(record_keys[5], record_keys[6]);
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_ne!(doc["vectors"][5]["sealed"], doc["vectors"][6]["sealed"]);
}

/// Every suite this build knows has a byte that round-trips and a vector
/// file; a new variant without one fails here.
#[test]
fn every_suite_has_a_byte_and_vectors() {
    for &suite in Suite::ALL {
        assert_eq!(Suite::from_byte(suite.byte()), Some(suite));
        let json = match suite {
            Suite::HkdfSha256Aes256Siv => include_str!("data/blob_vectors.json"),
            _ => panic!("{suite}: no vector file in tests/data"),
        };
        assert!(!conformance::check_suite(suite, json).is_empty());
    }
    assert_eq!(Suite::from_byte(0x00), None);
    assert_eq!(Suite::from_byte(0x02), None);
    assert_eq!(Suite::default().byte(), 0x01);
}
