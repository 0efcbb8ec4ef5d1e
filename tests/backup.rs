//! The backup-key ceremony: cards, PINs, read-back, recovery errors.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward::backup::{
    self, BackupOptions, Card, CardRecovery, DEFAULT_PIN, Damage, Error, TEST_ARGON2,
};
use keyward::key::{Aes256Key, KcvMethod};
use keyward::shamir::slip39;

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn opts(k: u8, n: u8) -> BackupOptions {
    let mut o = BackupOptions::new(k, n).unwrap();
    o.argon2 = TEST_ARGON2;
    o.iteration_exponent = 0;
    o
}

fn recover(cards: &mut [Card], order: &[usize]) -> Result<Aes256Key, Error> {
    let mut rec = CardRecovery::new();
    for &i in order {
        rec.add(&mut cards[i], DEFAULT_PIN)?;
    }
    rec.finish()
}

#[test]
fn two_of_three_any_two_in_any_order() {
    let made = backup::create(&opts(2, 3), &mut rng(1)).unwrap();
    assert_eq!(made.cards.len(), 3);
    for (i, c) in made.cards.iter().enumerate() {
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
    assert_eq!(
        backup::verify_read_back(&made.cards, DEFAULT_PIN).unwrap(),
        10
    );
    let mut cards = made.cards.clone();
    assert_eq!(recover(&mut cards, &[4, 1, 3]).unwrap(), made.key);
}

#[test]
fn progress_messages() {
    let made = backup::create(&opts(3, 5), &mut rng(3)).unwrap();
    let mut cards = made.cards;
    let mut rec = CardRecovery::new();
    let p = rec.add(&mut cards[3], DEFAULT_PIN).unwrap();
    assert_eq!(p.to_string(), "card 1 of 3 read; 2 more needed");
    let p = rec.add(&mut cards[0], DEFAULT_PIN).unwrap();
    assert_eq!(p.to_string(), "card 2 of 3 read; 1 more needed");
    assert_eq!(
        rec.finish().unwrap_err(),
        Error::NotEnoughCards { needed: 3, read: 2 }
    );
    let p = rec.add(&mut cards[2], DEFAULT_PIN).unwrap();
    assert_eq!(p.to_string(), "card 3 of 3 read; the key can be rebuilt");
    assert!(p.is_complete());
    rec.finish().unwrap();
}

#[test]
fn same_card_twice_and_a_copy_are_named() {
    let made = backup::create(&opts(2, 3), &mut rng(4)).unwrap();
    let mut cards = made.cards.clone();
    let mut copy = cards[1].duplicate();
    assert_eq!(copy.to_bytes(), cards[1].to_bytes());
    let mut rec = CardRecovery::new();
    rec.add(&mut cards[1], DEFAULT_PIN).unwrap();
    let e = rec.add(&mut copy, DEFAULT_PIN).unwrap_err();
    assert_eq!(e, Error::SameCard { card: 2, first: 1 });
    assert_eq!(
        e.to_string(),
        "card 2 is the same card as card 1 (a copy of it?): read another card of the set"
    );
    // After a refused card and a wrong PIN, numbering still follows the offers.
    let e = rec.add(&mut cards[2], b"000000").unwrap_err();
    assert_eq!(
        e,
        Error::WrongPin {
            card: 3,
            tries_left: 2
        }
    );
    let e = rec.add(&mut cards[1], DEFAULT_PIN).unwrap_err();
    assert_eq!(e, Error::SameCard { card: 4, first: 1 });
    rec.add(&mut cards[2], DEFAULT_PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), made.key);
    // A correct PIN reset the counter.
    assert_eq!(cards[2].tries_left(), 3);
}

#[test]
fn card_from_another_set_is_refused_before_the_pin() {
    let a = backup::create(&opts(2, 3), &mut rng(5)).unwrap();
    let b = backup::create(&opts(2, 3), &mut rng(6)).unwrap();
    let (mut ca, mut cb) = (a.cards, b.cards);
    let mut rec = CardRecovery::new();
    rec.add(&mut ca[0], DEFAULT_PIN).unwrap();
    // Wrong PIN on the foreign card: refused as foreign, its counter untouched.
    let e = rec.add(&mut cb[1], b"999999").unwrap_err();
    assert_eq!(
        e,
        Error::ForeignCard {
            card: 2,
            expected_set: ca[0].set_id(),
            found_set: cb[1].set_id()
        }
    );
    assert!(
        e.to_string()
            .starts_with("card 2 belongs to another backup set (set id ")
    );
    assert_eq!(cb[1].tries_left(), 3);
    rec.add(&mut ca[2], DEFAULT_PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), a.key);
}

