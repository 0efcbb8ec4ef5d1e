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
//! Keyring, rotation and batch migration (`docs/design.md#versioned-field-encryption`).

use keyward_blob::{
    DatabaseKey, DeriveVector, Error, KeySetting, Keyring, MAX_KEYS, OwnedRecordId, Progress,
    RecordId, Reseal, StorageDeriveKey, encryption_version,
};

fn dv(v: u32) -> DatabaseKey {
    KeySetting::derive_vector(DeriveVector::new(v).unwrap()).database_key()
}

fn rec(n: u32) -> OwnedRecordId {
    RecordId::application(format!("VDS{n:07}").as_bytes(), b"RESPONSE_ONLY").into()
}

#[test]
fn open_selects_by_key_id_and_seal_uses_primary() {
    let mut ring = Keyring::new(dv(1));
    ring.add(dv(2)).unwrap();
    let r = RecordId::application(b"S", b"A");
    let b1 = dv(1).seal(&r, b"one").unwrap();
    let b2 = dv(2).seal(&r, b"two").unwrap();
    assert_eq!(&ring.open(&r, &b1).unwrap()[..], b"one");
    assert_eq!(&ring.open(&r, &b2).unwrap()[..], b"two");
    assert_eq!(
        encryption_version(&ring.seal(&r, b"x").unwrap()).unwrap(),
        dv(1).key_id()
    );
    ring.set_primary(dv(2).key_id()).unwrap();
    assert_eq!(ring.primary().key_id(), dv(2).key_id());
    assert_eq!(ring.ids().as_slice(), &[dv(2).key_id(), dv(1).key_id()]);

    let b3 = dv(3).seal(&r, b"three").unwrap();
    let e = ring.open(&r, &b3).unwrap_err();
    assert_eq!(
        e,
        Error::KeyIdNotHeld {
            found: dv(3).key_id(),
            held: ring.ids()
        }
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("key id {}", dv(3).key_id()))
            && text.contains(&format!("held: {}, {}", dv(2).key_id(), dv(1).key_id())),
        "{text}"
    );
    assert_eq!(
        ring.add(dv(1)),
        Err(Error::DuplicateKeyId { id: dv(1).key_id() })
    );
    assert!(matches!(
        ring.set_primary(dv(9).key_id()),
        Err(Error::KeyIdNotHeld { .. })
    ));
    for v in 3..=MAX_KEYS as u32 {
        ring.add(dv(v)).unwrap();
    }
    assert_eq!(ring.add(dv(100)), Err(Error::KeyringFull));
    assert_eq!(ring.ids().as_slice().len(), MAX_KEYS);
}

#[test]
fn reseal_in_place_keeps_length_and_nonce() {
    let old = dv(1);
    let sdk = StorageDeriveKey::from_array([9; 32]);
    let new = KeySetting::storage_derive_key(sdk).database_key();
    let mut ring = Keyring::new(old.clone());
    ring.add_primary(new.clone()).unwrap();
    let r = RecordId::payload_key(b"S", b"A").with_context(b"ctx");
    let mut rng = keyward_core::os_rng();
    let blob = old.seal_randomized(&mut rng, &r, b"payload key").unwrap();
    let mut buf = blob.clone();
    let what = ring.reseal_in_place(&r, &mut buf).unwrap();
    assert_eq!(
        what,
        Reseal::Resealed {
            from: old.key_id(),
            to: new.key_id()
        }
    );
    assert_eq!(buf.len(), blob.len());
    assert_eq!(buf[8..24], blob[8..24], "nonce kept");
    assert_eq!(&new.open(&r, &buf).unwrap()[..], b"payload key");
    let before = buf.clone();
    assert_eq!(
        ring.reseal_in_place(&r, &mut buf).unwrap(),
        Reseal::AlreadyCurrent
    );
    assert_eq!(buf, before, "already current: same bytes");
    // A failure leaves the buffer as it was.
    let mut tampered = blob.clone();
    *tampered.last_mut().unwrap() ^= 0x80;
    let copy = tampered.clone();
    assert_eq!(
        ring.reseal_in_place(&r, &mut tampered),
        Err(Error::Authentication)
    );
    assert_eq!(tampered, copy);
}

