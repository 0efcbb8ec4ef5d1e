//! The fuzz entry point of the card-record codec (feature `fuzzing`, used by
//! `fuzz/fuzz_targets/backup_card_record.rs`; not public API).

use sha2::{Digest, Sha256};

use super::record::{CHECKSUM_LEN, Card};

/// Parses arbitrary bytes as a card record; whatever parses must serialise
/// back to exactly the same bytes. The input is also parsed with a valid
/// checksum appended, so that the fuzzer reaches the field checks behind the
/// checksum.
///
/// # Panics
/// If a parsed record does not round-trip (the property under test).
#[allow(clippy::panic)]
pub fn fuzz_card_record(data: &[u8]) {
    let mut with_sum = data.to_vec();
    with_sum.extend_from_slice(Sha256::digest(data).get(..CHECKSUM_LEN).unwrap_or(&[]));
    for input in [data, with_sum.as_slice()] {
        if let Ok(card) = Card::from_bytes(input) {
            if card.to_bytes() != input {
                panic!("card record does not round-trip");
            }
            let header = card.public_header();
            let _ = (card.kcv_hex(), header.is_blocked(), header.label.len());
        }
    }
}
