//! The backup-key ceremony: cards, PINs, read-back, recovery errors.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use std::num::NonZeroUsize;

use keyward::backup::{
    self, BackupOptions, Card, CardRecovery, CardStore, DEFAULT_PIN, Damage, Error, MemoryCard,
    SealParams, StoreError, TriesLeft, WriteMode,
};
use keyward::key::{Aes256Key, KcvMethod};
use keyward::shamir::slip39;

const PIN: Option<&[u8]> = Some(DEFAULT_PIN);

fn no(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

fn rec_of(c: &MemoryCard) -> &Card {
    c.card().unwrap()
}

/// A store error as the recovery numbers it.
fn store_err(e: &Error) -> (Option<usize>, &StoreError) {
    match e {
        Error::Card { card, error } => (card.map(NonZeroUsize::get), error),
        other => panic!("expected a card error, found {other:?}"),
    }
}

fn wrong_pin(e: &Error) -> (Option<usize>, TriesLeft) {
    match store_err(e) {
        (n, StoreError::WrongPin { tries_left }) => (n, *tries_left),
        (_, other) => panic!("expected a wrong PIN, found {other:?}"),
    }
}

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn opts(k: u8, n: u8) -> BackupOptions {
    let mut o = BackupOptions::new(k, n).unwrap();
    o = o.weak_argon2_for_tests();
    o.iteration_exponent = 0;
    o
}

fn recover(cards: &mut [MemoryCard], order: &[usize]) -> Result<Aes256Key, Error> {
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    for &i in order {
        rec.add(&mut cards[i], PIN)?;
    }
    rec.finish()
}

#[test]
fn two_of_three_any_two_in_any_order() {
    let made = backup::create(&opts(2, 3), &mut rng(1)).unwrap();
    assert_eq!(made.cards.len(), 3);
    for (i, c) in made.cards.iter().enumerate() {
        let c = rec_of(c);
        assert_eq!(c.label(), format!("backup card {} of 3", i + 1));
        assert_eq!(usize::from(c.number()), i + 1);
        assert_eq!(c.threshold(), 2);
        assert_eq!(c.shares(), 3);
        assert_eq!(c.kcv_bytes(), made.kcv.bytes());
        assert_eq!(c.kcv_hex(), made.kcv.to_string());
        assert_eq!(c.tries_left(), 3);
    }
    for order in [[0, 1], [1, 0], [2, 0], [1, 2], [2, 1], [0, 2]] {
        let mut cards = made.cards.clone();
        let key = recover(&mut cards, &order).unwrap();
        assert_eq!(key, made.key);
    }
}

#[test]
fn three_of_five_read_back_checks_all_ten_subsets() {
    let made = backup::create(&opts(3, 5), &mut rng(2)).unwrap();
    let mut cards = made.cards.clone();
    assert_eq!(backup::verify_read_back(&mut cards, PIN).unwrap(), 10);
    // A right PIN leaves the counters as they were.
    assert!(cards.iter().all(|c| rec_of(c).wrong_pins() == 0));
    assert_eq!(recover(&mut cards, &[4, 1, 3]).unwrap(), made.key);
}

#[test]
fn progress_messages() {
    let made = backup::create(&opts(3, 5), &mut rng(3)).unwrap();
    let mut cards = made.cards;
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let p = rec.add(&mut cards[3], PIN).unwrap();
    assert_eq!(p.to_string(), "card 1 of 3 read; 2 more needed");
    let p = rec.add(&mut cards[0], PIN).unwrap();
    assert_eq!(p.to_string(), "card 2 of 3 read; 1 more needed");
    assert!(matches!(
        rec.finish().unwrap_err(),
        Error::NotEnoughCards { needed: 3, read: 2 }
    ));
    let p = rec.add(&mut cards[2], PIN).unwrap();
    assert_eq!(p.to_string(), "card 3 of 3 read; the key can be rebuilt");
    assert!(p.is_complete());
    rec.finish().unwrap();
}

#[test]
fn same_card_twice_and_a_copy_are_named() {
    let made = backup::create(&opts(2, 3), &mut rng(4)).unwrap();
    let mut cards = made.cards.clone();
    let mut copy = MemoryCard::new();
    let header = backup::duplicate(&mut cards[1], &mut copy, WriteMode::CreateNew).unwrap();
    assert_eq!(header.number, 2);
    assert_eq!(copy.to_bytes(), cards[1].to_bytes());
    // The copy refuses to be overwritten.
    assert!(matches!(
        backup::duplicate(&mut cards[0], &mut copy, WriteMode::CreateNew).unwrap_err(),
        StoreError::Exists { .. }
    ));
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut cards[1], PIN).unwrap();
    let e = rec.add(&mut copy, PIN).unwrap_err();
    assert!(matches!(e, Error::SameCard { card, first } if card == no(2) && first == no(1)));
    assert_eq!(
        e.to_string(),
        "card 2 is the same card as card 1 (a copy of it?): read another card of the set"
    );
    // After a refused card and a wrong PIN, numbering still follows the offers.
    let e = rec.add(&mut cards[2], Some(b"000000")).unwrap_err();
    assert_eq!(wrong_pin(&e), (Some(3), TriesLeft::Count(2)));
    let e = rec.add(&mut cards[1], PIN).unwrap_err();
    assert!(matches!(e, Error::SameCard { card, first } if card == no(4) && first == no(1)));
    rec.add(&mut cards[2], PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), made.key);
    // A correct PIN reset the counter.
    assert_eq!(rec_of(&cards[2]).tries_left(), 3);
}

