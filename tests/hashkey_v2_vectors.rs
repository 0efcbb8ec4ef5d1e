#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! Known-answer vectors of HashKey derivation 2 (`docs/formats.md`, "HashKey
//! subkeys"), computed independently by `tests/data/gen_hashkey_v2.py`
//! (libargon2 and Python hmac/hashlib), and derivation 1 of the same keys
//! still giving the key ids of `crates/keyward-core/tests/data/hashkey_subkeys.json`.

use keyward::key::{Derivation, HashKey, Purpose};
use keyward::pinhash::{self, Params};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn doc() -> serde_json::Value {
    serde_json::from_str(include_str!("data/hashkey_v2_vectors.json")).unwrap()
}

#[test]
fn the_vector_file_states_the_documented_constants() {
    let d = doc();
    let a = &d["argon2id"];
    assert_eq!(
        a["salt"],
        core::str::from_utf8(keyward::key::V2_ARGON2_SALT).unwrap()
    );
    assert_eq!(a["m_kib"], keyward::key::V2_ARGON2_M_KIB);
    assert_eq!(a["t"], keyward::key::V2_ARGON2_T);
    assert_eq!(a["p"], keyward::key::V2_ARGON2_P);
    assert_eq!(a["output_len"], keyward::key::V2_ARGON2_OUTPUT_LEN);
    assert_eq!(a["version"], 0x13);
    assert_eq!(
        d["hkdf_salt"],
        core::str::from_utf8(keyward::key::V2_HKDF_SALT).unwrap()
    );
    assert_eq!(
        d["info_prefix"],
        core::str::from_utf8(keyward::key::V2_INFO_PREFIX).unwrap()
    );
}

#[test]
fn derivation_2_matches_the_independent_computation() {
    let d = doc();
    let cases = d["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    let params = pinhash::hashkey_v2_params().unwrap();
    assert_eq!(params, Params::new(65_536, 3, 4).unwrap());
    let mut memory = vec![pinhash::Block::new(); params.block_count()];
    for case in cases {
        let text = case["hashkey"].as_str().unwrap();
        let v1 = HashKey::new(text).unwrap();
        // The old derivation is still what HashKey::new gives.
        assert_eq!(v1.derivation(), Derivation::V1);
        assert_eq!(v1.key_id().to_string(), case["v1_key_id"], "{text}");

        // S = Argon2id(P = the characters, salt = the label), through the
        // workspace's Argon2 entry point.
        let mut s = [0u8; 32];
        pinhash::argon2id(
            &[],
            &[],
            &params,
            text.as_bytes(),
            keyward::key::V2_ARGON2_SALT,
            &mut s,
            &mut memory,
        )
        .unwrap();
        assert_eq!(hex(&s), case["argon2id_hex"], "S of {text}");

        let v2 = pinhash::stretch_hash_key(&v1).unwrap();
        assert_eq!(v2.derivation(), Derivation::V2);
        assert_eq!(v2.key_id().to_string(), case["key_id"], "{text}");
        assert_ne!(v2.key_id(), v1.key_id());
        for p in Purpose::ALL {
            assert_eq!(
                hex(v2.subkey(p).expose_secret()),
                case["subkeys"][p.label()],
                "{p:?} of {text}"
            );
        }
        // The pepper of a v2 key names the v2 key id in PHC strings.
        assert_eq!(pinhash::Pepper::from_hash_key(&v2).key_id(), v2.key_id());
    }
}
