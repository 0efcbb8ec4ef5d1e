#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Per-record BLOB protection under a StorageDeriveKey
//! (`docs/design.md#per-record-blob-protection`).
//!
//! A deployment makes the database key its own with a secret 32-byte storage
//! derive key, entered as the eight parameters StorageDeriveKey1..8
//! (big-endian words: key bytes `00 11 22 33 44 55 66 77 …` give
//! StorageDeriveKey1 = 0x00112233, StorageDeriveKey2 = 0x44556677, …, the
//! example of `docs/formats.md#inputs`). The example shows the parameter form, seals and opens
//! an authenticator BLOB, and then an operator who mistypes one parameter:
//! the BLOB names the key id it was sealed under instead of decrypting into
//! garbage, and a missing parameter is named by number.
//!
//! Run: `cargo run --example blob_storage_derive_key`

use keyward::blob::{Error, KeySetting, RecordId, StorageDeriveKey, encryption_version};

/// The example key of `docs/formats.md#inputs` (a demonstration value: never
/// use a published key).
const SDK_HEX: &str = "00112233 44556677 8899AABB CCDDEEFF FFEEDDCC BBAA9988 77665544 33221100";

fn main() -> Result<(), Error> {
    let sdk = StorageDeriveKey::from_hex(SDK_HEX)?;
    let words = sdk.to_words();
    assert_eq!(
        words[0], 0x0011_2233,
        "StorageDeriveKey1 is bytes 00 11 22 33"
    );
    assert_eq!(
        words[1], 0x4455_6677,
        "StorageDeriveKey2 is bytes 44 55 66 77"
    );

    // The form the authentication server's configuration uses.
    let params = sdk.to_params();
    println!("storage derive key, as the eight configuration parameters:");
    for line in params.lines() {
        println!("  {line}");
    }
    assert_eq!(params.lines().count(), 8);
    assert!(params.starts_with("StorageDeriveKey1 = 0x00112233\nStorageDeriveKey2 = 0x44556677\n"));

    // Read back in any order (here reversed): the same key.
    let reversed: Vec<&str> = params.lines().rev().collect();
    let again = StorageDeriveKey::parse_params(&reversed.join("\n"))?;
    assert_eq!(again, sdk);
    println!("  read back in reverse order: same key");

    let key = KeySetting::storage_derive_key(sdk).database_key();
    println!(
        "\ndatabase key id {} (written in every BLOB header)",
        key.key_id()
    );

    let record = RecordId::application(b"VDS0012345", b"RESPONSE_ONLY");
    let blob = key.seal(&record, b"authenticator seed and counters")?;
    println!(
        "sealed the BLOB of VDS0012345 / RESPONSE_ONLY: {} bytes, encryption version {}",
        blob.len(),
        encryption_version(&blob)?
    );
    assert_eq!(encryption_version(&blob)?, key.key_id());
    let opened = key.open(&record, &blob)?;
    assert_eq!(&opened[..], b"authenticator seed and counters");
    println!("opened: {} bytes of plaintext, as sealed", opened.len());

    // An operator re-enters the parameters and mistypes StorageDeriveKey5.
    let typo_text = params.replace(
        "StorageDeriveKey5 = 0xFFEEDDCC",
        "StorageDeriveKey5 = 0xFFEEDDCD",
    );
    assert_ne!(typo_text.as_str(), params.as_str());
    let wrong =
        KeySetting::storage_derive_key(StorageDeriveKey::parse_params(&typo_text)?).database_key();
    println!(
        "\nStorageDeriveKey5 mistyped: database key id {}",
        wrong.key_id()
    );
    let err = wrong.open(&record, &blob).unwrap_err();
    println!("opening the BLOB: {err}");
    assert!(
        matches!(err, Error::KeyIdNotHeld { found, .. } if found == key.key_id()),
        "{err:?}"
    );

    // A parameter left out is named.
    let missing: Vec<&str> = params
        .lines()
        .filter(|l| !l.starts_with("StorageDeriveKey3"))
        .collect();
    let err = StorageDeriveKey::parse_params(&missing.join("\n")).unwrap_err();
    println!("StorageDeriveKey3 left out: {err}");
    assert_eq!(err, Error::ParamMissing { index: 3 });

    println!(
        "\nOK: parameters round-trip, the BLOB opens, a wrong parameter is detected by key id"
    );
    Ok(())
}
