//! Known answers: RFC 9106 §5.3 through the crate's Argon2id call, and the
//! crate's own vectors (tests/data/pinhash_vectors.json, computed
//! independently by tests/data/gen_vectors.py with libargon2 and Python HKDF).

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing,
    clippy::panic
)]

use hex_literal::hex;
use keyward_pinhash::{
    Block, HashKey, Params, ParsedHash, Pepper, PepperSet, PinHasher, SecretBytes, argon2id,
};

/// RFC 9106 §5.3: Argon2id v19, m = 32 KiB, t = 3, p = 4, 32-byte tag,
/// password 32 × 0x01, salt 16 × 0x02, secret 8 × 0x03, associated data
/// 12 × 0x04.
#[test]
fn rfc9106_argon2id_with_secret_and_associated_data() {
    let params = Params::new(32, 3, 4).unwrap();
    let mut memory = vec![Block::new(); params.block_count()];
    let mut tag = [0u8; 32];
    argon2id(
        &[0x03; 8],
        &[0x04; 12],
        &params,
        &[0x01; 32],
        &[0x02; 16],
        &mut tag,
        &mut memory,
    )
    .unwrap();
    assert_eq!(
        tag,
        hex!("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    );
    // The memory is wiped afterwards.
    let zero = Block::new();
    assert!(
        memory
            .iter()
            .all(|b| format!("{b:?}") == format!("{zero:?}"))
    );
    // Each input matters: drop the secret, or the associated data.
    for (secret, ad) in [(&[][..], &[0x04u8; 12][..]), (&[0x03; 8][..], &[][..])] {
        let mut other = [0u8; 32];
        argon2id(
            secret,
            ad,
            &params,
            &[0x01; 32],
            &[0x02; 16],
            &mut other,
            &mut memory,
        )
        .unwrap();
        assert_ne!(other, tag);
    }
}

fn vectors() -> Vec<serde_json::Value> {
    let text = include_str!("data/pinhash_vectors.json");
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    json["vectors"].as_array().unwrap().clone()
}

fn pepper_of(v: &serde_json::Value) -> Pepper {
    match v["pepper_source"].as_str().unwrap() {
        "hashkey" => Pepper::from_hash_key(&HashKey::new(v["hash_key"].as_str().unwrap()).unwrap()),
        "raw" => {
            Pepper::from_raw(SecretBytes::from_hex(v["raw_pepper_hex"].as_str().unwrap()).unwrap())
        }
        other => panic!("unknown pepper source {other}"),
    }
}

fn hasher_of(v: &serde_json::Value) -> PinHasher {
    let params = Params::new(
        v["m"].as_u64().unwrap() as u32,
        v["t"].as_u64().unwrap() as u32,
        v["p"].as_u64().unwrap() as u32,
    )
    .unwrap();
    PinHasher::new(PepperSet::new(pepper_of(v))).with_params(params)
}

#[test]
fn own_vectors_hash_to_the_independent_phc_strings() {
    let vs = vectors();
    assert_eq!(vs.len(), 6);
    for v in &vs {
        let label = v["label"].as_str().unwrap();
        let pepper = pepper_of(v);
        assert_eq!(
            pepper.key_id().to_string(),
            v["key_id_hex"],
            "{label}: key id"
        );
        let hasher = hasher_of(v);
        let input = hex::decode(v["input_nfkc_hex"].as_str().unwrap());
        let salt = hex::decode(v["salt_hex"].as_str().unwrap());
        let phc = v["phc"].as_str().unwrap();
        let parsed = ParsedHash::parse(phc).unwrap();
        assert_eq!(
            parsed.tag()[..],
            hex::decode(v["tag_hex"].as_str().unwrap())[..],
            "{label}"
        );
        match v["user"].as_str() {
            Some(user) => {
                let user = user.as_bytes();
                assert!(parsed.bound_to_user, "{label}");
                assert_eq!(
                    keyward_pinhash::user_ad(user).unwrap()[..],
                    hex::decode(v["ad_hex"].as_str().unwrap())[..],
                    "{label}: X"
                );
                // Rust writes the same string from the same inputs...
                let ours = hasher.hash_with_salt(user, &input, &salt).unwrap();
                assert_eq!(ours.as_str(), phc, "{label}");
                // ...which verifies for its user (through the password path
                // for the Unicode case), and for no other.
                let verified = hasher
                    .verify_password(user, v["input"].as_str().unwrap(), phc)
                    .unwrap();
                assert!(!verified.needs_rehash, "{label}");
                assert_eq!(
                    hasher.verify(b"mallory", &input, phc),
                    Err(keyward_pinhash::Error::Mismatch),
                    "{label}"
                );
            }
            None => {
                // A hash made before binding: verifies once for any user,
                // asking for a rehash that binds it.
                assert!(!parsed.bound_to_user, "{label}");
                assert_eq!(v["ad_hex"], "", "{label}");
                let verified = hasher.verify(b"alice", &input, phc).unwrap();
                assert_eq!(
                    verified.reason,
                    Some(keyward_pinhash::RehashReason::NotBoundToUser),
                    "{label}"
                );
                let rehashed = hasher.hash_with_salt(b"alice", &input, &salt).unwrap();
                assert!(ParsedHash::parse(rehashed.as_str()).unwrap().bound_to_user);
                assert_eq!(
                    hasher
                        .verify(b"alice", &input, rehashed.as_str())
                        .map(|v| v.needs_rehash),
                    Ok(false)
                );
                assert_eq!(
                    hasher.verify(b"bob", &input, rehashed.as_str()),
                    Err(keyward_pinhash::Error::Mismatch)
                );
            }
        }
    }
}

#[test]
fn hash_key_pepper_is_the_pin_pepper_subkey_and_its_key_id() {
    for v in vectors().iter().filter(|v| v["pepper_source"] == "hashkey") {
        let hk = HashKey::new(v["hash_key"].as_str().unwrap()).unwrap();
        assert_eq!(hk.key_id().to_string(), v["key_id_hex"]);
        assert_eq!(
            hk.subkey(keyward_core::Purpose::PinPepper)
                .expose_hex()
                .as_str(),
            v["pepper_hex"]
        );
    }
}

/// Unbound strings are plain Argon2id PHC strings: the `argon2` crate itself
/// verifies them given the pepper as its secret (keyid is not hashed).
#[test]
fn argon2_crate_verifies_our_strings_with_the_pepper_as_secret() {
    use argon2::password_hash::PasswordVerifier;
    // Unbound strings only: `bind=user` is keyward's parameter.
    for v in vectors()
        .iter()
        .filter(|v| v["m"].as_u64().unwrap() <= 256 && v["user"].is_null())
    {
        let pepper = hex::decode(v["pepper_hex"].as_str().unwrap());
        let a = argon2::Argon2::new_with_secret(
            &pepper,
            Default::default(),
            Default::default(),
            Default::default(),
        )
        .unwrap();
        let input = hex::decode(v["input_nfkc_hex"].as_str().unwrap());
        let phc = v["phc"].as_str().unwrap();
        assert!(
            PasswordVerifier::<str>::verify_password(&a, &input, phc).is_ok(),
            "{}",
            v["label"]
        );
        assert!(PasswordVerifier::<str>::verify_password(&a, b"wrong", phc).is_err());
    }
}

mod hex {
    pub fn decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