#[test]
fn card_from_another_set_is_refused_before_the_pin() {
    let a = backup::create(&opts(2, 3), &mut rng(5)).unwrap();
    let b = backup::create(&opts(2, 3), &mut rng(6)).unwrap();
    let (mut ca, mut cb) = (a.cards, b.cards);
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut ca[0], PIN).unwrap();
    // Wrong PIN on the foreign card: refused as foreign, its counter untouched.
    let e = rec.add(&mut cb[1], Some(b"999999")).unwrap_err();
    let (sa, sb) = (rec_of(&ca[0]).set_id(), rec_of(&cb[1]).set_id());
    assert!(matches!(
        e,
        Error::ForeignCard { card, expected_set, found_set }
            if card == no(2) && expected_set == sa && found_set == sb
    ));
    assert!(
        e.to_string()
            .starts_with("card 2 belongs to another backup set (set id ")
    );
    assert_eq!(rec_of(&cb[1]).tries_left(), 3);
    rec.add(&mut ca[2], PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), a.key);
}

#[test]
fn wrong_pins_count_down_and_block() {
    let made = backup::create(&opts(2, 3), &mut rng(7)).unwrap();
    let mut card = made.cards[0].clone();
    let e = Error::from(card.unlock(Some(b"111111")).unwrap_err());
    assert_eq!(wrong_pin(&e), (None, TriesLeft::Count(2)));
    assert_eq!(
        e.to_string(),
        "wrong PIN for the card: 2 tries left before the card blocks"
    );
    // The counter survives a save and reload.
    let mut card = MemoryCard::with_card(Card::from_bytes(&card.to_bytes().unwrap()).unwrap());
    assert_eq!(rec_of(&card).wrong_pins(), 1);
    assert_eq!(card.read_header().unwrap().tries_left, TriesLeft::Count(2));
    assert_eq!(
        card.unlock(Some(b"222222")).unwrap_err().to_string(),
        "wrong PIN for the card: 1 try left before the card blocks"
    );
    let e = card.unlock(Some(b"333333")).unwrap_err();
    assert!(matches!(
        e,
        StoreError::WrongPin {
            tries_left: TriesLeft::Count(0)
        }
    ));
    assert_eq!(
        e.to_string(),
        "wrong PIN for the card: no tries left, the card is now blocked"
    );
    assert!(card.read_header().unwrap().is_blocked());
    // Blocked: even the right PIN is refused.
    assert!(matches!(
        card.unlock(PIN).unwrap_err(),
        StoreError::Blocked { after: Some(3) }
    ));
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let e = rec.add(&mut card, PIN).unwrap_err();
    assert!(matches!(
        store_err(&e),
        (Some(1), StoreError::Blocked { .. })
    ));
    assert_eq!(
        e.to_string(),
        "card 1 is blocked after 3 wrong PINs: use another card of the set or its duplicate"
    );
    // Two wrong then a right PIN: reset.
    let mut card = made.cards[1].clone();
    card.unlock(Some(b"111111")).unwrap_err();
    card.unlock(Some(b"111111")).unwrap_err();
    card.unlock(PIN).unwrap();
    assert_eq!(rec_of(&card).wrong_pins(), 0);
    // A soft card takes a typed PIN: none given is refused before any try.
    assert!(matches!(
        card.unlock(None).unwrap_err(),
        StoreError::PinEntry { .. }
    ));
    assert_eq!(rec_of(&card).wrong_pins(), 0);
}

