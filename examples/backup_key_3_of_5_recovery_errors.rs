#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Recovering a 3-of-5 backup key when things go wrong (DESIGN.md
//! situation 1): every mistake an operator can make at the card reader is
//! refused with a message saying what happened and what to do, and the
//! recovery goes on with the right cards.
//!
//! The cards here use small Argon2id parameters (`backup::TEST_ARGON2`) so
//! the example runs instantly; real cards use OWASP's.
//!
//! Run: `cargo run --example backup_key_3_of_5_recovery_errors`

use keyward::backup::{self, BackupOptions, Card, CardRecovery, DEFAULT_PIN, Damage, Error};

fn show<T>(what: &str, r: Result<T, Error>) -> Error {
    let e = r.err().expect("this step must fail");
    println!("  {what}\n      -> {e}");
    e
}

fn main() -> Result<(), Error> {
    let mut rng = keyward::key::os_rng();
    let mut opts = BackupOptions::new(3, 5)?;
    opts.argon2 = backup::TEST_ARGON2;
    let made = backup::create(&opts, &mut rng)?;
    println!("backup key KCV {}, 5 cards, 3 needed", made.kcv);
    let subsets = backup::verify_read_back(&made.cards, DEFAULT_PIN)?;
    println!("read-back: all {subsets} sets of 3 cards rebuild the key");
    assert_eq!(subsets, 10);

    // Another appliance's backup, whose card gets mixed in.
    let other = backup::create(&opts, &mut rng)?;
    let mut cards = made.cards.clone();
    let mut foreign = other.cards[0].clone();

    println!("\nrecovery session (cards numbered in the order offered):");
    let mut rec = CardRecovery::new();
    let p = rec.add(&mut cards[4], DEFAULT_PIN)?;
    println!("  card 1 ({}): {p}", cards[4].label());

    let e = show(
        "card 2: card 5 again",
        rec.add(&mut cards[4].duplicate(), DEFAULT_PIN),
    );
    assert_eq!(e, Error::SameCard { card: 2, first: 1 });

    let e = show(
        "card 3: a card of another appliance",
        rec.add(&mut foreign, DEFAULT_PIN),
    );
    assert!(matches!(e, Error::ForeignCard { card: 3, .. }));

    // A card whose file lost a bit.
    let mut bytes = cards[0].to_bytes();
    bytes[40] ^= 0x08;
    let e = show(
        "card 4: a damaged card",
        backup::parse_numbered(&bytes, rec.next_number()),
    );
    assert_eq!(
        e,
        Error::Damaged {
            card: 4,
            damage: Damage::Checksum
        }
    );
    // A card refused when its file is read never reaches the recovery: the
    // next card offered keeps number 4.
    println!("      (the card file is refused before the recovery: the next card is card 4 again)");

    let e = show(
        "card 4: card 2 with a mistyped PIN",
        rec.add(&mut cards[1], b"123465"),
    );
    assert_eq!(
        e,
        Error::WrongPin {
            card: 4,
            tries_left: 2
        }
    );
    let p = rec.add(&mut cards[1], DEFAULT_PIN)?;
    println!("  card 5 ({}), right PIN: {p}", cards[1].label());
    assert_eq!(p.to_string(), "card 2 of 3 read; 1 more needed");
    assert_eq!(cards[1].tries_left(), 3, "a right PIN resets the counter");

    // Card 3 gets three wrong PINs and blocks.
    for pin in [b"000000", b"111112", b"999990"] {
        let _ = cards[2].open(pin);
    }
    let e = show(
        "card 6: card 3 after three wrong PINs",
        rec.add(&mut cards[2], DEFAULT_PIN),
    );
    assert_eq!(e, Error::Blocked { card: 6 });

    let e = show("finishing now", rec.finish());
    assert_eq!(e, Error::NotEnoughCards { needed: 3, read: 2 });

    let p = rec.add(&mut cards[3], DEFAULT_PIN)?;
    println!("  card 7 ({}): {p}", cards[3].label());
    let key = rec.finish()?;
    println!("  rebuilt key KCV {} (expected {})", key.kcv(), made.kcv);
    assert_eq!(key, made.key);

    // The blocked card stays blocked after a save and reload.
    let reloaded = Card::from_bytes(&cards[2].to_bytes())?;
    assert!(reloaded.is_blocked());
    println!(
        "\n{}: tries left {} (blocked) — a software card keeps this counter in its file;\n\
         whoever copies the file can reset it. A real smart card enforces it in hardware.",
        reloaded.label(),
        reloaded.tries_left()
    );
    println!("\nok: every wrong card was refused by name and the key was recovered");
    Ok(())
}
