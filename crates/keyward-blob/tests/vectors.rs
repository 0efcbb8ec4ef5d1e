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
//! Known-answer vectors computed independently by
//! `tests/data/gen_vectors.py` (pyca/cryptography HKDF and AESSIV, from
//! docs/formats.md alone).

use keyward_blob::{
    BlobKind, DatabaseKey, DeriveVector, KeySetting, RecordId, StaticIv, StaticKey,
    StorageDeriveKey, encryption_version,
};
use keyward_core::HashKey;
use serde_json::Value;

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn python_vectors_reproduce_byte_for_byte() {
    let doc: Value = serde_json::from_str(include_str!("data/blob_vectors.json")).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 7);
    let mut record_keys = Vec::new();
    for v in vectors {
        let what = v["description"].as_str().unwrap();
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
            .seal_into(&rec, nonce.as_ref(), &plaintext, &mut buf)
            .unwrap();
        assert_eq!(n, sealed.len(), "{what}");
        assert_eq!(to_hex(&buf), to_hex(&sealed), "{what}");
        assert_eq!(
            &dbk.open(&rec, &sealed).unwrap()[..],
            &plaintext[..],
            "{what}"
        );
        assert_eq!(encryption_version(&sealed).unwrap(), dbk.key_id(), "{what}");

        // The same BLOB through a database key rebuilt from raw bytes.
        let raw = DatabaseKey::from_array(*dbk.expose_secret(), static_iv);
        assert_eq!(raw.key_id(), dbk.key_id());
    }
    // ("AB", "C") and ("A", "BC"): different record keys, different BLOBs.
    assert_ne!(record_keys[5], record_keys[6]);
    assert_ne!(vectors[5]["sealed"], vectors[6]["sealed"]);
}