#[test]
fn change_pin_reseals_and_checks_policy() {
    let made = backup::create(&opts(2, 3), &mut rng(8)).unwrap();
    let mut cards = made.cards.clone();
    let before = cards[0].to_bytes();
    let mut r = rng(9);
    // Trivial and short new PINs are refused without counting a try.
    for bad in [&b"654321"[..], b"12345", b"12345a"] {
        assert!(matches!(
            cards[0].change_pin(PIN, Some(bad), &mut r),
            Err(StoreError::NewPin(_))
        ));
    }
    assert_eq!(rec_of(&cards[0]).tries_left(), 3);
    // Wrong old PIN counts.
    let e = cards[0]
        .change_pin(Some(b"000000"), Some(b"802514"), &mut r)
        .unwrap_err();
    assert!(matches!(
        e,
        StoreError::WrongPin {
            tries_left: TriesLeft::Count(2)
        }
    ));
    cards[0].change_pin(PIN, Some(b"802514"), &mut r).unwrap();
    assert_ne!(cards[0].to_bytes(), before);
    assert_eq!(rec_of(&cards[0]).tries_left(), 3);
    assert!(matches!(
        cards[0].unlock(PIN),
        Err(StoreError::WrongPin { .. })
    ));
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut cards[0], Some(b"802514")).unwrap();
    rec.add(&mut cards[2], PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), made.key);
}

#[test]
fn damage_is_told_apart_from_a_wrong_pin() {
    let made = backup::create(&opts(2, 3), &mut rng(10)).unwrap();
    let good = made.cards[0].to_bytes().unwrap();
    assert_eq!(&Card::from_bytes(&good).unwrap(), rec_of(&made.cards[0]));
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        let e = Card::from_bytes(&bad).unwrap_err();
        assert!(matches!(e, StoreError::Damaged(_)), "byte {i}: {e:?}");
    }
    for len in 0..good.len() {
        assert!(matches!(
            Card::from_bytes(&good[..len]).unwrap_err(),
            StoreError::Damaged(_)
        ));
    }
    assert!(matches!(
        Card::from_bytes(b"not a card at all").unwrap_err(),
        StoreError::Damaged(Damage::Magic)
    ));
    let e = Card::from_bytes(&good[..40]).unwrap_err();
    assert!(matches!(e, StoreError::Damaged(Damage::Checksum)));
    assert_eq!(
        Error::Card {
            card: Some(no(2)),
            error: e
        }
        .to_string(),
        "card 2 is damaged (checksum mismatch): it cannot be read; use its duplicate from the disaster-recovery set"
    );
}

