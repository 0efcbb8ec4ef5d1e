//! keyward-pkcs11 against a real PKCS#11 module: SoftHSM2, its own token
//! directory per test, two tokens standing for two HSMs. Each test body
//! runs in a child process with its own `SOFTHSM2_CONF` (see
//! `support/softhsm.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/softhsm.rs"]
mod softhsm;

use aes_kw::KeyInit;
use hex_literal::hex;
use keyward_core::{AesKey, KcvMethod};
use keyward_pkcs11::{
    Error, KeyUsage, Modules, NewKey, PinSource, Pkcs11Uri, TokenSession, Tries, WrappedKey,
};
use softhsm::{ChildEnv, in_child};

/// RFC 4493 section 4's AES-256 example key (its KCVs are design.md's known answers).
const RFC4493_256: [u8; 32] =
    hex!("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
/// A transport key entered on both HSMs.
const TRANSPORT: [u8; 32] =
    hex!("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

fn open(
    env: &ChildEnv,
    modules: &mut Modules,
    token: &str,
    object: Option<&str>,
) -> (TokenSession, Pkcs11Uri) {
    let uri = Pkcs11Uri::parse(&env.uri(token, object)).unwrap();
    let t = modules.find_token(&uri).unwrap();
    (
        TokenSession::open(t, &uri, &mut PinSource::None).unwrap(),
        uri,
    )
}

fn spec(label: &str, usage: KeyUsage, extractable: bool) -> NewKey {
    NewKey {
        label: label.into(),
        usage,
        extractable,
        ..NewKey::default()
    }
}

#[test]
fn rfc4493_key_gives_the_known_kcvs_computed_by_the_token() {
    let Some(env) = in_child(
        "rfc4493_key_gives_the_known_kcvs_computed_by_the_token",
        &["hsm1"],
    ) else {
        return;
    };
    let mut modules = Modules::new(None);
    let (s, _) = open(&env, &mut modules, "hsm1", None);
    let key = AesKey::from_slice(&RFC4493_256).unwrap();
    let (created, kcv) = s
        .create_aes_key(
            &key,
            &spec("HSM_KEY_AES_ENCRYPTION_VER_13", KeyUsage::Data, false),
        )
        .unwrap();
    assert_eq!(kcv.to_string(), "1A0B2D");
    assert_eq!(
        s.kcv(&created, KcvMethod::Cmac).unwrap().to_string(),
        "1A0B2D"
    );
    assert_eq!(
        s.kcv(&created, KcvMethod::Ecb).unwrap().to_string(),
        "E568F6"
    );
    // Non-extractable and sensitive unless asked.
    assert_eq!(created.extractable, Some(false));
    assert_eq!(created.sensitive, Some(true));
    assert_eq!(created.type_and_size(), "AES-256");
    // Found again by label through a URI.
    let uri = Pkcs11Uri::parse(&env.uri("hsm1", Some("HSM_KEY_AES_ENCRYPTION_VER_13"))).unwrap();
    let again = s.find_key(&uri).unwrap();
    assert_eq!(s.kcv(&again, KcvMethod::Cmac).unwrap(), kcv);
    // An existing label is refused, and nothing is added.
    let e = s
        .create_aes_key(
            &key,
            &spec("HSM_KEY_AES_ENCRYPTION_VER_13", KeyUsage::Data, false),
        )
        .unwrap_err();
    assert!(matches!(e, Error::LabelExists { .. }), "{e}");
    assert_eq!(s.secret_keys().unwrap().len(), 1);
    // --replace: the new key replaces the old one, one object remains.
    let other = AesKey::from_slice(&TRANSPORT).unwrap();
    let mut replace = spec("HSM_KEY_AES_ENCRYPTION_VER_13", KeyUsage::Data, false);
    replace.replace = true;
    let (_, kcv2) = s.create_aes_key(&other, &replace).unwrap();
    let keys = s.secret_keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(s.kcv(&keys[0], KcvMethod::Cmac).unwrap(), kcv2);
    assert_ne!(kcv2, kcv);

    // A recovered key with its cards' KCV: created, non-extractable; a key
    // whose bytes do not give the expected KCV is refused before creation.
    let uri = Pkcs11Uri::parse(&env.uri("hsm1", Some("BACKUP"))).unwrap();
    let mut into = NewKey::from_uri(&uri).unwrap();
    into.expected_kcv = Some(kcv);
    let (backup, token_kcv) = s.create_aes_key(&key, &into).unwrap();
    assert_eq!(token_kcv, kcv);
    assert_eq!(backup.extractable, Some(false));
    into.label = "BACKUP2".into();
    let e = s.create_aes_key(&other, &into).unwrap_err();
    assert!(e.to_string().contains("before creating"), "{e}");
    assert_eq!(s.secret_keys().unwrap().len(), 2, "no BACKUP2");
}

#[test]
fn export_from_one_hsm_imports_into_another_and_unwraps_in_software() {
    let Some(env) = in_child(
        "export_from_one_hsm_imports_into_another_and_unwraps_in_software",
        &["hsm1", "hsm2"],
    ) else {
        return;
    };
    let mut modules = Modules::new(None);
    let (s1, _) = open(&env, &mut modules, "hsm1", None);
    let (s2, _) = open(&env, &mut modules, "hsm2", None);
    assert!(!s1.token().same_as(s2.token()));
    let transport = AesKey::from_slice(&TRANSPORT).unwrap();
    let (t1, _) = s1
        .create_aes_key(&transport, &spec("KEK", KeyUsage::Transport, false))
        .unwrap();
    let (t2, _) = s2
        .create_aes_key(&transport, &spec("KEK", KeyUsage::Transport, false))
        .unwrap();
    let data = AesKey::from_slice(&RFC4493_256).unwrap();
    let (k1, kcv) = s1
        .create_aes_key(&data, &spec("DEK", KeyUsage::Data, true))
        .unwrap();

    let wrapped = s1.wrap(&k1, &t1, KcvMethod::Cmac).unwrap();
    assert_eq!(wrapped.key_kcv.to_string(), "1A0B2D");
    assert_eq!(wrapped.label, "DEK");
    let file = wrapped.to_bytes().unwrap();
    // The file holds no clear key.
    assert!(
        !file
            .windows(8)
            .any(|w| RFC4493_256.windows(8).any(|k| k == w))
    );
    // RustCrypto's RFC 5649 implementation unwraps the blob to the key.
    let kwp = aes_kw::KwpAes256::new_from_slice(&TRANSPORT).unwrap();
    let mut buf = [0u8; 40];
    assert_eq!(
        kwp.unwrap_key(&wrapped.blob, &mut buf).unwrap(),
        &RFC4493_256
    );

    let parsed = WrappedKey::from_bytes(&file).unwrap();
    let imported = s2
        .unwrap(&parsed, &t2, &spec("DEK", KeyUsage::Data, false))
        .unwrap();
    assert_eq!(s2.kcv(&imported, KcvMethod::Cmac).unwrap(), kcv);
    assert_eq!(
        s2.kcv(&imported, KcvMethod::Ecb).unwrap().to_string(),
        "E568F6"
    );
    assert_eq!(imported.extractable, Some(false));

    // A non-extractable key is never exported.
    let e = s2.wrap(&imported, &t2, KcvMethod::Cmac).unwrap_err();
    assert!(e.to_string().contains("CKA_EXTRACTABLE is false"), "{e}");
    // A data key cannot wrap (no CKA_WRAP).
    let e = s1.wrap(&k1, &k1, KcvMethod::Cmac).unwrap_err();
    assert!(e.to_string().contains("CKA_WRAP is false"), "{e}");
}

#[test]
fn a_wrong_wrapping_key_is_named_before_any_unwrap() {
    let Some(env) = in_child(
        "a_wrong_wrapping_key_is_named_before_any_unwrap",
        &["hsm1", "hsm2"],
    ) else {
        return;
    };
    let mut modules = Modules::new(None);
    let (s1, _) = open(&env, &mut modules, "hsm1", None);
    let (s2, _) = open(&env, &mut modules, "hsm2", None);
    let (t1, _) = s1
        .create_aes_key(
            &AesKey::from_slice(&TRANSPORT).unwrap(),
            &spec("KEK", KeyUsage::Transport, false),
        )
        .unwrap();
    let mut other = TRANSPORT;
    other[0] ^= 1;
    let (t2, _) = s2
        .create_aes_key(
            &AesKey::from_slice(&other).unwrap(),
            &spec("KEK", KeyUsage::Transport, false),
        )
        .unwrap();
    let (k1, _) = s1
        .create_aes_key(
            &AesKey::from_slice(&RFC4493_256).unwrap(),
            &spec("DEK", KeyUsage::Data, true),
        )
        .unwrap();
    let wrapped = s1.wrap(&k1, &t1, KcvMethod::Cmac).unwrap();
    let e = s2
        .unwrap(&wrapped, &t2, &spec("DEK", KeyUsage::Data, false))
        .unwrap_err();
    assert!(matches!(e, Error::WrappingKeyMismatch { .. }), "{e}");
    assert!(e.to_string().contains("nothing was unwrapped"), "{e}");
    assert_eq!(s2.secret_keys().unwrap().len(), 1, "only the KEK");

    // A damaged blob (KCVs intact) fails the token's RFC 5649 check and
    // leaves nothing either.
    let (t2b, _) = s2
        .create_aes_key(
            &AesKey::from_slice(&TRANSPORT).unwrap(),
            &spec("KEK2", KeyUsage::Transport, false),
        )
        .unwrap();
    let mut damaged = wrapped.clone();
    damaged.blob[12] ^= 0x80;
    let e = s2
        .unwrap(&damaged, &t2b, &spec("DEK", KeyUsage::Data, false))
        .unwrap_err();
    assert!(e.to_string().contains("unwrapping the key"), "{e}");
    assert_eq!(s2.secret_keys().unwrap().len(), 2, "the two KEKs only");
}

#[test]
fn a_blob_wrapped_in_software_imports_into_the_token() {
    let Some(env) = in_child(
        "a_blob_wrapped_in_software_imports_into_the_token",
        &["hsm1"],
    ) else {
        return;
    };
    let mut modules = Modules::new(None);
    let (s, _) = open(&env, &mut modules, "hsm1", None);
    let transport = AesKey::from_slice(&TRANSPORT).unwrap();
    let (t, _) = s
        .create_aes_key(&transport, &spec("KEK", KeyUsage::Transport, false))
        .unwrap();
    let kwp = aes_kw::KwpAes256::new_from_slice(&TRANSPORT).unwrap();
    let mut buf = [0u8; 40];
    let blob = kwp.wrap_key(&RFC4493_256, &mut buf).unwrap().to_vec();
    let data = AesKey::from_slice(&RFC4493_256).unwrap();
    let file = WrappedKey {
        length: data.length(),
        kcv_method: KcvMethod::Cmac,
        wrapping_kcv: transport.kcv(),
        key_kcv: data.kcv(),
        label: "DEK".into(),
        blob,
    };
    let k = s
        .unwrap(&file, &t, &spec("DEK", KeyUsage::Data, false))
        .unwrap();
    assert_eq!(s.kcv(&k, KcvMethod::Cmac).unwrap().to_string(), "1A0B2D");

    // A file whose key KCV lies: unwrapped, found different, destroyed.
    let mut lying = file.clone();
    lying.key_kcv = transport.kcv();
    let e = s
        .unwrap(&lying, &t, &spec("DEK2", KeyUsage::Data, false))
        .unwrap_err();
    match &e {
        Error::KcvMismatch { removed, .. } => assert!(*removed, "{e}"),
        other => panic!("{other}"),
    }
    assert_eq!(s.secret_keys().unwrap().len(), 2, "KEK and DEK only");
}

#[test]
fn pin_errors_and_lookup_errors_are_named() {
    let Some(env) = in_child("pin_errors_and_lookup_errors_are_named", &["hsm1", "hsm2"]) else {
        return;
    };
    let mut modules = Modules::new(None);
    let bad_pin = env.dir.join("bad.pin");
    softhsm::write_secret(&bad_pin, "000000\n");
    let uri = Pkcs11Uri::parse(&format!(
        "pkcs11:token=hsm1?module-path={}&pin-source=file:{}",
        env.module.display(),
        bad_pin.display()
    ))
    .unwrap();
    let t = modules.find_token(&uri).unwrap();
    let e = TokenSession::open(t, &uri, &mut PinSource::None).unwrap_err();
    match &e {
        Error::PinIncorrect { token, .. } => {
            assert!(token.starts_with("token \"hsm1\" (serial "), "{e}")
        }
        other => panic!("{other}"),
    }
    // The token's tries flags, whatever they say, are in the message.
    if let Error::PinIncorrect { tries, .. } = &e {
        eprintln!("SoftHSM2 after a wrong PIN: {tries:?}");
        assert!(
            e.to_string().ends_with(if *tries == Tries::Unknown {
                "wrong PIN"
            } else {
                ")"
            }),
            "{e}"
        );
    }

    // No PIN anywhere: named, not prompted.
    let no_pin = Pkcs11Uri::parse(&format!(
        "pkcs11:token=hsm2?module-path={}",
        env.module.display()
    ))
    .unwrap();
    let t = modules.find_token(&no_pin).unwrap();
    let e = TokenSession::open(t.clone(), &no_pin, &mut PinSource::None).unwrap_err();
    assert!(e.to_string().contains("needs its user PIN"), "{e}");
    // The command's PIN file serves when the URI has no pin-source.
    let mut pins = PinSource::file(&env.pin_file).unwrap();
    let s = TokenSession::open(t, &no_pin, &mut pins).unwrap();

    // Lookup errors list what is there.
    let missing = Pkcs11Uri::parse(&format!(
        "pkcs11:token=hsm3?module-path={}",
        env.module.display()
    ))
    .unwrap();
    let e = modules.find_token(&missing).unwrap_err().to_string();
    assert!(e.contains("no token matches pkcs11:token=hsm3"), "{e}");
    assert!(e.contains("\"hsm1\"") && e.contains("\"hsm2\""), "{e}");
    let all = Pkcs11Uri::parse(&format!("pkcs11:?module-path={}", env.module.display())).unwrap();
    let e = modules.find_token(&all).unwrap_err().to_string();
    assert!(e.contains("matches 2 tokens"), "{e}");
    let key_uri = Pkcs11Uri::parse("pkcs11:token=hsm2;object=nope;type=secret-key").unwrap();
    let e = s.find_key(&key_uri).unwrap_err().to_string();
    assert!(e.contains("no secret key matches"), "{e}");
    let cert = Pkcs11Uri::parse("pkcs11:token=hsm2;object=x;type=cert").unwrap();
    assert!(matches!(
        s.find_key(&cert),
        Err(Error::NotASecretKey { found: "cert" })
    ));

    // Waiting for a token: a present one at once, silently; an absent one
    // after one notice and the timeout, with the tokens present listed.
    let mut notices = Vec::new();
    let short = core::time::Duration::from_millis(300);
    let poll = core::time::Duration::from_millis(50);
    let found = modules
        .wait_for_token(&no_pin, short, poll, &mut |u: &str| {
            notices.push(u.to_owned())
        })
        .unwrap();
    assert_eq!(found.info().label(), "hsm2");
    assert!(notices.is_empty());
    let started = std::time::Instant::now();
    let e = modules
        .wait_for_token(&missing, short, poll, &mut |u: &str| {
            notices.push(u.to_owned())
        })
        .unwrap_err();
    assert!(started.elapsed() >= short, "{:?}", started.elapsed());
    assert!(matches!(e, Error::TokenNotFound { .. }), "{e}");
    assert_eq!(notices, ["pkcs11:token=hsm3"]);
    // --no-wait: one look, no notice.
    let e = modules
        .wait_for_token(
            &missing,
            core::time::Duration::ZERO,
            poll,
            &mut |_: &str| panic!("no notice"),
        )
        .unwrap_err();
    assert!(matches!(e, Error::TokenNotFound { .. }), "{e}");

    // No module anywhere.
    let e = Modules::new(None)
        .find_token(&Pkcs11Uri::parse("pkcs11:token=hsm1").unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::NoModule), "{e}");
    let e = Modules::new(Some(env.dir.join("missing.so")))
        .find_token(&Pkcs11Uri::parse("pkcs11:token=hsm1").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.so: no such file"), "{e}");
}

/// OpenSC interop: a key made by `pkcs11-tool --keygen` (extractable) has the
/// KCV keyward's token computation reports, recomputed in software from the
/// key unwrapped with RustCrypto's RFC 5649.
#[test]
fn pkcs11_tool_keygen_kcv_matches_software() {
    let Some(env) = in_child("pkcs11_tool_keygen_kcv_matches_software", &["hsm1"]) else {
        return;
    };
    let Some(out) = env.pkcs11_tool(&[
        "--token-label",
        "hsm1",
        "--login",
        "--pin",
        softhsm::USER_PIN,
        "--keygen",
        "--key-type",
        "AES:32",
        "--label",
        "GEN",
        "--extractable",
        "--sensitive",
    ]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut modules = Modules::new(None);
    let (s, uri) = open(&env, &mut modules, "hsm1", Some("GEN"));
    let gen_key = s.find_key(&uri).unwrap();
    assert_eq!(gen_key.type_and_size(), "AES-256");
    let token_kcv = s.kcv(&gen_key, KcvMethod::Cmac).unwrap();
    let token_ecb = s.kcv(&gen_key, KcvMethod::Ecb).unwrap();
    let (t, _) = s
        .create_aes_key(
            &AesKey::from_slice(&TRANSPORT).unwrap(),
            &spec("KEK", KeyUsage::Transport, false),
        )
        .unwrap();
    let wrapped = s.wrap(&gen_key, &t, KcvMethod::Cmac).unwrap();
    let kwp = aes_kw::KwpAes256::new_from_slice(&TRANSPORT).unwrap();
    let mut buf = [0u8; 40];
    let clear = AesKey::from_slice(kwp.unwrap_key(&wrapped.blob, &mut buf).unwrap()).unwrap();
    assert_eq!(clear.kcv(), token_kcv);
    assert_eq!(clear.kcv_with(KcvMethod::Ecb), token_ecb);
}
