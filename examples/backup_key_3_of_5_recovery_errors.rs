#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Recovering a 3-of-5 backup key when things go wrong
//! (`docs/design.md#backup-key-on-smart-cards`): every mistake an operator
//! can make at the card reader is refused with a message saying what
//! happened and what to do, and the recovery goes on with the right cards.
//!
//! The cards here use small Argon2id parameters
//! (`BackupOptions::weak_argon2_for_tests`, which marks them as test cards
//! and needs `CardRecovery::allow_weak_argon2_for_tests` to read them) so
//! the example runs instantly; real cards use OWASP's.
//!
//! Run: `cargo run --example backup_key_3_of_5_recovery_errors`

use keyward::backup::{
    self, BackupOptions, Card, CardRecovery, CardStore, DEFAULT_PIN, Damage, Error, MemoryCard,
    StoreError, TriesLeft,
};

const PIN: Option<&[u8]> = Some(DEFAULT_PIN);

fn show<T>(what: &str, r: Result<T, Error>) -> Error {
    let e = r.err().expect("this step must fail");
    println!("  {what}\n      -> {e}");
    e
}

fn card_no(e: &Error) -> usize {
    e.card().map_or(0, |n| n.get())
}

fn main() -> Result<(), Error> {
    let mut rng = keyward::key::os_rng();
    let mut opts = BackupOptions::new(3, 5)?;
    opts = opts.weak_argon2_for_tests();
    let made = backup::create(&opts, &mut rng)?;
    println!("backup key KCV {}, 5 cards, 3 needed", made.kcv);
    let mut cards = made.cards;
    let subsets = backup::verify_read_back(&mut cards, PIN)?;
    println!("read-back: all {subsets} sets of 3 cards rebuild the key");
    assert_eq!(subsets, 10);

    // Another appliance's backup, whose card gets mixed in.
    let mut other = backup::create(&opts, &mut rng)?;

    println!("\nrecovery session (cards numbered in the order offered):");
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let p = rec.add(&mut cards[4], PIN)?;
    println!("  card 1 (backup card 5 of 5): {p}");

    let mut again = cards[4].clone();
    let e = show("card 2: card 5 again", rec.add(&mut again, PIN));
    assert!(matches!(e, Error::SameCard { .. }) && card_no(&e) == 2);

    let e = show(
        "card 3: a card of another appliance",
        rec.add(&mut other.cards[0], PIN),
    );
    assert!(matches!(e, Error::ForeignCard { .. }) && card_no(&e) == 3);

    // A card whose file lost a bit: refused by name when it is read.
    let mut bytes = cards[0].to_bytes().expect("card 1 holds a share");
    bytes[40] ^= 0x08;
    let no = rec.skip();
    let e = show(
        "card 4: a damaged card",
        Card::from_bytes(&bytes).map_err(|error| Error::Card {
            card: Some(no),
            error,
        }),
    );
    assert!(matches!(
        e.store_error(),
        Some(StoreError::Damaged(Damage::Checksum))
    ));

    let e = show(
        "card 5: card 2 with a mistyped PIN",
        rec.add(&mut cards[1], Some(b"123465")),
    );
    assert!(matches!(
        e.store_error(),
        Some(StoreError::WrongPin {
            tries_left: TriesLeft::Count(2)
        })
    ));
    assert_eq!(card_no(&e), 5);
    let p = rec.add(&mut cards[1], PIN)?;
    println!("  card 6 (backup card 2 of 5), right PIN: {p}");
    assert_eq!(p.to_string(), "card 2 of 3 read; 1 more needed");
    assert_eq!(
        cards[1].read_header()?.tries_left,
        TriesLeft::Count(3),
        "a right PIN resets the counter"
    );

    // Card 3 gets three wrong PINs and blocks.
    for pin in [b"000000", b"111112", b"999990"] {
        let _ = cards[2].unlock(Some(pin));
    }
    let e = show(
        "card 7: card 3 after three wrong PINs",
        rec.add(&mut cards[2], PIN),
    );
    assert!(matches!(e.store_error(), Some(StoreError::Blocked { .. })));

    let e = show("finishing now", rec.finish());
    assert!(matches!(e, Error::NotEnoughCards { needed: 3, read: 2 }));

    let p = rec.add(&mut cards[3], PIN)?;
    println!("  card 8 (backup card 4 of 5): {p}");
    let key = rec.finish()?;
    println!("  rebuilt key KCV {} (expected {})", key.kcv(), made.kcv);
    assert_eq!(key, made.key);

    // The blocked card stays blocked after a save and reload.
    let mut reloaded = MemoryCard::with_card(Card::from_bytes(
        &cards[2].to_bytes().expect("card 3 holds a share"),
    )?);
    let h = reloaded.read_header()?;
    assert!(h.is_blocked());
    println!(
        "\n{}: tries left {} — a software card keeps this counter in its record;\n\
         whoever copies the record can reset it. A token enforces it in hardware.",
        h.label, h.tries_left
    );
    println!("\nok: every wrong card was refused by name and the key was recovered");
    Ok(())
}