#[test]
fn read_back_catches_a_card_of_another_key() {
    let a = backup::create(&opts(2, 3), &mut rng(11)).unwrap();
    let b = backup::create(&opts(2, 3), &mut rng(12)).unwrap();
    let mut mixed = a.cards.clone();
    mixed[1] = b.cards[1].clone();
    let e = backup::verify_read_back(&mut mixed, PIN).unwrap_err();
    assert!(matches!(e, Error::ReadBack { .. }), "{e:?}");
}

#[test]
fn the_ceremony_refuses_stores_that_hold_a_share() {
    let a = backup::create(&opts(2, 3), &mut rng(15)).unwrap();
    let mut stores = vec![MemoryCard::new(), a.cards[1].clone(), MemoryCard::new()];
    let e = backup::create_on(&opts(2, 3), &mut stores, &mut rng(16)).unwrap_err();
    assert!(matches!(
        store_err(&e),
        (Some(2), StoreError::Exists { .. })
    ));
    assert_eq!(stores[1], a.cards[1], "card 2 is left as it was");
    let mut two = vec![MemoryCard::new(), MemoryCard::new()];
    assert!(matches!(
        backup::create_on(&opts(2, 3), &mut two, &mut rng(16)).unwrap_err(),
        Error::Stores {
            expected: 3,
            found: 2
        }
    ));
}

#[test]
fn options_are_checked() {
    assert!(matches!(
        BackupOptions::new(1, 3).unwrap_err(),
        Error::Threshold { k: 1, n: 3 }
    ));
    assert!(matches!(
        BackupOptions::new(4, 3).unwrap_err(),
        Error::Threshold { k: 4, n: 3 }
    ));
    assert!(BackupOptions::new(2, 17).is_err());
    let mut o = opts(2, 3);
    o.label_prefix = "x".repeat(60);
    assert!(matches!(
        backup::create(&o, &mut rng(13)).unwrap_err(),
        Error::Label { .. }
    ));
}

