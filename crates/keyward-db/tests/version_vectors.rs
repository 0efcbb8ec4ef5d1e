//! The version column encodings against `tests/data/version_vectors.json`
//! (computed by `version_vector.py` with the Python standard library).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use keyward_core::KeyId;
use keyward_db::Version;

#[test]
fn version_column_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/version_vectors.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = v["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 7);
    for t in vectors {
        let kid = t["key_id"].as_str().unwrap();
        let bytes: [u8; 4] = (0..4)
            .map(|i| u8::from_str_radix(&kid[2 * i..2 * i + 2], 16).unwrap())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let ver = Version::sealed(KeyId(bytes));
        assert_eq!(
            ver == Version::Plaintext,
            t["plaintext"].as_bool().unwrap(),
            "{kid}"
        );
        assert_eq!(ver.to_int(), t["integer"].as_i64().unwrap(), "{kid}");
        assert_eq!(ver.to_text(), t["text"].as_str().unwrap(), "{kid}");
        assert_eq!(Version::from_int(ver.to_int()).unwrap(), ver);
        assert_eq!(Version::from_text(&ver.to_text()).unwrap(), ver);
    }
}