#[test]
fn batch_migration_loses_nothing() {
    let (a, b, c) = (dv(10), dv(11), dv(12));
    let mut ring = Keyring::new(b.clone());
    ring.add(a.clone()).unwrap();
    ring.add_primary(c.clone()).unwrap();
    let mut records = Vec::new();
    let mut expect_plain = Vec::new();
    for n in 0..20u32 {
        let id = rec(n);
        let plaintext = format!("seed {n}").into_bytes();
        let key = match n % 4 {
            0 => &a,
            1 => &b,
            2 => &c,
            _ => &dv(99), // not held
        };
        let mut blob = key
            .seal(&keyward_blob::RecordIdentity::record_id(&id), &plaintext)
            .unwrap();
        if n == 5 {
            blob[25] ^= 1; // tampered
        }
        if n == 9 {
            blob.truncate(4);
        }
        expect_plain.push(plaintext);
        records.push((id, blob));
    }
    let originals = records.clone();
    let mut seen = Vec::new();
    let m = ring.migrate(records, |p: &Progress| seen.push(*p));
    assert_eq!(seen.len(), 20);
    assert_eq!(seen.last().unwrap().done, 20);
    assert!(seen.windows(2).all(|w| w[1].done == w[0].done + 1));
    assert_eq!(m.total(), 20);
    // n%4==3 (5 records) not held; n=5 tampered, n=9 truncated (both n%4==1).
    assert_eq!(m.failed.len(), 7, "{m}");
    assert_eq!(m.current.len(), 5);
    assert_eq!(m.resealed.len(), 8);
    assert_eq!(
        m.to_string(),
        "20 records: 8 resealed, 5 already current, 7 failed"
    );
    for f in &m.failed {
        let original = &originals.iter().find(|(id, _)| *id == f.id).unwrap().1;
        assert_eq!(&f.blob, original, "failed records come back untouched");
        match f.error {
            Error::KeyIdNotHeld { found, .. } => assert_eq!(found, dv(99).key_id()),
            Error::Authentication => assert_eq!(f.id, rec(5)),
            Error::Truncated { .. } => assert_eq!(f.id, rec(9)),
            e => panic!("unexpected {e:?}"),
        }
    }
    for r in &m.resealed {
        assert_eq!(encryption_version(&r.blob).unwrap(), c.key_id());
        assert!(r.from == a.key_id() || r.from == b.key_id());
        let n: usize = std::str::from_utf8(&r.id.serial[3..])
            .unwrap()
            .parse()
            .unwrap();
        let id = keyward_blob::RecordIdentity::record_id(&r.id);
        assert_eq!(&c.open(&id, &r.blob).unwrap()[..], &expect_plain[n][..]);
    }
    for (_, blob) in &m.current {
        assert_eq!(encryption_version(blob).unwrap(), c.key_id());
    }
}

#[test]
fn wrong_storage_derive_key_or_static_key_is_named_by_key_id() {
    let words = [
        0x0011_2233,
        0x4455_6677,
        0x8899_AABB,
        0xCCDD_EEFF,
        0xFFEE_DDCC,
        0xBBAA_9988,
        0x7766_5544,
        0x3322_1100,
    ];
    let right = KeySetting::storage_derive_key(StorageDeriveKey::from_words(&words)).database_key();
    let mut typo = words;
    typo[6] ^= 0x10; // StorageDeriveKey7 mistyped
    let wrong = KeySetting::storage_derive_key(StorageDeriveKey::from_words(&typo)).database_key();
    let other_static = KeySetting::storage_derive_key(StorageDeriveKey::from_words(&words))
        .with_static_key(keyward_blob::StaticKey::from_array([7; 32]))
        .database_key();
    let r = RecordId::application(b"S", b"A");
    let blob = right.seal(&r, b"x").unwrap();
    for k in [&wrong, &other_static] {
        let e = k.open(&r, &blob).unwrap_err();
        assert!(
            matches!(e, Error::KeyIdNotHeld { found, held } if found == right.key_id() && held.as_slice() == [k.key_id()]),
            "{e:?}"
        );
    }
}