fn vector(version: u8) -> serde_json::Value {
    let path = format!(
        "{}/tests/data/card_record_v{version}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn field(v: &serde_json::Value, name: &str) -> String {
    match &v[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => panic!("field {name}: unexpected {other}"),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 2];
    keyward::key::hex::decode_into(s, &mut out).unwrap();
    out
}

/// The JSON vector of `docs/formats.md` ("keyward (facade): card record",
/// version 2), computed independently by `tests/data/card_record_vector.py`:
/// Rust seals the same record from the same inputs and opens the Python one.
#[test]
fn card_record_vector() {
    let v = vector(2);
    let f = |name: &str| field(&v, name);
    let record = unhex(&f("record"));
    let share_bytes = unhex(&f("share"));
    let key = Aes256Key::from_hex(&f("key")).unwrap();
    let pin = f("pin");
    let salt: [u8; 16] = unhex(&f("salt")).try_into().unwrap();
    let params = keyward::superpin::Argon2Params {
        m_cost_kib: f("m_cost_kib").parse().unwrap(),
        t_cost: f("t_cost").parse().unwrap(),
        p_cost: f("p_cost").parse().unwrap(),
    };
    // Rust reproduces the record from the same inputs...
    let share = slip39::Share::from_bytes(&share_bytes, 1).unwrap();
    // ... with the SLIP-0039 parameters the spec states.
    assert!(share.extendable());
    assert_eq!(share.group_count(), 1);
    assert_eq!(share.group_threshold(), 1);
    let kcv = key.kcv_with(KcvMethod::Cmac);
    let label = f("label");
    let seal = |allow_weak_argon2| {
        Card::seal(&SealParams {
            label: &label,
            share: &share,
            shares: f("shares").parse().unwrap(),
            kcv: &kcv,
            argon2: params,
            salt,
            pin: pin.as_bytes(),
            allow_weak_argon2,
        })
    };
    // The vector's parameters are test parameters: refused unless allowed.
    assert!(matches!(
        seal(false).unwrap_err(),
        Error::Argon2Floor { found } if found == params
    ));
    let sealed = seal(true).unwrap();
    assert_eq!(sealed.to_bytes(), record);
    assert_eq!(format!("{:02x}", sealed.flags()), f("flags"));
    // ...and opens the Python-made record.
    let card = Card::from_bytes(&record).unwrap();
    assert_eq!(card.version(), 2);
    assert_eq!(card.label(), f("label"));
    assert_eq!(format!("{:04x}", card.set_id()), f("set_id"));
    assert_eq!(hexs(card.kcv_bytes()), f("kcv"));
    assert_eq!(card.argon2(), params);
    assert!(card.is_weak_argon2());
    assert_eq!(card.has_default_pin(), Some(true));
    let mut store = MemoryCard::with_card(card);
    assert_eq!(*store.unlock(Some(pin.as_bytes())).unwrap(), share_bytes);
}

/// A version 1 record (the Python vector) is still read and opened; its
/// default-PIN state is unknown, its weakness is read from its parameters;
/// a PIN change rewrites it as version 2 with the default-PIN flag clear.
#[test]
fn card_record_v1_is_still_read() {
    let v = vector(1);
    let f = |name: &str| field(&v, name);
    let card = Card::from_bytes(&unhex(&f("record"))).unwrap();
    assert_eq!(card.version(), 1);
    assert_eq!(card.has_default_pin(), None);
    assert!(card.is_weak_argon2());
    let h = card.public_header();
    assert!(h.weak_argon2);
    let mut store = MemoryCard::with_card(card);
    assert_eq!(
        *store.unlock(Some(f("pin").as_bytes())).unwrap(),
        unhex(&f("share"))
    );
    store
        .change_pin(Some(f("pin").as_bytes()), Some(b"802514"), &mut rng(40))
        .unwrap();
    let bytes = store.to_bytes().unwrap();
    assert_eq!(bytes[4], 2, "rewritten as version 2");
    let again = Card::from_bytes(&bytes).unwrap();
    assert_eq!(again.has_default_pin(), Some(false));
    assert_eq!(again.flags(), backup::FLAG_WEAK_ARGON2_FOR_TESTS);
    assert_eq!(*store.unlock(Some(b"802514")).unwrap(), unhex(&f("share")));
}

/// Version 2 flags are checked: an unknown bit, or a weak flag that
/// disagrees with the parameters, is damage (found before any PIN).
#[test]
fn card_flags_are_checked() {
    let v = vector(2);
    let record = unhex(&field(&v, "record"));
    for flags in [0x00u8, 0x02, 0x04, 0x83] {
        let mut r = record.clone();
        r[5] = flags;
        let body = r.len() - 8;
        let sum = sha2_prefix(&r[..body]);
        r[body..].copy_from_slice(&sum);
        assert!(
            matches!(
                Card::from_bytes(&r).unwrap_err(),
                StoreError::Damaged(Damage::Flags { found }) if found == flags
            ),
            "flags {flags:02x}"
        );
    }
}

/// Below the floor (OWASP's 19,456 KiB, t = 2) nothing is written without
/// the test-only allowance, and a recovery refuses a test card before its
/// PIN unless allowed; at the floor, cards are not test cards.
#[test]
fn argon2_floor_for_card_pins() {
    let mut o = BackupOptions::new(2, 2).unwrap();
    o.argon2 = keyward::superpin::Argon2Params {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };
    let e = backup::create(&o, &mut rng(41)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected card Argon2id parameters of at least 19456 KiB and 2 passes, found 8 KiB and 1 pass: weaker parameters are for tests only and must be allowed explicitly"
    );
    o.argon2.m_cost_kib = 19456;
    assert!(matches!(
        backup::create(&o, &mut rng(41)).unwrap_err(),
        Error::Argon2Floor { .. }
    ));
    let mut made = backup::create(&opts(2, 2), &mut rng(42)).unwrap();
    let mut rec = CardRecovery::new();
    let e = rec.add(&mut made.cards[0], PIN).unwrap_err();
    assert!(matches!(e, Error::WeakArgon2 { .. }), "{e:?}");
    assert_eq!(card_tries(&made.cards[0]), 3, "refused before the PIN");
    assert!(e.to_string().starts_with("card 1 is a test card: its Argon2id parameters (64 KiB, 1 pass) are below the floor of 19456 KiB and 2 passes"), "{e}");
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut made.cards[0], PIN).unwrap();
    assert!(backup::meets_card_floor(&backup::CARD_ARGON2_FLOOR));
}

