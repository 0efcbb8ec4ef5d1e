//! The recovery: rebuild the backup key card by card, over [`CardStore`]s
//! only, with progress and operator-language errors ("same card twice",
//! "another set", "damaged", wrong PIN, blocked).

use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroUsize;

use keyward_core::{Aes256Key, Kcv, KcvMethod};
use keyward_shamir::slip39;
use subtle::ConstantTimeEq;

use super::PASSPHRASE;
use super::ceremony::card_no;
use super::error::{Damage, Error, Result, StoreError, numbered};
use super::record::SHARE_LEN;
use super::store::{CardHeader, CardStore};

/// Parses an unlocked share and checks it against the card's header: the
/// set id, card number (member index + 1) and threshold in the clear must
/// be those of the sealed share.
pub(super) fn parse_share(
    bytes: &[u8],
    header: &CardHeader,
    no: NonZeroUsize,
) -> Result<slip39::Share> {
    let damaged = || numbered(StoreError::Damaged(Damage::Share), no);
    if bytes.len() != SHARE_LEN {
        return Err(damaged());
    }
    let share = slip39::Share::from_bytes(bytes, no.get()).map_err(|_| damaged())?;
    let sealed = (share.identifier(), share.member_index().saturating_add(1));
    if sealed != (header.set_id, header.number)
        || share.member_threshold() != header.threshold
        || share.group_count() != 1
    {
        return Err(Error::HeaderMismatch {
            card: Some(no),
            header: (header.set_id, header.number),
            sealed,
        });
    }
    Ok(share)
}

/// Progress of a recovery: "card 2 of 3 read; 1 more needed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Cards read successfully so far.
    pub read: usize,
    /// Cards needed.
    pub needed: usize,
}

impl Progress {
    /// Cards still needed.
    pub const fn still_needed(&self) -> usize {
        self.needed.saturating_sub(self.read)
    }
    /// Whether enough cards were read.
    pub const fn is_complete(&self) -> bool {
        self.needed > 0 && self.read >= self.needed
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card {} of {} read; ", self.read, self.needed)?;
        match self.still_needed() {
            0 => f.write_str("the key can be rebuilt"),
            m => write!(f, "{m} more needed"),
        }
    }
}

/// The set the first accepted card belongs to.
#[derive(Debug, Clone, Copy)]
struct SetOf {
    set_id: u16,
    kcv: Kcv,
    threshold: u8,
}

/// Recovery of the backup key from cards, one store at a time. Cards are
/// numbered 1, 2, … in the order offered ([`CardRecovery::add`]), refused
/// ones included.
#[derive(Debug, Default)]
pub struct CardRecovery {
    shamir: slip39::Recovery,
    first: Option<SetOf>,
    offered: usize,
    /// Offered number of each card accepted so far.
    accepted: Vec<NonZeroUsize>,
    /// Offered number of each card handed to keyward-shamir (its share
    /// numbers are positions in this list, from 1).
    given: Vec<NonZeroUsize>,
    /// Whether test cards (Argon2id below the floor) are read.
    allow_weak_argon2: bool,
}

impl CardRecovery {
    /// An empty recovery.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tests and demos only: read cards whose Argon2id parameters are below
    /// [`CARD_ARGON2_FLOOR`](super::CARD_ARGON2_FLOOR) (written with
    /// [`BackupOptions::weak_argon2_for_tests`](super::BackupOptions::weak_argon2_for_tests)).
    /// Without it such a card is refused before its PIN
    /// ([`Error::WeakArgon2`]).
    pub fn allow_weak_argon2_for_tests(&mut self) -> &mut Self {
        self.allow_weak_argon2 = true;
        self
    }

    /// The number the next card gets in messages (1-based).
    pub fn next_number(&self) -> NonZeroUsize {
        card_no(self.offered)
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        Progress {
            read: self.accepted.len(),
            needed: self.first.map_or(0, |f| usize::from(f.threshold)),
        }
    }