#[test]
fn wrong_pins_count_down_and_block() {
    let made = backup::create(&opts(2, 3), &mut rng(7)).unwrap();
    let mut card = made.cards[0].clone();
    let e = card.open(b"111111").unwrap_err();
    assert_eq!(
        e,
        Error::WrongPin {
            card: 0,
            tries_left: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "wrong PIN for the card: 2 tries left before the card blocks"
    );
    // The counter survives a save and reload.
    let mut card = Card::from_bytes(&card.to_bytes()).unwrap();
    assert_eq!(card.wrong_pins(), 1);
    assert_eq!(
        card.open(b"222222").unwrap_err().to_string(),
        "wrong PIN for the card: 1 try left before the card blocks"
    );
    assert_eq!(
        card.open(b"333333").unwrap_err(),
        Error::WrongPin {
            card: 0,
            tries_left: 0
        }
    );
    assert!(card.is_blocked());
    // Blocked: even the right PIN is refused.
    assert_eq!(
        card.open(DEFAULT_PIN).unwrap_err(),
        Error::Blocked { card: 0 }
    );
    let mut rec = CardRecovery::new();
    let e = rec.add(&mut card, DEFAULT_PIN).unwrap_err();
    assert_eq!(e, Error::Blocked { card: 1 });
    assert_eq!(
        e.to_string(),
        "card 1 is blocked after 3 wrong PINs: use another card of the set or its duplicate"
    );
    // Two wrong then a right PIN: reset.
    let mut card = made.cards[1].clone();
    card.open(b"111111").unwrap_err();
    card.open(b"111111").unwrap_err();
    card.open(DEFAULT_PIN).unwrap();
    assert_eq!(card.wrong_pins(), 0);
}

#[test]
fn change_pin_reseals_and_checks_policy() {
    let made = backup::create(&opts(2, 3), &mut rng(8)).unwrap();
    let mut cards = made.cards.clone();
    let before = cards[0].to_bytes();
    let mut r = rng(9);
    // Trivial and short new PINs are refused without counting a try.
    assert!(matches!(
        cards[0].change_pin(DEFAULT_PIN, b"654321", &mut r),
        Err(Error::NewPin(_))
    ));
    assert!(matches!(
        cards[0].change_pin(DEFAULT_PIN, b"12345", &mut r),
        Err(Error::NewPin(_))
    ));
    assert_eq!(cards[0].tries_left(), 3);
    // Wrong old PIN counts.
    assert_eq!(
        cards[0]
            .change_pin(b"000000", b"802514", &mut r)
            .unwrap_err(),
        Error::WrongPin {
            card: 0,
            tries_left: 2
        }
    );
    cards[0].change_pin(DEFAULT_PIN, b"802514", &mut r).unwrap();
    assert_ne!(cards[0].to_bytes(), before);
    assert_eq!(cards[0].tries_left(), 3);
    assert!(matches!(
        cards[0].open(DEFAULT_PIN),
        Err(Error::WrongPin { .. })
    ));
    let mut rec = CardRecovery::new();
    rec.add(&mut cards[0], b"802514").unwrap();
    rec.add(&mut cards[2], DEFAULT_PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), made.key);
}

#[test]
fn damage_is_told_apart_from_a_wrong_pin() {
    let made = backup::create(&opts(2, 3), &mut rng(10)).unwrap();
    let good = made.cards[0].to_bytes();
    assert_eq!(Card::from_bytes(&good).unwrap(), made.cards[0]);
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        let e = Card::from_bytes(&bad).unwrap_err();
        assert!(matches!(e, Error::Damaged { .. }), "byte {i}: {e:?}");
    }
    for len in 0..good.len() {
        assert!(matches!(
            Card::from_bytes(&good[..len]).unwrap_err(),
            Error::Damaged { .. }
        ));
    }
    assert_eq!(
        Card::from_bytes(b"not a card at all").unwrap_err(),
        Error::Damaged {
            card: 0,
            damage: Damage::Magic
        }
    );
    let e = backup::parse_numbered(&good[..40], 2).unwrap_err();
    assert_eq!(
        e,
        Error::Damaged {
            card: 2,
            damage: Damage::Checksum
        }
    );
    assert_eq!(
        e.to_string(),
        "card 2 is damaged (checksum mismatch): it cannot be read; use its duplicate from the disaster-recovery set"
    );
}