fn card_tries(c: &MemoryCard) -> u8 {
    rec_of(c).tries_left()
}

/// `Card::seal` refuses what `Card::from_bytes` refuses: a threshold of 1,
/// more than 16 cards, a card number above n, a share of a secret longer
/// than 32 bytes — so a sealed card always reads back.
#[test]
fn seal_refuses_what_parse_refuses() {
    let kcv = Aes256Key::generate(&mut rng(43)).kcv_with(KcvMethod::Cmac);
    let seal = |share: &slip39::Share, shares: u8| {
        Card::seal(&SealParams {
            label: "x",
            share,
            shares,
            kcv: &kcv,
            argon2: opts(2, 3).argon2,
            salt: [0; 16],
            pin: DEFAULT_PIN,
            allow_weak_argon2: true,
        })
    };
    let split = |secret: &[u8], k: u8, n: u8| {
        let mut p = slip39::Params::single(k, n).unwrap();
        p.iteration_exponent = 0;
        slip39::split(secret, b"", &p, &mut rng(44)).unwrap()
    };
    // Threshold 1 (SLIP-0039 allows 1-of-1).
    let one = split(&[1u8; 32], 1, 1);
    assert!(matches!(
        seal(&one[0][0], 1).unwrap_err(),
        Error::Threshold { k: 1, n: 1 }
    ));
    let two = split(&[1u8; 32], 2, 3);
    // n above 16, and n below the card's number.
    assert!(matches!(
        seal(&two[0][0], 17).unwrap_err(),
        Error::Threshold { .. }
    ));
    assert!(matches!(
        seal(&two[0][2], 2).unwrap_err(),
        Error::Threshold { .. }
    ));
    // A 240-byte secret (whose record length would not fit its length byte).
    let long = split(&[1u8; 240], 2, 3);
    assert!(matches!(
        seal(&long[0][0], 3).unwrap_err(),
        Error::ShareLength { .. }
    ));
    // Every accepted seal parses back.
    let ok = seal(&two[0][1], 3).unwrap();
    assert_eq!(Card::from_bytes(&ok.to_bytes()).unwrap(), ok);
}

/// The ceremony's SLIP-0039 parameters are those `docs/formats.md` states:
/// one group, k of n, extendable, iteration exponent from the options, empty
/// passphrase.
#[test]
fn ceremony_shares_have_the_stated_slip39_parameters() {
    let mut o = opts(3, 5);
    o.iteration_exponent = 2;
    let mut made = backup::create(&o, &mut rng(17)).unwrap();
    let mut shares = Vec::new();
    for (i, c) in made.cards.iter_mut().enumerate() {
        let bytes = c.unlock(PIN).unwrap();
        let s = slip39::Share::from_bytes(&bytes, i + 1).unwrap();
        assert!(s.extendable());
        assert_eq!(s.iteration_exponent(), 2);
        assert_eq!((s.group_count(), s.group_threshold()), (1, 1));
        assert_eq!(s.member_threshold(), 3);
        assert_eq!(usize::from(s.member_index()), i);
        assert_eq!(s.identifier(), rec_of(c).set_id());
        shares.push(s);
    }
    let mut r = slip39::Recovery::new();
    for s in shares.into_iter().take(3) {
        r.add(s).unwrap();
    }
    assert_eq!(
        r.finish(backup::PASSPHRASE).unwrap().expose_secret(),
        made.key.expose_secret()
    );
}

