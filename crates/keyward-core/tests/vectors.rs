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
//! Known-answer tests from files: the HashKey derivation vectors computed
//! independently by `data/gen_hashkey_subkeys.py` (Python hmac/hashlib).

use keyward_core::{HashKey, Purpose};

#[test]
fn hashkey_subkeys_match_the_independent_python_computation() {
    let text = include_str!("data/hashkey_subkeys.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    let mut checked = 0;
    for case in cases {
        let key = HashKey::new(case["hashkey"].as_str().unwrap()).unwrap();
        assert_eq!(key.key_id().to_string(), case["key_id"].as_str().unwrap());
        for purpose in Purpose::ALL {
            let want = case["subkeys"][purpose.label()].as_str().unwrap();
            let mut got = [0u8; 64];
            let got =
                keyward_core::hex::encode_lower(key.subkey(purpose).expose_secret(), &mut got)
                    .unwrap();
            assert_eq!(got, want, "{purpose:?} of {:?}", key.key_id());
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}
