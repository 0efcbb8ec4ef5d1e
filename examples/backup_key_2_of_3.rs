#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Backup key on three PIN-protected cards, any two rebuild it
//! (`docs/design.md#backup-key-on-smart-cards`).
//!
//! A 32-byte AES backup key is generated and split 2-of-3 (SLIP-0039); each
//! share goes onto a card record sealed under the card's PIN (Argon2id at
//! OWASP's parameters, AES-256-SIV). Every pair of cards is read back right
//! after writing. Then the custodians change their PINs, card 2 is copied for
//! the disaster-recovery set, and the key is recovered from cards 3 and 1.
//!
//! Run: `cargo run --example backup_key_2_of_3`

use keyward::backup::{
    self, BackupOptions, CardRecovery, CardStore, DEFAULT_PIN, MemoryCard, WriteMode,
};

fn main() -> Result<(), backup::Error> {
    let mut rng = keyward::key::os_rng();
    let opts = BackupOptions::new(2, 3)?; // OWASP Argon2id for the PINs
    let made = backup::create(&opts, &mut rng)?; // includes the read-back
    println!("backup key generated: AES-256, KCV {}", made.kcv);
    println!("read-back: all 3 pairs of cards rebuild the key (KCV checked)");

    println!("\ncards (what `keyward card info` shows, no PIN needed):");
    let mut cards = made.cards;
    for card in &mut cards {
        let h = card.read_header()?;
        println!(
            "  {:<20} set {:04X}  card {} of {}, {} needed  KCV {}  tries left {}",
            h.label, h.set_id, h.number, h.shares, h.threshold, h.kcv, h.tries_left
        );
        assert_eq!(h.kcv.to_string(), made.kcv.to_string());
    }

    // Each custodian replaces the shipping PIN 123456 with their own.
    let pins: [&[u8]; 3] = [b"480271", b"915306", b"270648"];
    println!("\ncustodians change their PINs:");
    for (card, pin) in cards.iter_mut().zip(pins) {
        card.change_pin(Some(DEFAULT_PIN), Some(pin), &mut rng)?;
        println!("  {}: PIN changed", card.read_header()?.label);
    }
    let refused = cards[0]
        .change_pin(Some(pins[0]), Some(b"123456"), &mut rng)
        .unwrap_err();
    println!("  trying 123456 as a new PIN: {refused}");
    assert!(matches!(refused, backup::StoreError::NewPin(_)));

    // A one-to-one copy of card 2 for the disaster-recovery set.
    let mut dr_copy = MemoryCard::new();
    backup::duplicate(&mut cards[1], &mut dr_copy, WriteMode::CreateNew)?;
    assert_eq!(dr_copy.to_bytes(), cards[1].to_bytes());
    println!(
        "\ncard 2 copied for the disaster-recovery site ({} bytes)",
        dr_copy.to_bytes().map_or(0, |b| b.len())
    );

    // Recovery: card 3, then card 1.
    println!("\nrecovery:");
    let mut rec = CardRecovery::new();
    let p = rec.add(&mut cards[2], Some(pins[2]))?;
    println!("  card 3 read: {p}");
    let p = rec.add(&mut cards[0], Some(pins[0]))?;
    println!("  card 1 read: {p}");
    let key = rec.finish()?;
    println!("  rebuilt key KCV {} (expected {})", key.kcv(), made.kcv);
    assert_eq!(key, made.key);
    assert!(p.is_complete());
    println!("\nok: any 2 of the 3 cards rebuild the backup key");
    Ok(())
}