/// A card cannot hold a share of a 16-byte secret: refused when sealed and,
/// for a record made elsewhere, when parsed (so `card info` already says so).
#[test]
fn a_share_of_a_16_byte_secret_is_refused_at_seal_and_at_parse() {
    let mut params = slip39::Params::single(2, 3).unwrap();
    params.iteration_exponent = 0;
    let groups = slip39::split(&[7u8; 16], b"", &params, &mut rng(18)).unwrap();
    let share = &groups[0][0];
    assert_eq!(share.to_bytes().len(), 25);
    let kcv = Aes256Key::generate(&mut rng(19)).kcv_with(KcvMethod::Cmac);
    let e = Card::seal(&SealParams {
        label: "short",
        share,
        shares: 3,
        kcv: &kcv,
        argon2: opts(2, 3).argon2,
        salt: [0; 16],
        pin: DEFAULT_PIN,
        allow_weak_argon2: true,
    })
    .unwrap_err();
    assert!(matches!(e, Error::ShareLength { found: 25 }));
    assert_eq!(
        e.to_string(),
        "expected a share of a 32-byte backup key (42 bytes), found a share of 25 bytes"
    );
    // A record sealing 25 bytes (S = 41), checksum valid: damaged at parse.
    let good = unhex(&field(&vector(1), "record"));
    let s_at = 6 + 18 + 39; // 45 + L
    assert_eq!(good[s_at], 58);
    let mut short = good[..s_at].to_vec();
    short.push(41);
    short.extend_from_slice(&good[s_at + 1..s_at + 1 + 41]);
    short.extend_from_slice(&sha2_prefix(&short));
    let e = Card::from_bytes(&short).unwrap_err();
    assert!(matches!(
        e,
        StoreError::Damaged(Damage::SealedLength { found: 41 })
    ));
    assert_eq!(
        e.to_string(),
        "the card is damaged (expected a sealed share of 58 bytes (one share of a 32-byte backup key), found 41 bytes): it cannot be read; use its duplicate from the disaster-recovery set"
    );
}

/// Writes the inputs of the vector (run with `--ignored --nocapture` to
/// regenerate `tests/data/card_record_inputs.txt`).
#[test]
#[ignore = "prints the vector's inputs"]
fn print_vector_inputs() {
    let mut r = rng(42);
    let key = Aes256Key::generate(&mut r);
    let mut params = slip39::Params::single(2, 3).unwrap();
    params.iteration_exponent = 0;
    let groups = slip39::split(key.expose_secret(), b"", &params, &mut r).unwrap();
    let share = &groups[0][0];
    println!("key {}", &*key.expose_hex());
    println!("kcv {:02x?}", key.kcv().bytes());
    println!("share {}", hexs(&share.to_bytes()));
    println!("set_id {:04x}", share.identifier());
}

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The fuzz target's property on a corpus entry: whatever parses (as is, or
/// with a valid checksum appended) serialises back to the same bytes.
fn round_trips(data: &[u8]) {
    let mut with_sum = data.to_vec();
    with_sum.extend_from_slice(&sha2_prefix(data));
    for input in [data, &with_sum[..]] {
        if let Ok(card) = Card::from_bytes(input) {
            assert_eq!(card.to_bytes(), input);
        }
    }
}

/// Replays the fuzz seed corpus through the fuzz target's property (and,
/// with feature `fuzzing`, through its function).
#[test]
fn fuzz_corpus_replays() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_corpus/backup_card_record"
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        round_trips(&data);
        #[cfg(feature = "fuzzing")]
        backup::fuzz_card_record(&data);
        n += 1;
    }
    assert!(n >= 5);
    // The body seeds parse once a checksum is appended (the target's second pass).
    let body = std::fs::read(format!("{dir}/blocked_body")).unwrap();
    let mut rec = body.clone();
    rec.extend_from_slice(&sha2_prefix(&body));
    assert!(Card::from_bytes(&rec).unwrap().is_blocked());
}

