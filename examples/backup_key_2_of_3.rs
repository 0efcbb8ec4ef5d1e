#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Backup key on three PIN-protected cards, any two rebuild it (DESIGN.md
//! situation 1).
//!
//! A 32-byte AES backup key is generated and split 2-of-3 (SLIP-0039); each
//! share goes onto a card record sealed under the card's PIN (Argon2id at
//! OWASP's parameters, AES-256-SIV). Every pair of cards is read back right
//! after writing. Then the custodians change their PINs, card 2 is copied for
//! the disaster-recovery set, and the key is recovered from cards 3 and 1.
//!
//! Run: `cargo run --example backup_key_2_of_3`

use keyward::backup::{self, BackupOptions, CardRecovery, DEFAULT_PIN};

fn main() -> Result<(), backup::Error> {
    let mut rng = keyward::key::os_rng();
    let opts = BackupOptions::new(2, 3)?; // OWASP Argon2id for the PINs
    let made = backup::create(&opts, &mut rng)?; // includes the read-back
    println!("backup key generated: AES-256, KCV {}", made.kcv);
    println!("read-back: all 3 pairs of cards rebuild the key (KCV checked)");

    println!("\ncards (what `keyward card info` shows, no PIN needed):");
    for card in &made.cards {
        println!(
            "  {:<20} set {:04X}  card {} of {}, {} needed  KCV {}  tries left {}",
            card.label(),
            card.set_id(),
            card.number(),
            card.shares(),
            card.threshold(),
            card.kcv_hex(),
            card.tries_left()
        );
        assert_eq!(card.kcv_hex(), made.kcv.to_string());
    }

    // Each custodian replaces the shipping PIN 123456 with their own.
    let mut cards = made.cards.clone();
    let pins: [&[u8]; 3] = [b"480271", b"915306", b"270648"];
    println!("\ncustodians change their PINs:");
    for (card, pin) in cards.iter_mut().zip(pins) {
        card.change_pin(DEFAULT_PIN, pin, &mut rng)?;
        println!("  {}: PIN changed", card.label());
    }
    let refused = cards[0]
        .change_pin(pins[0], b"123456", &mut rng)
        .unwrap_err();
    println!("  trying 123456 as a new PIN: {refused}");
    assert!(matches!(refused, backup::Error::NewPin(_)));

    // A one-to-one copy of card 2 for the disaster-recovery set.
    let dr_copy = cards[1].duplicate();
    assert_eq!(dr_copy.to_bytes(), cards[1].to_bytes());
    println!(
        "\ncard 2 copied for the disaster-recovery site ({} bytes)",
        dr_copy.to_bytes().len()
    );

    // Recovery: card 3, then card 1.
    println!("\nrecovery:");
    let mut rec = CardRecovery::new();
    let p = rec.add(&mut cards[2], pins[2])?;
    println!("  {} read: {p}", cards[2].label());
    let p = rec.add(&mut cards[0], pins[0])?;
    println!("  {} read: {p}", cards[0].label());
    let key = rec.finish()?;
    println!("  rebuilt key KCV {} (expected {})", key.kcv(), made.kcv);
    assert_eq!(key, made.key);
    assert!(p.is_complete());
    println!("\nok: any 2 of the 3 cards rebuild the backup key");
    Ok(())
}