    /// Counts a card offered but refused before it reached a store (e.g. a
    /// file that would not open), so that numbering follows the offers;
    /// returns its number.
    pub fn skip(&mut self) -> NonZeroUsize {
        let no = self.next_number();
        self.offered += 1;
        no
    }

    /// Reads one card: its header (no PIN), then an unlock with `pin`
    /// (`None` for a store with a PIN pad). The store counts the try
    /// itself; nothing needs saving afterwards.
    ///
    /// # Errors
    /// [`Error::ForeignCard`] (checked from the clear header, before the
    /// PIN, so a foreign card spends no try), [`Error::WeakArgon2`] (also
    /// before the PIN), a numbered [`Error::Card`]
    /// (blocked, wrong PIN with tries left, damaged, absent, storage),
    /// [`Error::HeaderMismatch`], [`Error::SameCard`], [`Error::Shamir`] —
    /// all naming the card by its number. A refused card is not counted
    /// towards the threshold.
    pub fn add<S: CardStore + ?Sized>(
        &mut self,
        store: &mut S,
        pin: Option<&[u8]>,
    ) -> Result<Progress> {
        let no = self.skip();
        let header = store.read_header().map_err(|e| numbered(e, no))?;
        if header.weak_argon2 && !self.allow_weak_argon2 {
            return Err(Error::WeakArgon2 {
                card: no,
                found: header.argon2.unwrap_or(super::WEAK_TEST_ARGON2),
            });
        }
        if let Some(set) = self.first {
            if set.set_id != header.set_id || !bool::from(set.kcv.bytes().ct_eq(header.kcv.bytes()))
            {
                return Err(Error::ForeignCard {
                    card: no,
                    expected_set: set.set_id,
                    found_set: header.set_id,
                });
            }
        }
        let bytes = store.unlock(pin).map_err(|e| numbered(e, no))?;
        let share = parse_share(&bytes, &header, no)?;
        self.given.push(no);
        match self.shamir.add(share) {
            Ok(_) => {}
            Err(keyward_shamir::Error::DuplicateShare { first, .. }) => {
                return Err(Error::SameCard {
                    card: no,
                    first: self.offered_number(first),
                });
            }
            Err(keyward_shamir::Error::ForeignShare { .. }) => {
                return Err(Error::ForeignCard {
                    card: no,
                    expected_set: self.first.map_or(header.set_id, |f| f.set_id),
                    found_set: header.set_id,
                });
            }
            Err(e) => return Err(Error::Shamir(e)),
        }
        if self.first.is_none() {
            self.first = Some(SetOf {
                set_id: header.set_id,
                kcv: header.kcv,
                threshold: header.threshold,
            });
        }
        self.accepted.push(no);
        Ok(self.progress())
    }

    /// Maps keyward-shamir's share number to the card's offered number.
    fn offered_number(&self, shamir_no: usize) -> NonZeroUsize {
        shamir_no
            .checked_sub(1)
            .and_then(|i| self.given.get(i).copied())
            .unwrap_or_else(|| card_no(shamir_no.saturating_sub(1)))
    }

    /// Rebuilds the key and checks its KCV against the cards'.
    ///
    /// # Errors
    /// [`Error::NotEnoughCards`], [`Error::KcvMismatch`], [`Error::Shamir`].
    pub fn finish(&self) -> Result<Aes256Key> {
        let p = self.progress();
        let Some(set) = self.first else {
            return Err(Error::NotEnoughCards { needed: 2, read: 0 });
        };
        if !p.is_complete() {
            return Err(Error::NotEnoughCards {
                needed: p.needed,
                read: p.read,
            });
        }
        let secret = self.shamir.finish(PASSPHRASE).map_err(Error::Shamir)?;
        let key = Aes256Key::from_slice(secret.expose_secret()).map_err(|_| {
            Error::Shamir(keyward_shamir::Error::SecretLength {
                found: secret.len(),
            })
        })?;
        let found = key.kcv_with(KcvMethod::Cmac);
        if !bool::from(found.bytes().ct_eq(set.kcv.bytes())) {
            return Err(Error::KcvMismatch {
                expected: set.kcv,
                found,
            });
        }
        Ok(key)
    }
}