fn sha2_prefix(b: &[u8]) -> [u8; 8] {
    use sha2::Digest;
    sha2::Sha256::digest(b)[..8].try_into().unwrap()
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Any k of n cards, in any order, rebuild the key; records round-trip.
        #[test]
        fn any_k_cards_in_any_order(
            k in 2u8..=4,
            extra in 0u8..=2,
            seed in any::<u8>(),
            order in any::<u64>(),
            label in "[ -~]{1,40}",
        ) {
            let n = k + extra;
            let mut o = opts(k, n);
            o.label_prefix = label;
            let made = backup::create(&o, &mut rng(seed)).unwrap();
            for c in &made.cards {
                let c = rec_of(c);
                prop_assert_eq!(&Card::from_bytes(&c.to_bytes()).unwrap(), c);
            }
            // A permutation of the cards from `order`, take k.
            let mut idx: Vec<usize> = (0..usize::from(n)).collect();
            let mut x = order;
            for i in (1..idx.len()).rev() {
                let j = usize::try_from(x % (i as u64 + 1)).unwrap();
                x /= i as u64 + 1;
                idx.swap(i, j);
            }
            let mut cards = made.cards.clone();
            let key = recover(&mut cards, &idx[..usize::from(k)]).unwrap();
            prop_assert_eq!(key, made.key);
        }

        /// Whatever the PINs tried, a soft card's counter is the number of
        /// consecutive wrong PINs (at most 3), a right PIN resets it unless
        /// blocked, and tries left plus wrong PINs is always 3.
        #[test]
        fn the_counter_follows_the_tries(tries in proptest::collection::vec(any::<bool>(), 0..8)) {
            let made = backup::create(&opts(2, 2), &mut rng(20)).unwrap();
            let mut card = made.cards[0].clone();
            let mut wrong = 0u8;
            for right in tries {
                let r = card.unlock(if right { PIN } else { Some(b"000000") });
                if wrong >= 3 {
                    prop_assert!(matches!(r, Err(StoreError::Blocked { .. })), "blocked card tried a PIN");
                } else if right {
                    prop_assert!(r.is_ok());
                    wrong = 0;
                } else {
                    wrong += 1;
                    let ok = matches!(r, Err(StoreError::WrongPin { tries_left: TriesLeft::Count(t) }) if t == 3 - wrong);
                    prop_assert!(ok, "wrong PIN number {}", wrong);
                }
                let c = rec_of(&card);
                prop_assert_eq!(c.wrong_pins(), wrong);
                prop_assert_eq!(c.tries_left() + c.wrong_pins(), 3);
            }
        }
    }
}

/// Header fields are the seal's associated data: a label changed with the
/// checksum fixed up (a forger's edit, not damage) makes the right PIN fail.
#[test]
fn header_is_authenticated() {
    let made = backup::create(&opts(2, 3), &mut rng(14)).unwrap();
    let good = made.cards[0].to_bytes().unwrap();
    let mut bytes = good.clone();
    assert_eq!(&bytes[7..13], b"backup");
    bytes[7] = b'B';
    let n = bytes.len() - 8;
    let sum = sha2_prefix(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum);
    let mut forged = MemoryCard::with_card(Card::from_bytes(&bytes).unwrap());
    assert_eq!(forged.read_header().unwrap().label, "Backup card 1 of 3");
    assert!(matches!(
        forged.unlock(PIN).unwrap_err(),
        StoreError::WrongPin {
            tries_left: TriesLeft::Count(2)
        }
    ));
    // The flags byte too: clearing "default PIN" without the PIN.
    let mut bytes = good;
    assert_eq!(bytes[5], 0x03);
    bytes[5] = backup::FLAG_WEAK_ARGON2_FOR_TESTS;
    let sum = sha2_prefix(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum);
    let mut forged = MemoryCard::with_card(Card::from_bytes(&bytes).unwrap());
    assert_eq!(forged.read_header().unwrap().default_pin, Some(false));
    assert!(matches!(
        forged.unlock(PIN).unwrap_err(),
        StoreError::WrongPin { .. }
    ));
}
