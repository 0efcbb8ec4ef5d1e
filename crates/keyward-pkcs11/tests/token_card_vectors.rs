//! The share-record vectors of `tests/data/share_record_vectors.json`,
//! computed independently by `share_record_vector.py` (hashlib, pyca CMAC):
//! `ShareRecord` parses and re-encodes every record byte for byte, the
//! header fields agree with the share inside, and two share records of the
//! RFC 4493 key rebuild it through the facade's card recovery.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use keyward::backup::{
    CardHeader, CardRecovery, CardStore, PinEntry, SealParams, StoreError, TriesLeft, WriteMode,
};
use keyward::key::rand_core::CryptoRng;
use keyward_core::{Kcv, KcvMethod};
use keyward_pkcs11::share_record::{Kind, ShareRecord, object_label};
use serde_json::Value;
use zeroize::Zeroizing;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/share_record_vectors.json")).unwrap()
}

#[test]
fn every_record_parses_and_re_encodes_byte_for_byte() {
    let v = vectors();
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 6);
    for r in records {
        let bytes = hex(r["bytes"].as_str().unwrap());
        let kind = if r["kind"] == "share" {
            Kind::Share
        } else {
            Kind::Header
        };
        let rec = ShareRecord::from_bytes(&bytes, kind).unwrap();
        assert_eq!(rec.label, r["label"].as_str().unwrap());
        assert_eq!(u64::from(rec.set_id), r["set_id"].as_u64().unwrap());
        assert_eq!(u64::from(rec.number), r["number"].as_u64().unwrap());
        assert_eq!(u64::from(rec.threshold), r["threshold"].as_u64().unwrap());
        assert_eq!(rec.kcv.as_slice(), hex(v["kcv"].as_str().unwrap()));
        assert_eq!(rec.object_label(), r["object_label"].as_str().unwrap());
        assert_eq!(
            object_label(rec.set_id, rec.number, rec.shares),
            r["object_label"].as_str().unwrap()
        );
        if let Some(s) = r["share"].as_str() {
            assert_eq!(rec.share.as_deref().unwrap().as_slice(), hex(s));
        } else {
            assert!(rec.share.is_none());
        }
        assert_eq!(rec.to_bytes().unwrap().as_slice(), bytes.as_slice());
    }
}

/// A store over one vector record pair (what a token holds), to run the
/// facade's recovery on the vector bytes alone.
#[derive(Debug)]
struct Vector {
    header: ShareRecord,
    share: ShareRecord,
}

impl CardStore for Vector {
    fn describe(&self) -> String {
        "vector record".into()
    }
    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        let h = &self.header;
        CardHeader::new(
            h.label.clone(),
            h.set_id,
            (h.threshold, h.shares, h.number),
            Kcv::from_bytes(KcvMethod::Cmac, h.kcv),
            TriesLeft::Unknown,
        )
        .map_err(StoreError::Damaged)
    }
    fn unlock(&mut self, _pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        Ok(self.share.share.clone().unwrap())
    }
    fn pin_entry(&self) -> PinEntry {
        PinEntry::Typed
    }
    fn write_share(&mut self, _: &SealParams<'_>, _: WriteMode) -> Result<(), StoreError> {
        unreachable!()
    }
    fn change_pin(
        &mut self,
        _: Option<&[u8]>,
        _: Option<&[u8]>,
        _: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        unreachable!()
    }
}

#[test]
fn two_vector_records_rebuild_the_rfc4493_key() {
    let v = vectors();
    let records = v["records"].as_array().unwrap();
    let card = |i: usize| {
        let s = hex(records[2 * i]["bytes"].as_str().unwrap());
        let h = hex(records[2 * i + 1]["bytes"].as_str().unwrap());
        Vector {
            share: ShareRecord::from_bytes(&s, Kind::Share).unwrap(),
            header: ShareRecord::from_bytes(&h, Kind::Header).unwrap(),
        }
    };
    let mut rec = CardRecovery::new();
    rec.add(&mut card(2), Some(b"-")).unwrap();
    rec.add(&mut card(0), Some(b"-")).unwrap();
    let key = rec.finish().unwrap();
    assert_eq!(key.expose_hex().as_str(), v["key"].as_str().unwrap());
    assert_eq!(key.kcv().to_string(), "1A0B2D");
}
