//! Soft cards: the PIN-try counting shared by every store that keeps a card
//! record ([`MemoryCard`] here, `FileCard` in `file.rs`), and the in-memory
//! store itself.
//!
//! **The counter is advisory in software.** Whoever holds a copy of a record
//! can restore it and guess on (Argon2id makes each guess cost time and
//! memory, nothing more); only a token counting in hardware enforces it.

use alloc::string::String;
use alloc::vec::Vec;

use keyward_core::rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::NEW_PIN_POLICY;
use super::crypto::SALT_LEN;
use super::error::{StoreError, TriesLeft};
use super::record::{Card, MAX_WRONG_PINS, SealParams};
use super::store::{CardHeader, CardStore, PinEntry, WriteMode};

/// One PIN attempt on a record, counted before the check: the record with
/// its counter incremented goes through `persist` before Argon2 runs; a
/// right PIN resets the counter (persisted again). If the first `persist`
/// fails, no PIN is tried and its error is returned. If the reset after a
/// right PIN cannot be persisted, the share is not returned either (the
/// error says so) and the card keeps the counted try: the conservative side.
pub(super) fn unlock_counted(
    card: &mut Card,
    pin: Option<&[u8]>,
    persist: &mut dyn FnMut(&Card) -> Result<(), StoreError>,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let pin = pin.ok_or(StoreError::PinEntry {
        expected: PinEntry::Typed,
    })?;
    if card.is_blocked() {
        return Err(StoreError::Blocked {
            after: Some(MAX_WRONG_PINS),
        });
    }
    let before = card.wrong_pins();
    let mut counted = card.clone();
    counted.set_wrong_pins(before.saturating_add(1));
    persist(&counted)?;
    *card = counted;
    match card.unseal(pin) {
        Ok(Some(share)) => {
            let mut reset = card.clone();
            reset.set_wrong_pins(0);
            persist(&reset)?;
            *card = reset;
            Ok(share)
        }
        Ok(None) => Err(StoreError::WrongPin {
            tries_left: TriesLeft::Count(card.tries_left()),
        }),
        Err(e) => {
            // Argon2 itself failed: the PIN was not judged, give the try back.
            let mut restored = card.clone();
            restored.set_wrong_pins(before);
            if persist(&restored).is_ok() {
                *card = restored;
            }
            Err(e)
        }
    }
}

/// Checks a new PIN against [`NEW_PIN_POLICY`] (no try is spent).
pub(super) fn check_new_pin(new: Option<&[u8]>) -> Result<&[u8], StoreError> {
    let new = new.ok_or(StoreError::PinEntry {
        expected: PinEntry::Typed,
    })?;
    let text = core::str::from_utf8(new)
        .map_err(|_| StoreError::NewPin(keyward_pinhash::Error::PinCharacter { position: 1 }))?;
    NEW_PIN_POLICY.check(text).map_err(StoreError::NewPin)?;
    Ok(new)
}

/// A PIN change on a record: policy first, then a counted unlock with the
/// old PIN, then the re-seal under a fresh salt, persisted.
pub(super) fn change_pin_counted(
    card: &mut Card,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    rng: &mut dyn CryptoRng,
    persist: &mut dyn FnMut(&Card) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let new = check_new_pin(new)?;
    let share = unlock_counted(card, old, persist)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut next = card.clone();
    next.reseal(&share, new, salt)?;
    persist(&next)?;
    *card = next;
    Ok(())
}

/// A soft card in memory: for tests, `no_std` users and the ceremony's
/// staging ([`create`](super::create)). Persisting is assignment, so it
/// never fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryCard {
    card: Option<Card>,
}

impl MemoryCard {
    /// An empty store (no share yet).
    pub const fn new() -> Self {
        Self { card: None }
    }
    /// A store holding `card`.
    pub const fn with_card(card: Card) -> Self {
        Self { card: Some(card) }
    }
    /// The record held, if any.
    pub const fn card(&self) -> Option<&Card> {
        self.card.as_ref()
    }
    /// The record's bytes, if any (`docs/formats.md`).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        self.card.as_ref().map(Card::to_bytes)
    }

    fn held(&mut self) -> Result<&mut Card, StoreError> {
        self.card.as_mut().ok_or(StoreError::Empty {
            store: String::from("in-memory card"),
        })
    }
}

