//! The BLOB conformance harness: one function that runs a suite's JSON
//! vector file through derivation, sealing, opening and header parsing.
//! Every suite's vector file goes through [`check_suite`]; a new suite adds
//! its JSON (computed independently, with the generator committed beside it)
//! and one `#[test]` calling this function.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs,
    dead_code
)]

use keyward_blob::{
    BlobKind, DatabaseKey, DeriveVector, Header, KeySetting, Keyring, RecordId, RecordKey,
    StaticIv, StaticKey, StorageDeriveKey, Suite, encryption_version, sealed_len_for,
};
use keyward_core::HashKey;
use serde_json::Value;

pub fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks every vector of `vectors_json` (the format of
/// `tests/data/blob_vectors.json`) against `suite`: static key, derive
/// vector / storage derive key, database key, key id, record key, the sealed
/// bytes (sealed with `suite`), the header's suite byte, opening (through a
/// database key and through a keyring) and the encryption version. Returns
/// the record keys in file order, for cross-vector checks.
pub fn check_suite(suite: Suite, vectors_json: &str) -> Vec<RecordKey> {
    let doc: Value = serde_json::from_str(vectors_json).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty(), "{suite}: no vectors");
    let mut record_keys = Vec::new();
    for v in vectors {
        let what = format!("{suite}: {}", v["description"].as_str().unwrap());
        let static_key = if v["static_key_is_builtin"].as_bool().unwrap() {
            StaticKey::builtin_default()
        } else if let Some(hk) = v["static_key_hashkey"].as_str() {
            StaticKey::from_hash_key(&HashKey::new(hk).unwrap())
        } else {
            StaticKey::from_slice(&hex(&v["static_key"])).unwrap()
        };
        assert_eq!(
            to_hex(static_key.expose_secret()),
            v["static_key"].as_str().unwrap(),
            "{what}"
        );
        let static_iv = StaticIv::from_hex(v["static_iv"].as_str().unwrap()).unwrap();
        let dv = DeriveVector::new(u32::try_from(v["derive_vector"].as_u64().unwrap()).unwrap())
            .unwrap();
        let setting = match v["storage_derive_key"].as_str() {
            Some(h) => {
                let sdk = StorageDeriveKey::from_hex(h).unwrap();
                let params = v["storage_derive_key_params"].as_str().unwrap();
                assert_eq!(&*sdk.to_params(), params, "{what}");
                assert_eq!(
                    StorageDeriveKey::parse_params(params).unwrap(),
                    sdk,
                    "{what}"
                );
                KeySetting::storage_derive_key(sdk).with_derive_vector(dv)
            }
            None => KeySetting::derive_vector(dv),
        }
        .with_static_key(static_key)
        .with_static_iv(static_iv);
        assert_eq!(
            u64::from(setting.mode()),
            v["mode"].as_u64().unwrap(),
            "{what}"
        );
        let dbk = setting.database_key();
        assert_eq!(
            to_hex(dbk.expose_secret()),
            v["database_key"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(
            dbk.key_id().to_string(),
            v["key_id"].as_str().unwrap(),
            "{what}"
        );

        let kind: BlobKind = v["kind"].as_str().unwrap().parse().unwrap();
        let (serial, app, ctx) = (
            hex(&v["serial"]),
            hex(&v["application"]),
            hex(&v["context"]),
        );
        let rec = RecordId::new(kind, &serial, &app).with_context(&ctx);
        let rk = dbk.record_key(kind, &serial, &app).unwrap();
        assert_eq!(
            to_hex(rk.expose_secret()),
            v["record_key"].as_str().unwrap(),
            "{what}"
        );
        record_keys.push(rk);

        let plaintext = hex(&v["plaintext"]);
        let sealed = hex(&v["sealed"]);
        let nonce: Option<[u8; 16]> = v["nonce"]
            .as_str()
            .map(|_| hex(&v["nonce"]).try_into().unwrap());
        let mut buf = vec![0u8; sealed.len()];
        let n = dbk
            .seal_into_with(suite, &rec, nonce.as_ref(), &plaintext, &mut buf)
            .unwrap();
        assert_eq!(
            Some(n),
            sealed_len_for(suite, plaintext.len(), nonce.is_some()),
            "{what}"
        );
        let header = Header::parse(&sealed).unwrap();
        assert_eq!(header.suite, suite, "{what}");
        assert_eq!(sealed[1], suite.byte(), "{what}");
        assert_eq!(header.key_id, dbk.key_id(), "{what}");
        assert_eq!(header.nonce, nonce, "{what}");
        assert_eq!(n, sealed.len(), "{what}");
        assert_eq!(to_hex(&buf), to_hex(&sealed), "{what}");
        assert_eq!(
            &dbk.open(&rec, &sealed).unwrap()[..],
            &plaintext[..],
            "{what}"
        );
        assert_eq!(encryption_version(&sealed).unwrap(), dbk.key_id(), "{what}");
        let ring = Keyring::new(dbk.clone());
        assert_eq!(
            &ring.open(&rec, &sealed).unwrap()[..],
            &plaintext[..],
            "{what}"
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x80;
        assert!(
            dbk.open(&rec, &tampered).is_err(),
            "{what}: tampered BLOB opened"
        );

        // The same BLOB through a database key rebuilt from raw bytes.
        let raw = DatabaseKey::from_array(*dbk.expose_secret(), static_iv);
        assert_eq!(raw.key_id(), dbk.key_id());
    }
    record_keys
}
