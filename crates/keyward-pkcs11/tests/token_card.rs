//! `TokenCard` against SoftHSM2: backup-key shares on real PKCS#11 tokens
//! through the facade's ceremony and recovery (`docs/design.md#card-storage`,
//! `docs/formats.md` "keyward-pkcs11: a backup-key share on a token"). Each
//! test runs in a child process with its own `SOFTHSM2_CONF` and tokens.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/softhsm.rs"]
mod softhsm;

use core::time::Duration;

use keyward::backup::{
    self, BackupOptions, CardRecovery, CardStore, Error, FileCard, StoreError, TriesLeft, WriteMode,
};
use keyward_core::{Aes256Key, KcvMethod};
use keyward_pkcs11::share_record::{Kind, ShareRecord};
use keyward_pkcs11::{Modules, Pkcs11Uri, TokenCard, Wait};
use softhsm::{ChildEnv, USER_PIN, in_child};
use zeroize::Zeroizing;

fn card(env: &ChildEnv, modules: &mut Modules, token: &str) -> TokenCard {
    let uri = Pkcs11Uri::parse(&env.uri(token, None)).unwrap();
    TokenCard::open(
        modules,
        &uri,
        Wait {
            timeout: Duration::ZERO,
            poll: Duration::from_millis(10),
            waiting: &mut |_| panic!("the token is there"),
        },
    )
    .unwrap()
}

fn opts() -> BackupOptions {
    // Tokens ignore the Argon2 costs (the token's PIN protects the share);
    // the weak test costs keep any soft card in these tests fast.
    BackupOptions::new(2, 3).unwrap().weak_argon2_for_tests()
}

/// Rebuilds the key from the cards at `order` (their own PINs).
fn recover(cards: &mut [TokenCard], order: &[usize]) -> Result<Aes256Key, Error> {
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    for &i in order {
        let pin = cards[i].own_pin().map(<[u8]>::to_vec);
        rec.add(&mut cards[i], pin.as_deref())?;
    }
    rec.finish()
}