impl CardStore for MemoryCard {
    fn describe(&self) -> String {
        String::from("in-memory card")
    }

    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        Ok(self.held()?.public_header())
    }

    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        unlock_counted(self.held()?, pin, &mut |_| Ok(()))
    }

    fn write_share(&mut self, new: &SealParams<'_>, mode: WriteMode) -> Result<(), StoreError> {
        if self.card.is_some() && mode == WriteMode::CreateNew {
            return Err(StoreError::Exists {
                store: self.describe(),
            });
        }
        let card = Card::seal(new).map_err(StoreError::from_seal)?;
        self.card = Some(card);
        Ok(())
    }

    fn change_pin(
        &mut self,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        change_pin_counted(self.held()?, old, new, rng, &mut |_| Ok(()))
    }

    fn read_record(&mut self) -> Result<Card, StoreError> {
        Ok(self.held()?.clone())
    }

    fn write_record(&mut self, card: &Card, mode: WriteMode) -> Result<(), StoreError> {
        if self.card.is_some() && mode == WriteMode::CreateNew {
            return Err(StoreError::Exists {
                store: self.describe(),
            });
        }
        self.card = Some(card.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::{BackupOptions, DEFAULT_PIN, create};
    use alloc::boxed::Box;
    use alloc::string::ToString;
    use chacha20::ChaCha20Rng;
    use chacha20::rand_core::SeedableRng;

    fn card() -> Card {
        let mut o = BackupOptions::new(2, 3).unwrap();
        o = o.weak_argon2_for_tests();
        o.iteration_exponent = 0;
        let made = create(&o, &mut ChaCha20Rng::from_seed([3; 32])).unwrap();
        made.cards[0].card().unwrap().clone()
    }

    #[derive(Debug)]
    struct Full;
    impl core::fmt::Display for Full {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("no space left on device")
        }
    }
    impl core::error::Error for Full {}

    fn full() -> StoreError {
        StoreError::Storage {
            store: String::from("test store"),
            action: "counting the PIN try",
            source: Box::new(Full),
        }
    }

    /// The count is persisted before the check, and a right PIN restores it.
    #[test]
    fn the_try_is_persisted_before_the_check() {
        let mut c = card();
        let mut seen = Vec::new();
        let share = unlock_counted(&mut c, Some(DEFAULT_PIN), &mut |r| {
            seen.push(r.wrong_pins());
            Ok(())
        })
        .unwrap();
        assert_eq!(share.len(), 42);
        assert_eq!(seen, [1, 0]);
        let mut seen = Vec::new();
        let e = unlock_counted(&mut c, Some(b"000000"), &mut |r| {
            seen.push(r.wrong_pins());
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(
            e,
            StoreError::WrongPin {
                tries_left: TriesLeft::Count(2)
            }
        ));
        assert_eq!(seen, [1]);
        assert_eq!(c.wrong_pins(), 1);
    }

    /// A counter that cannot be persisted means no PIN is tried: even the
    /// right PIN yields the storage error, and the record is unchanged.
    #[test]
    fn no_pin_is_tried_when_the_count_cannot_be_persisted() {
        let mut c = card();
        let before = c.clone();
        let e = unlock_counted(&mut c, Some(DEFAULT_PIN), &mut |_| Err(full())).unwrap_err();
        assert!(matches!(e, StoreError::Storage { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the card (test store): counting the PIN try failed: no space left on device"
        );
        assert!(core::error::Error::source(&e).is_some());
        assert_eq!(c, before);
        // A wrong PIN is not even judged.
        let e = unlock_counted(&mut c, Some(b"000000"), &mut |_| Err(full())).unwrap_err();
        assert!(matches!(e, StoreError::Storage { .. }));
        assert_eq!(c.wrong_pins(), 0);
    }

    #[test]
    fn a_pin_pad_unlock_of_a_soft_card_is_refused_before_any_try() {
        let mut c = card();
        let mut calls = 0;
        let e = unlock_counted(&mut c, None, &mut |_| {
            calls += 1;
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(
            e,
            StoreError::PinEntry {
                expected: PinEntry::Typed
            }
        ));
        assert_eq!(calls, 0);
    }
}
