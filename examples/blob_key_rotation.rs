#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Versioned field encryption and key rotation
//! (`docs/design.md#versioned-field-encryption`).
//!
//! Six authenticator BLOBs are sealed under the deployment's old database key
//! (derive vector 0x2A on the built-in static key). The site rotates to a new
//! primary key (a secret storage derive key with a static key from the site
//! HashKey); old records stay readable, new writes use the new key, and a
//! batch job migrates the rest with progress. Every record's *encryption
//! version* (the key id in its header, what a database keeps in an
//! `encryptionVersion` column) is shown before and after. One record was
//! damaged on disk: it comes back untouched with its reason.
//!
//! Run: `cargo run --example blob_key_rotation`

use keyward::blob::{
    DeriveVector, Error, KeySetting, Keyring, OwnedRecordId, RecordId, StaticKey, StorageDeriveKey,
    encryption_version,
};
use keyward::key::HashKey;

fn column(blob: &[u8]) -> String {
    match encryption_version(blob) {
        Ok(id) => id.to_string(),
        Err(e) => format!("unreadable ({e})"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let old = KeySetting::derive_vector(DeriveVector::parse("0x2A")?).database_key();
    let mut ring = Keyring::new(old.clone());
    println!(
        "keyring: primary {} (derive vector 0x2A)",
        ring.primary().key_id()
    );

    let mut table: Vec<(OwnedRecordId, Vec<u8>)> = Vec::new();
    for n in 0..6 {
        let serial = format!("VDS00123{n:02}");
        let id = OwnedRecordId::from(RecordId::application(serial.as_bytes(), b"RESPONSE_ONLY"));
        let blob = ring.seal(
            &RecordId::application(serial.as_bytes(), b"RESPONSE_ONLY"),
            format!("secret {n}").as_bytes(),
        )?;
        table.push((id, blob));
    }

    // Rotation: a new primary; the old key stays in the ring for reading.
    let site = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    let sdk = StorageDeriveKey::from_hex(
        "00112233 44556677 8899AABB CCDDEEFF FFEEDDCC BBAA9988 77665544 33221100",
    )?;
    let new = KeySetting::storage_derive_key(sdk)
        .with_static_key(StaticKey::from_hash_key(&site))
        .database_key();
    ring.add_primary(new.clone())?;
    println!(
        "rotated: primary {} (storage derive key, static key from HashKey {}), still holding {}",
        ring.primary().key_id(),
        site.key_id(),
        ring.ids()
    );
    assert_eq!(ring.primary().key_id(), new.key_id());

    // Old records still open; a new write uses the new key.
    let first = RecordId::application(b"VDS0012300", b"RESPONSE_ONLY");
    assert_eq!(&ring.open(&first, &table[0].1)?[..], b"secret 0");
    let fresh = ring.seal(
        &RecordId::application(b"VDS0012399", b"RESPONSE_ONLY"),
        b"new",
    )?;
    println!("a new record is written under {}", column(&fresh));
    assert_eq!(encryption_version(&fresh)?, new.key_id());

    // Record 3 was damaged on disk (one bit of its ciphertext).
    let last = table[3].1.len() - 1;
    table[3].1[last] ^= 0x80;
    let damaged = table[3].1.clone();
    // Record 5 was already re-written under the new key by the application.
    table[5].1 = ring.seal(
        &RecordId::application(b"VDS0012305", b"RESPONSE_ONLY"),
        b"secret 5",
    )?;

    println!("\nbefore migration:");
    for (id, blob) in &table {
        println!(
            "  {}  encryption version {}",
            String::from_utf8_lossy(&id.serial),
            column(blob)
        );
    }

    println!("\nbatch migration:");
    let mut calls = 0;
    let total = table.len();
    let m = ring.migrate(table, |p| {
        calls += 1;
        let what = match &p.last {
            Some(Ok(keyward::blob::Reseal::Resealed { from, to })) => {
                format!("re-sealed {from} -> {to}")
            }
            Some(Ok(keyward::blob::Reseal::AlreadyCurrent)) => "already current".to_string(),
            Some(Err(e)) => format!("FAILED: {e}"),
            None => String::new(),
        };
        println!("  [{}/{total}] {what}", p.done);
    });
    println!("summary: {m}");
    assert_eq!(calls, 6);
    assert_eq!(
        (m.resealed.len(), m.current.len(), m.failed.len()),
        (4, 1, 1)
    );

    println!("\nafter migration (write the re-sealed BLOBs back):");
    for r in &m.resealed {
        println!(
            "  {}  encryption version {} (was {})",
            String::from_utf8_lossy(&r.id.serial),
            column(&r.blob),
            r.from
        );
        assert_eq!(encryption_version(&r.blob)?, new.key_id());
        assert_eq!(r.from, old.key_id());
        // Readable with the new key alone.
        assert!(
            new.open(&keyward::blob::RecordIdentity::record_id(&r.id), &r.blob)
                .is_ok()
        );
    }
    for (id, blob) in &m.current {
        println!(
            "  {}  encryption version {} (unchanged)",
            String::from_utf8_lossy(&id.serial),
            column(blob)
        );
    }
    for f in &m.failed {
        println!(
            "  {}  left untouched: {}",
            String::from_utf8_lossy(&f.id.serial),
            f.error
        );
        assert_eq!(f.blob, damaged, "a failed record comes back untouched");
        assert_eq!(f.error, Error::Authentication);
    }

    println!("\nOK: 4 re-sealed, 1 already current, 1 damaged record reported and kept as it was");
    Ok(())
}
