//! Known-answer vectors of the recovery-kit formats (Recovery URL token,
//! used-token record, application-PIN record, device secret file), computed
//! independently in Python from `docs/formats.md` by
//! `tests/data/gen_kit_vectors.py` (hmac, hashlib, base64, argon2-cffi,
//! cryptography's AES-SIV).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use keyward_core::SecretBytes;
use keyward_superpin::{
    AppPin, AppPinRecord, Argon2Params, DeviceSecret, Error, RecoveryUrlKey, RecoveryUrlToken,
    UsedTokens, parse_recovery_url, recovery_url,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/kit_vectors.json")).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 2];
    keyward_core::hex::decode_into(s, &mut out).unwrap();
    out
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().unwrap()
}

#[test]
fn recovery_url_tokens_match_the_python_vectors() {
    let v = vectors();
    let cases = v["recovery_url_tokens"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let key = RecoveryUrlKey::from_bytes(arr(c["server_key"].as_str().unwrap()));
        let account = c["account"].as_str().unwrap();
        let issued = c["issued_at"].as_u64().unwrap();
        let t = key
            .issue_with_id(
                account.as_bytes(),
                arr(c["token_id"].as_str().unwrap()),
                issued,
                c["valid_for"].as_u64().unwrap(),
            )
            .unwrap();
        assert_eq!(
            t.as_bytes().to_vec(),
            hex(c["token_hex"].as_str().unwrap()),
            "{account}"
        );
        assert_eq!(t.encode().as_str(), c["token_text"].as_str().unwrap());
        assert_eq!(t.expires_at(), c["expires_at"].as_u64().unwrap());
        let url = recovery_url(c["base"].as_str().unwrap(), account, &t).unwrap();
        assert_eq!(url, c["url"].as_str().unwrap());
        // The Python token parses and verifies here.
        let (_, acct, parsed) = parse_recovery_url(&url).unwrap();
        assert_eq!(acct, account);
        key.verify(&parsed, account.as_bytes(), issued).unwrap();
        let text = RecoveryUrlToken::parse(c["token_text"].as_str().unwrap()).unwrap();
        assert_eq!(text, t);
    }
}

#[test]
fn used_tokens_record_matches_the_python_vector() {
    let v = vectors();
    let u = &v["used_tokens"];
    let mut used = UsedTokens::new();
    for e in u["entries"].as_array().unwrap().iter().rev() {
        used.insert(
            arr(e["token_id"].as_str().unwrap()),
            e["expires_at"].as_u64().unwrap(),
            0,
        )
        .unwrap();
    }
    let bytes = hex(u["record_hex"].as_str().unwrap());
    assert_eq!(used.to_bytes(), bytes);
    assert_eq!(UsedTokens::from_bytes(&bytes).unwrap(), used);
}

#[test]
fn app_pin_records_match_the_python_vectors() {
    let v = vectors();
    let cases = v["app_pin_records"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let device = DeviceSecret::from_bytes(arr(c["device_secret"].as_str().unwrap()));
        assert_eq!(device.id().to_vec(), hex(c["device_id"].as_str().unwrap()));
        let file = hex(c["device_secret_file_hex"].as_str().unwrap());
        assert_eq!(device.to_file_bytes().to_vec(), file);
        assert_eq!(
            DeviceSecret::from_file_bytes(&file)
                .unwrap()
                .expose_secret(),
            device.expose_secret()
        );
        let pin = AppPin::parse(c["pin"].as_str().unwrap()).unwrap();
        let params = Argon2Params {
            m_cost_kib: c["m_cost_kib"].as_u64().unwrap() as u32,
            t_cost: c["t_cost"].as_u64().unwrap() as u32,
            p_cost: c["p_cost"].as_u64().unwrap() as u32,
        };
        let key = SecretBytes::from_array(arr(c["installation_key"].as_str().unwrap()));
        let rec = AppPinRecord::create_with_salt(
            &key,
            &pin,
            &device,
            params,
            c["max_tries"].as_u64().unwrap() as u8,
            arr(c["salt"].as_str().unwrap()),
        )
        .unwrap();
        let bytes = hex(c["record_hex"].as_str().unwrap());
        assert_eq!(rec.to_bytes().to_vec(), bytes);
        // The Python record opens here with the PIN and device secret.
        let mut parsed = AppPinRecord::from_bytes(&bytes).unwrap();
        let opened = parsed
            .unlock_with(&pin, &device, |_: &AppPinRecord| Ok::<(), Error>(()))
            .unwrap();
        assert_eq!(opened, key);
    }
}