fn listing(env: &ChildEnv, token: &str, login: bool) -> String {
    let mut args = vec!["--token-label", token, "--list-objects", "--type", "data"];
    if login {
        args.extend(["--login", "--pin", USER_PIN]);
    }
    let o = env.pkcs11_tool(&args).expect("pkcs11-tool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn three_tokens_recover_from_3_and_1_and_from_2_and_3() {
    let Some(env) = in_child(
        "three_tokens_recover_from_3_and_1_and_from_2_and_3",
        &["card1", "card2", "card3", "empty"],
    ) else {
        return;
    };
    let mut m = Modules::new(None);
    let mut cards: Vec<TokenCard> = ["card1", "card2", "card3"]
        .iter()
        .map(|t| card(&env, &mut m, t))
        .collect();
    let mut rng = keyward_core::os_rng();
    let made = backup::create_on(&opts(), &mut cards, &mut rng).unwrap();
    assert_eq!(made.subsets, 3);
    let h = cards[1].read_header().unwrap();
    assert_eq!((h.number, h.threshold, h.shares), (2, 2, 3));
    assert_eq!(h.kcv, made.kcv);
    assert_eq!(h.label, "backup card 2 of 3");
    assert_eq!(h.argon2, None);

    let a = recover(&mut cards, &[2, 0]).unwrap();
    let b = recover(&mut cards, &[1, 2]).unwrap();
    assert_eq!(a.kcv(), made.kcv);
    assert_eq!(b.kcv(), made.kcv);
    assert_eq!(a.expose_secret(), made.key.expose_secret());

    // The share object is private: pkcs11-tool sees only the header
    // without login, both objects after it.
    let label = format!("keyward set {:04X} card 1 of 3", h.set_id);
    let public = listing(&env, "card1", false);
    assert_eq!(public.matches("Data object").count(), 1, "{public}");
    assert!(
        public.contains(&label) && !public.contains("private"),
        "{public}"
    );
    let all = listing(&env, "card1", true);
    assert_eq!(all.matches("Data object").count(), 2, "{all}");
    assert_eq!(all.matches("private").count(), 1, "{all}");

    // The same token twice is the same card.
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let pin = cards[0].own_pin().map(<[u8]>::to_vec);
    rec.add(&mut cards[0], pin.as_deref()).unwrap();
    let mut again = card(&env, &mut m, "card1");
    let e = rec.add(&mut again, pin.as_deref()).unwrap_err();
    assert!(matches!(e, Error::SameCard { .. }), "{e}");

    // A token without a share is named.
    let mut empty = card(&env, &mut m, "empty");
    let e = empty.read_header().unwrap_err();
    assert!(matches!(e, StoreError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("token \"empty\""), "{e}");
}

#[test]
fn wrong_pin_a_second_backup_and_replace() {
    let Some(env) = in_child(
        "wrong_pin_a_second_backup_and_replace",
        &["card1", "card2", "card3", "other1", "other2", "other3"],
    ) else {
        return;
    };
    let mut m = Modules::new(None);
    let names = ["card1", "card2", "card3"];
    let mut cards: Vec<TokenCard> = names.iter().map(|t| card(&env, &mut m, t)).collect();
    let mut rng = keyward_core::os_rng();
    let first = backup::create_on(&opts(), &mut cards, &mut rng).unwrap();

    // Wrong PIN: counted by the token, reported with its flags, named.
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let e = rec.add(&mut cards[0], Some(b"000000")).unwrap_err();
    let Some(StoreError::WrongPin { tries_left }) = e.store_error() else {
        panic!("{e}");
    };
    assert_eq!(
        *tries_left,
        TriesLeft::Low,
        "SoftHSM2 sets CKF_USER_PIN_COUNT_LOW"
    );
    assert!(e.to_string().starts_with("wrong PIN for card 1"), "{e}");
    assert_eq!(cards[0].read_header().unwrap().tries_left, TriesLeft::Low);

    // A second backup over the set is refused, naming the token; the first
    // set is intact.
    let e = backup::create_on(&opts(), &mut cards, &mut rng).unwrap_err();
    assert!(
        matches!(e.store_error(), Some(StoreError::Exists { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("token \"card1\""), "{e}");
    assert_eq!(recover(&mut cards, &[0, 1]).unwrap().kcv(), first.kcv);

    // Another set is named as foreign, before its PIN is tried.
    let mut others: Vec<TokenCard> = ["other1", "other2", "other3"]
        .iter()
        .map(|t| card(&env, &mut m, t))
        .collect();
    backup::create_on(&opts(), &mut others, &mut rng).unwrap();
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut cards[0], Some(USER_PIN.as_bytes())).unwrap();
    let e = rec.add(&mut others[1], Some(b"wrong-pin")).unwrap_err();
    assert!(matches!(e, Error::ForeignCard { .. }), "{e}");

    // --replace: the new set replaces the old one, one pair of objects per token.
    let mut o = opts();
    o.write_mode = WriteMode::Replace;
    let second = backup::create_on(&o, &mut cards, &mut rng).unwrap();
    assert_ne!(second.kcv, first.kcv);
    assert_eq!(recover(&mut cards, &[2, 1]).unwrap().kcv(), second.kcv);
    for t in names {
        let all = listing(&env, t, true);
        assert_eq!(all.matches("Data object").count(), 2, "{t}: {all}");
    }
}

#[test]
fn copy_change_pin_and_a_mixed_set() {
    let Some(env) = in_child(
        "copy_change_pin_and_a_mixed_set",
        &["card1", "card2", "card3", "dr1", "mixed"],
    ) else {
        return;
    };
    let mut m = Modules::new(None);
    let mut cards: Vec<TokenCard> = ["card1", "card2", "card3"]
        .iter()
        .map(|t| card(&env, &mut m, t))
        .collect();
    let mut rng = keyward_core::os_rng();
    let made = backup::create_on(&opts(), &mut cards, &mut rng).unwrap();

    // Token to token: the disaster-recovery duplicate of card 1.
    let mut dr = card(&env, &mut m, "dr1");
    let h = backup::copy_share(
        &mut cards[0],
        None,
        &mut dr,
        keyward::superpin::Argon2Params::OWASP,
        [7; 16],
        WriteMode::CreateNew,
    )
    .unwrap();
    assert_eq!(h.number, 1);
    let mut set = vec![dr, card(&env, &mut m, "card3")];
    assert_eq!(recover(&mut set, &[0, 1]).unwrap().kcv(), made.kcv);
    // Copying onto it again is refused.
    let e = backup::copy_share(
        &mut cards[0],
        None,
        &mut set[0],
        keyward::superpin::Argon2Params::OWASP,
        [7; 16],
        WriteMode::CreateNew,
    )
    .unwrap_err();
    assert!(
        matches!(e.store_error(), Some(StoreError::Exists { .. })),
        "{e}"
    );

    // Token to file and back to recovery with the file.
    let dir = env.dir.join("files");
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = FileCard::new(dir.join("card-2.kwcard"));
    backup::copy_share(
        &mut cards[1],
        None,
        &mut file,
        keyward::superpin::Argon2Params::OWASP,
        [9; 16],
        WriteMode::CreateNew,
    )
    .unwrap();
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut file, Some(USER_PIN.as_bytes())).unwrap();
    rec.add(&mut cards[2], Some(USER_PIN.as_bytes())).unwrap();
    assert_eq!(rec.finish().unwrap().kcv(), made.kcv);

    // change-pin: the policy first (no try), then the token's C_SetPIN.
    let e = cards[2]
        .change_pin(Some(USER_PIN.as_bytes()), Some(b"123456"), &mut rng)
        .unwrap_err();
    assert!(matches!(e, StoreError::NewPin(_)), "{e}");
    cards[2]
        .change_pin(Some(USER_PIN.as_bytes()), Some(b"842613"), &mut rng)
        .unwrap();
    let mut fresh = card(&env, &mut m, "card3");
    let e = fresh.unlock(Some(USER_PIN.as_bytes())).unwrap_err();
    assert!(matches!(e, StoreError::WrongPin { .. }), "{e}");
    assert_eq!(fresh.unlock(Some(b"842613")).unwrap().len(), 42);

    // A mixed set: two card files and one token, written and read back by
    // the ceremony, recovered from a file and the token.
    let mut stores: Vec<Box<dyn CardStore>> = vec![
        Box::new(FileCard::new(dir.join("m1.kwcard"))),
        Box::new(card(&env, &mut m, "mixed")),
        Box::new(FileCard::new(dir.join("m3.kwcard"))),
    ];
    let mixed = backup::create_on(&opts(), &mut stores, &mut rng).unwrap();
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut stores[1], Some(USER_PIN.as_bytes())).unwrap();
    rec.add(&mut stores[2], Some(backup::DEFAULT_PIN)).unwrap();
    assert_eq!(rec.finish().unwrap().kcv(), mixed.kcv);
}

/// The record of `docs/formats.md` built field by field here (not with the
/// crate's encoder): magic, version, kind, label, set id, k, n, i, KCV,
/// [share length, share], SHA-256 checksum of the bytes before it.
fn record_by_hand(
    label: &str,
    share: &keyward::shamir::slip39::Share,
    n: u8,
    kcv: &[u8; 5],
    kind: u8,
) -> Vec<u8> {
    use sha2::Digest;
    let mut r = b"KWTS\x01".to_vec();
    r.push(kind);
    r.push(u8::try_from(label.len()).unwrap());
    r.extend_from_slice(label.as_bytes());
    r.extend_from_slice(&share.identifier().to_be_bytes());
    r.push(share.member_threshold());
    r.push(n);
    r.push(share.member_index() + 1);
    r.extend_from_slice(kcv);
    if kind == 2 {
        let b = share.to_bytes();
        r.push(u8::try_from(b.len()).unwrap());
        r.extend_from_slice(&b);
    }
    let sum = sha2::Sha256::digest(&r);
    r.extend_from_slice(&sum[..8]);
    r
}

#[test]
fn objects_written_by_pkcs11_tool_are_recovered() {
    let Some(env) = in_child(
        "objects_written_by_pkcs11_tool_are_recovered",
        &["tool1", "tool2"],
    ) else {
        return;
    };
    // RFC 4493 section 4's AES-256 key (KCV 1A0B2D, docs/design.md).
    let key = Aes256Key::from_slice(&hex_literal::hex!(
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
    ))
    .unwrap();
    let kcv = key.kcv_with(KcvMethod::Cmac);
    let mut p = keyward::shamir::slip39::Params::single(2, 3).unwrap();
    p.extendable = true;
    let mut rng = keyward_core::os_rng();
    let groups = keyward::shamir::slip39::split(key.expose_secret(), b"", &p, &mut rng).unwrap();
    let shares: Vec<_> = groups.iter().flatten().collect();
    for (token, share) in ["tool1", "tool2"].iter().zip(&shares[1..]) {
        let no = share.member_index() + 1;
        let label = format!("tool card {no} of 3");
        let object = format!("keyward set {:04X} card {no} of 3", share.identifier());
        for (kind, private) in [(2u8, true), (1u8, false)] {
            let path = env.dir.join(format!("{token}-{kind}.bin"));
            let bytes = Zeroizing::new(record_by_hand(&label, share, 3, kcv.bytes(), kind));
            softhsm::write_secret_bytes(&path, &bytes);
            let mut args = vec![
                "--token-label",
                token,
                "--login",
                "--pin",
                USER_PIN,
                "--write-object",
                path.to_str().unwrap(),
                "--type",
                "data",
                "--label",
                &object,
                "--application-label",
                "keyward",
            ];
            if private {
                args.push("--private");
            }
            let o = env.pkcs11_tool(&args).expect("pkcs11-tool");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            std::fs::remove_file(&path).unwrap();
        }
    }
    let mut m = Modules::new(None);
    let mut cards = vec![card(&env, &mut m, "tool2"), card(&env, &mut m, "tool1")];
    let h = cards[0].read_header().unwrap();
    assert_eq!(h.label, "tool card 3 of 3");
    let got = recover(&mut cards, &[0, 1]).unwrap();
    assert_eq!(got.kcv().to_string(), "1A0B2D");
    assert_eq!(got.expose_secret(), key.expose_secret());

    // And keyward's own object reads back with pkcs11-tool after login:
    // the private share record parses as docs/formats.md says.
    let o = env
        .pkcs11_tool(&[
            "--token-label",
            "tool1",
            "--login",
            "--pin",
            USER_PIN,
            "--read-object",
            "--type",
            "data",
            "--application-label",
            "keyward",
            "--label",
            &format!("keyward set {:04X} card 2 of 3", shares[1].identifier()),
        ])
        .expect("pkcs11-tool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // pkcs11-tool reads the first match; the private share or the header.
    let kind = if o.stdout.get(5) == Some(&2) {
        Kind::Share
    } else {
        Kind::Header
    };
    let r = ShareRecord::from_bytes(&o.stdout, kind).unwrap();
    assert_eq!((r.set_id, r.number), (shares[1].identifier(), 2));

    // A second header object (what an interrupted replace leaves) is named
    // with both sets, never read as one of them.
    let path = env.dir.join("extra-header.bin");
    let label = "tool card 1 of 3";
    softhsm::write_secret_bytes(&path, &record_by_hand(label, shares[0], 3, kcv.bytes(), 1));
    let o = env
        .pkcs11_tool(&[
            "--token-label",
            "tool1",
            "--login",
            "--pin",
            USER_PIN,
            "--write-object",
            path.to_str().unwrap(),
            "--type",
            "data",
            "--label",
            "stale",
            "--application-label",
            "keyward",
        ])
        .expect("pkcs11-tool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e = cards[1].read_header().unwrap_err().to_string();
    assert!(e.contains("token \"tool1\""), "{e}");
    assert!(e.contains("holds 2 keyward header objects"), "{e}");
    assert!(
        e.contains(&format!("set {:04X} card 1", shares[0].identifier())),
        "{e}"
    );
    assert!(e.contains("--replace again"), "{e}");
}
