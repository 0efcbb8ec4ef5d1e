//! The wrapped-key file vectors of `tests/data/wrapped_key_vectors.json`,
//! computed independently by `wrapped_key_vector.py` (pyca/cryptography):
//! RustCrypto's `aes-kw` reproduces the RFC 5649 examples and every blob,
//! keyward-core the KCVs, and `WrappedKey` the file bytes both ways.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use aes_kw::KeyInit;
use keyward_core::{AesKey, KcvMethod};
use keyward_pkcs11::WrappedKey;
use serde_json::Value;

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/wrapped_key_vectors.json")).unwrap()
}

/// Wraps (RFC 5649) with RustCrypto under a KEK of any AES length.
fn kwp_wrap(kek: &[u8], key: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; key.len() + 16];
    match kek.len() {
        16 => aes_kw::KwpAes128::new_from_slice(kek)
            .unwrap()
            .wrap_key(key, &mut buf)
            .unwrap()
            .to_vec(),
        24 => aes_kw::KwpAes192::new_from_slice(kek)
            .unwrap()
            .wrap_key(key, &mut buf)
            .unwrap()
            .to_vec(),
        _ => aes_kw::KwpAes256::new_from_slice(kek)
            .unwrap()
            .wrap_key(key, &mut buf)
            .unwrap()
            .to_vec(),
    }
}

fn kwp_unwrap(kek: &[u8], blob: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; blob.len()];
    match kek.len() {
        16 => aes_kw::KwpAes128::new_from_slice(kek)
            .unwrap()
            .unwrap_key(blob, &mut buf)
            .unwrap()
            .to_vec(),
        24 => aes_kw::KwpAes192::new_from_slice(kek)
            .unwrap()
            .unwrap_key(blob, &mut buf)
            .unwrap()
            .to_vec(),
        _ => aes_kw::KwpAes256::new_from_slice(kek)
            .unwrap()
            .unwrap_key(blob, &mut buf)
            .unwrap()
            .to_vec(),
    }
}

#[test]
fn rfc5649_section6_examples() {
    let v = vectors();
    let examples = v["rfc5649"].as_array().unwrap();
    assert_eq!(examples.len(), 2);
    for e in examples {
        let (kek, key, wrapped) = (hex(&e["kek"]), hex(&e["key"]), hex(&e["wrapped"]));
        assert_eq!(kwp_wrap(&kek, &key), wrapped);
        assert_eq!(kwp_unwrap(&kek, &wrapped), key);
    }
}

#[test]
fn file_vectors_match_the_independent_computation() {
    let v = vectors();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let name = f["name"].as_str().unwrap();
        let transport = AesKey::from_slice(&hex(&f["transport_key"])).unwrap();
        let key = AesKey::from_slice(&hex(&f["key"])).unwrap();
        let method = match f["kcv_method"].as_str().unwrap() {
            "cmac" => KcvMethod::Cmac,
            _ => KcvMethod::Ecb,
        };
        let blob = hex(&f["blob"]);
        assert_eq!(
            kwp_wrap(transport.expose_secret(), key.expose_secret()),
            blob,
            "{name}"
        );
        assert_eq!(
            transport.kcv_with(method).bytes().as_slice(),
            hex(&f["wrapping_kcv"]),
            "{name}"
        );
        assert_eq!(
            key.kcv_with(method).bytes().as_slice(),
            hex(&f["key_kcv"]),
            "{name}"
        );
        let ours = WrappedKey {
            length: key.length(),
            kcv_method: method,
            wrapping_kcv: transport.kcv_with(method),
            key_kcv: key.kcv_with(method),
            label: f["label"].as_str().unwrap().to_owned(),
            blob: blob.clone(),
        };
        let file = hex(&f["file"]);
        assert_eq!(ours.to_bytes().unwrap(), file, "{name}");
        let parsed = WrappedKey::from_bytes(&file).unwrap();
        assert_eq!(parsed, ours, "{name}");
        assert_eq!(
            kwp_unwrap(transport.expose_secret(), &parsed.blob),
            key.expose_secret(),
            "{name}"
        );
    }
}