#[test]
fn read_back_catches_a_card_of_another_key() {
    let a = backup::create(&opts(2, 3), &mut rng(11)).unwrap();
    let b = backup::create(&opts(2, 3), &mut rng(12)).unwrap();
    let mut mixed = a.cards.clone();
    mixed[1] = b.cards[1].clone();
    let e = backup::verify_read_back(&mixed, DEFAULT_PIN).unwrap_err();
    assert!(matches!(e, Error::ReadBack { .. }), "{e:?}");
}

#[test]
fn options_are_checked() {
    assert_eq!(
        BackupOptions::new(1, 3).unwrap_err(),
        Error::Threshold { k: 1, n: 3 }
    );
    assert_eq!(
        BackupOptions::new(4, 3).unwrap_err(),
        Error::Threshold { k: 4, n: 3 }
    );
    assert!(BackupOptions::new(2, 17).is_err());
    let mut o = opts(2, 3);
    o.label_prefix = "x".repeat(60);
    assert!(matches!(
        backup::create(&o, &mut rng(13)).unwrap_err(),
        Error::Label { .. }
    ));
}

/// The JSON vector of `docs/formats.md` ("keyward (facade): card record"),
/// computed independently by `tests/data/card_record_vector.py`.
#[test]
fn card_record_vector() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/card_record_v1.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let field = |name: &str| -> String {
        match &v[name] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            other => panic!("field {name}: unexpected {other}"),
        }
    };
    let hex = |s: String| -> Vec<u8> {
        let mut out = vec![0u8; s.len() / 2];
        keyward::key::hex::decode_into(&s, &mut out).unwrap();
        out
    };
    let record = hex(field("record"));
    let share_bytes = hex(field("share"));
    let key = Aes256Key::from_hex(&field("key")).unwrap();
    let pin = field("pin");
    let salt: [u8; 16] = hex(field("salt")).try_into().unwrap();
    let params = keyward::superpin::Argon2Params {
        m_cost_kib: field("m_cost_kib").parse().unwrap(),
        t_cost: field("t_cost").parse().unwrap(),
        p_cost: field("p_cost").parse().unwrap(),
    };
    // Rust reproduces the record from the same inputs...
    let share = slip39::Share::from_bytes(&share_bytes, 1).unwrap();
    let sealed = Card::seal(
        &field("label"),
        &share,
        field("shares").parse().unwrap(),
        &key.kcv_with(KcvMethod::Cmac),
        params,
        salt,
        pin.as_bytes(),
    )
    .unwrap();
    assert_eq!(sealed.to_bytes(), record);
    // ...and opens the Python-made record.
    let mut card = Card::from_bytes(&record).unwrap();
    assert_eq!(card.label(), field("label"));
    assert_eq!(format!("{:04x}", card.set_id()), field("set_id"));
    assert_eq!(hexs(card.kcv_bytes()), field("kcv"));
    assert_eq!(card.argon2(), params);
    assert_eq!(*card.open(pin.as_bytes()).unwrap(), share_bytes);
}

/// Writes the inputs of the vector (run with `--ignored --nocapture` to
/// regenerate `tests/data/card_record_inputs.txt`).
#[test]
#[ignore = "prints the vector's inputs"]
fn print_vector_inputs() {
    let mut o = opts(2, 3);
    o.iteration_exponent = 0;
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

/// Replays the fuzz seed corpus through the fuzz target's function.
#[test]
fn fuzz_corpus_replays() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_corpus/backup_card_record"
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        backup::fuzz_card_record(&std::fs::read(entry.unwrap().path()).unwrap());
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
    }
}

/// Header fields are the seal's associated data: a label changed with the
/// checksum fixed up (a forger's edit, not damage) makes the right PIN fail.
#[test]
fn header_is_authenticated() {
    let made = backup::create(&opts(2, 3), &mut rng(14)).unwrap();
    let mut bytes = made.cards[0].to_bytes();
    assert_eq!(&bytes[6..12], b"backup");
    bytes[6] = b'B';
    let n = bytes.len() - 8;
    let sum = sha2_prefix(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum);
    let mut forged = Card::from_bytes(&bytes).unwrap();
    assert_eq!(forged.label(), "Backup card 1 of 3");
    assert_eq!(
        forged.open(DEFAULT_PIN).unwrap_err(),
        Error::WrongPin {
            card: 0,
            tries_left: 2
        }
    );
}
