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
//! Invariants (`docs/design.md#per-record-blob-protection`): round trip for arbitrary inputs; any single-bit
//! flip anywhere in a sealed BLOB fails to open; any change of identity fails.

use keyward_blob::{BlobKind, DatabaseKey, DeriveVector, KeySetting, RecordId, StorageDeriveKey};
use proptest::prelude::*;

fn key(dv: u32, sdk: Option<[u8; 32]>) -> DatabaseKey {
    let dv = DeriveVector::new(dv).unwrap();
    match sdk {
        Some(b) => {
            KeySetting::storage_derive_key(StorageDeriveKey::from_array(b)).with_derive_vector(dv)
        }
        None => KeySetting::derive_vector(dv),
    }
    .database_key()
}

fn kind(b: bool) -> BlobKind {
    if b {
        BlobKind::Application
    } else {
        BlobKind::PayloadKey
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn round_trip(
        dv in 0u32..=0x7FFF_FFFF,
        sdk in proptest::option::of(any::<[u8; 32]>()),
        k in any::<bool>(),
        serial in proptest::collection::vec(any::<u8>(), 0..24),
        app in proptest::collection::vec(any::<u8>(), 0..24),
        ctx in proptest::collection::vec(any::<u8>(), 0..24),
        nonce in proptest::option::of(any::<[u8; 16]>()),
        pt in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let key = key(dv, sdk);
        let r = RecordId::new(kind(k), &serial, &app).with_context(&ctx);
        let mut buf = vec![0u8; pt.len() + 40];
        buf[..pt.len()].copy_from_slice(&pt);
        let n = key.seal_in_place(&r, nonce.as_ref(), &mut buf, pt.len()).unwrap();
        prop_assert_eq!(n, keyward_blob::sealed_len(pt.len(), nonce.is_some()).unwrap());
        prop_assert_eq!(&key.open(&r, &buf[..n]).unwrap()[..], &pt[..]);
        prop_assert_eq!(key.open_in_place(&r, &mut buf[..n]).unwrap(), &pt[..]);
    }

    #[test]
    fn any_single_bit_flip_fails(
        dv in 0u32..=0x7FFF_FFFF,
        nonce in proptest::option::of(any::<[u8; 16]>()),
        pt in proptest::collection::vec(any::<u8>(), 0..64),
        bit in any::<proptest::sample::Index>(),
    ) {
        let key = key(dv, None);
        let r = RecordId::application(b"VDS0000001", b"APP");
        let mut blob = key.seal_vec_for_test(&r, nonce.as_ref(), &pt);
        let i = bit.index(blob.len() * 8);
        blob[i / 8] ^= 1 << (i % 8);
        prop_assert!(key.open(&r, &blob).is_err(), "bit {} flipped and still opened", i);
    }

    #[test]
    fn any_identity_change_fails(
        pt in proptest::collection::vec(any::<u8>(), 0..64),
        serial in proptest::collection::vec(any::<u8>(), 0..16),
        app in proptest::collection::vec(any::<u8>(), 0..16),
        ctx in proptest::collection::vec(any::<u8>(), 0..16),
        which in 0usize..4,
        extra in any::<u8>(),
    ) {
        let key = key(5, None);
        let r = RecordId::application(&serial, &app).with_context(&ctx);
        let blob = key.seal(&r, &pt).unwrap();
        let mut s2 = serial.clone();
        let mut a2 = app.clone();
        let mut c2 = ctx.clone();
        let mut other = r;
        match which {
            0 => { s2.push(extra); other.serial = &s2; }
            1 => { a2.push(extra); other.application = &a2; }
            2 => { c2.push(extra); other.context = &c2; }
            _ => { other.kind = BlobKind::PayloadKey; }
        }
        prop_assert_eq!(key.open(&other, &blob).map(|p| p.to_vec()), Err(keyward_blob::Error::Authentication));
    }

    #[test]
    fn params_text_round_trip(bytes in any::<[u8; 32]>(), order in Just((1..=8).collect::<Vec<u32>>()).prop_shuffle()) {
        let sdk = StorageDeriveKey::from_array(bytes);
        let text = sdk.to_params();
        let lines: Vec<&str> = text.lines().collect();
        let shuffled: String = order.iter().map(|&n| format!("{}\n", lines[n as usize - 1])).collect();
        prop_assert_eq!(StorageDeriveKey::parse_params(&shuffled).unwrap(), sdk);
    }
}

trait SealVec {
    fn seal_vec_for_test(&self, r: &RecordId<'_>, nonce: Option<&[u8; 16]>, pt: &[u8]) -> Vec<u8>;
}

impl SealVec for DatabaseKey {
    fn seal_vec_for_test(&self, r: &RecordId<'_>, nonce: Option<&[u8; 16]>, pt: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; keyward_blob::sealed_len(pt.len(), nonce.is_some()).unwrap()];
        self.seal_into(r, nonce, pt, &mut out).unwrap();
        out
    }
}
