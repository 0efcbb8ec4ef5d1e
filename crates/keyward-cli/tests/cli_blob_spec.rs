#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! `keyward blob …` against the opening order and the key-setting rules of
//! docs/formats.md "keyward-blob".

mod common;
use common::{keyward, stderr};

/// "Opening" checks length ≥ H + 16 before "key id held": an 8-byte BLOB
/// naming a foreign key id is a truncated SIV tag.
#[test]
fn open_reports_truncated_tag_before_unknown_key_id() {
    let out = keyward(
        &[
            "blob",
            "open",
            "--serial",
            "S",
            "--app",
            "A",
            "--derive-vector",
            "1",
        ],
        b"\x01\x01\x00\x00\x11\x22\x33\x44",
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("the SIV tag needs 24 bytes, found 8"), "{err}");
    assert!(!err.contains("not in the keyring"), "{err}");
}

/// A storage derive key together with a derive vector: both are used
/// (`tests/data/blob_vectors.json`, vector 5: SDK 0x20..0x3f, DV
/// 0x7FFFFFFF, key id 9997d172); without a derive vector DV = 0 (vector 2).
#[test]
fn storage_derive_key_with_derive_vector() {
    let dir = std::env::temp_dir().join(format!("keyward-cli-blob-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sdk5 = dir.join("sdk5");
    std::fs::write(
        &sdk5,
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n",
    )
    .unwrap();
    let sdk2 = dir.join("sdk2");
    std::fs::write(
        &sdk2,
        "00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100\n",
    )
    .unwrap();
    let key_id = |args: &[&str]| {
        let out = keyward(&[&["blob", "key-id"], args].concat(), b"");
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let f5 = sdk5.to_str().unwrap();
    let f2 = sdk2.to_str().unwrap();
    assert!(
        key_id(&[
            "--storage-derive-key-file",
            f5,
            "--derive-vector",
            "0x7FFFFFFF"
        ])
        .contains("9997d172")
    );
    assert!(!key_id(&["--storage-derive-key-file", f5]).contains("9997d172"));
    assert!(key_id(&["--storage-derive-key-file", f2]).contains("12f7e233"));
    assert!(
        key_id(&["--storage-derive-key-file", f2, "--derive-vector", "0"]).contains("12f7e233")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
