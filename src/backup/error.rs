//! The errors of the backup-key ceremony: [`StoreError`] (what one card store
//! reports, no card number) and [`Error`] (the ceremony's and the recovery's,
//! naming the card by the order it was offered in).

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::num::NonZeroUsize;

use keyward_core::Kcv;

use keyward_superpin::Argon2Params;

use super::record::{CARD_ARGON2_FLOOR, MAX_LABEL_LEN, SHARE_LEN, VERSION, VERSION_1};

/// A boxed storage failure (file I/O, a PKCS#11 return value), kept as the
/// [`source`](core::error::Error::source) of the error that reports it.
pub type BoxedError = Box<dyn core::error::Error + Send + Sync + 'static>;

/// What is wrong with a damaged card record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damage {
    /// The record does not start with `KWCD`: not a card file.
    Magic,
    /// The record is shorter or longer than its fields say.
    Length,
    /// The trailing checksum does not match: bytes changed on the medium.
    Checksum,
    /// The label is not printable ASCII or too long.
    Label,
    /// Threshold, share count, card number or counter out of range.
    Field,
    /// The sealed share has another length than one share of a 32-byte
    /// backup key.
    SealedLength {
        /// Sealed length found (16-byte SIV tag included).
        found: u8,
    },
    /// The sealed share does not parse as a SLIP-0039 share.
    Share,
    /// A version 2 flags byte with unknown bits set, or a weak-Argon2 flag
    /// that disagrees with the parameters.
    Flags {
        /// The flags byte found.
        found: u8,
    },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Magic => f.write_str("not a keyward card file"),
            Self::Length => f.write_str("record length does not match its fields"),
            Self::Checksum => f.write_str("checksum mismatch"),
            Self::Label => f.write_str("label is not printable ASCII of at most 64 bytes"),
            Self::Field => f.write_str("a header field is out of range"),
            Self::SealedLength { found } => write!(
                f,
                "expected a sealed share of {} bytes (one share of a 32-byte backup key), found {found} bytes",
                SHARE_LEN + 16
            ),
            Self::Share => f.write_str("the share inside is malformed"),
            Self::Flags { found } => write!(
                f,
                "expected flags 00 to 03 agreeing with the Argon2id parameters, found {found:02X}"
            ),
        }
    }
}

/// Tries left on a card after a wrong PIN (or as its header reports them).
///
/// Soft cards count exactly; PKCS#11 tokens only say "low", "last try" or
/// "locked" (`CKF_USER_PIN_COUNT_LOW`, `CKF_USER_PIN_FINAL_TRY`,
/// `CKF_USER_PIN_LOCKED`), or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TriesLeft {
    /// Exactly this many tries before the card blocks (0: blocked).
    Count(u8),
    /// Fewer than the full count, number unknown.
    Low,
    /// One try left: the next wrong PIN blocks the card.
    LastTry,
    /// Blocked: no PIN is tried any more.
    Locked,
    /// The store does not say.
    Unknown,
}

impl TriesLeft {
    /// Whether the card takes no more PINs.
    pub const fn is_blocked(self) -> bool {
        matches!(self, Self::Count(0) | Self::Locked)
    }
}

impl fmt::Display for TriesLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Count(0) | Self::Locked => f.write_str("0 (blocked)"),
            Self::Count(n) => write!(f, "{n}"),
            Self::Low => f.write_str("few"),
            Self::LastTry => f.write_str("1 (last try)"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

/// What a [`CardStore`](super::CardStore) reports: about this one card, in
/// operator language, without a card number (the recovery adds it, see
/// [`Error::Card`]). Never holds a PIN or share byte.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The card is not there (file missing, token not inserted).
    Absent {
        /// The store, as [`CardStore::describe`](super::CardStore::describe) says.
        store: String,
    },
    /// The record (or the token's objects) are damaged.
    Damaged(Damage),
    /// A record version this code does not read.
    Version {
        /// Version found.
        found: u8,
    },
    /// The store holds no share yet.
    Empty {
        /// The store.
        store: String,
    },
    /// Writing a new share onto a store that holds one, without
    /// [`WriteMode::Replace`](super::WriteMode::Replace).
    Exists {
        /// The store.
        store: String,
    },
    /// The PIN is wrong; the try was counted.
    WrongPin {
        /// Tries left now.
        tries_left: TriesLeft,
    },
    /// The card is blocked; no PIN was tried.
    Blocked {
        /// Consecutive wrong PINs that blocked it, when the store knows.
        after: Option<u8>,
    },
    /// The store needs a typed PIN and none was given (or takes the PIN on
    /// its own PIN pad and one was given).
    PinEntry {
        /// How the store takes its PIN.
        expected: super::PinEntry,
    },
    /// The new PIN does not satisfy [`NEW_PIN_POLICY`](super::NEW_PIN_POLICY).
    NewPin(keyward_pinhash::Error),
    /// Argon2 parameters refused, or Argon2 failed.
    Argon2,
    /// Sealing failed (an internal error).
    Seal,
    /// The new card to write was refused ([`Card::seal`](super::Card::seal):
    /// label, share length, threshold).
    NewCard(Box<Error>),
    /// The storage itself failed (I/O, token). When `action` is counting
    /// the try, no PIN was tried.
    Storage {
        /// The store.
        store: String,
        /// What was being done, e.g. "counting the PIN try".
        action: &'static str,
        /// The underlying failure.
        source: BoxedError,
    },
    /// The store cannot do this (e.g. a one-to-one copy of a token).
    Unsupported {
        /// The store.
        store: String,
        /// What was asked.
        operation: &'static str,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        CardError {
            card: CardRef::The,
            error: self,
        }
        .fmt(f)
    }
}

impl core::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Storage { source, .. } => Some(&**source),
            Self::NewPin(e) => Some(e),
            Self::NewCard(e) => Some(&**e),
            _ => None,
        }
    }
}

impl StoreError {
    /// A [`Card::seal`](super::Card::seal) error as a store reports it.
    pub(super) fn from_seal(e: Error) -> Self {
        match e {
            Error::Card { error, .. } => error,
            other => Self::NewCard(Box::new(other)),
        }
    }
}

/// How a card is named in a message.
#[derive(Clone, Copy)]
enum CardRef {
    The,
    No(NonZeroUsize),
}

impl fmt::Display for CardRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::The => f.write_str("the card"),
            Self::No(n) => write!(f, "card {n}"),
        }
    }
}

/// A store error told about "the card" or "card N".
struct CardError<'a> {
    card: CardRef,
    error: &'a StoreError,
}

impl fmt::Display for CardError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.card;
        match self.error {
            StoreError::Absent { store } => {
                write!(f, "{c} is not there ({store}): insert or attach it")
            }
            StoreError::Damaged(damage) => write!(
                f,
                "{c} is damaged ({damage}): it cannot be read; use its duplicate from the disaster-recovery set"
            ),
            StoreError::Version { found } => write!(
                f,
                "{c} has record version {found}, expected {VERSION_1} or {VERSION} (written by another keyward version?)"
            ),
            StoreError::Empty { store } => write!(f, "{c} ({store}) holds no share"),
            StoreError::Exists { store } => write!(
                f,
                "{c} ({store}) already holds a share: refusing to overwrite a card"
            ),
            StoreError::WrongPin { tries_left } => match tries_left {
                TriesLeft::Count(0) | TriesLeft::Locked => write!(
                    f,
                    "wrong PIN for {c}: no tries left, the card is now blocked"
                ),
                TriesLeft::Count(1) | TriesLeft::LastTry => {
                    write!(f, "wrong PIN for {c}: 1 try left before the card blocks")
                }
                TriesLeft::Count(n) => write!(
                    f,
                    "wrong PIN for {c}: {n} tries left before the card blocks"
                ),
                TriesLeft::Low => write!(
                    f,
                    "wrong PIN for {c}: few tries left before the card blocks"
                ),
                TriesLeft::Unknown => write!(f, "wrong PIN for {c}"),
            },
            StoreError::Blocked { after } => {
                write!(f, "{c} is blocked after ")?;
                match after {
                    Some(n) => write!(f, "{n} wrong PINs")?,
                    None => f.write_str("too many wrong PINs")?,
                }
                f.write_str(": use another card of the set or its duplicate")
            }
            StoreError::PinEntry { expected } => {
                write!(f, "{c} takes its PIN {expected}")
            }
            StoreError::NewPin(e) => write!(f, "new PIN refused: {e}"),
            StoreError::Argon2 => f.write_str("Argon2 parameters refused or Argon2 failed"),
            StoreError::Seal => f.write_str("sealing the share failed"),
            StoreError::NewCard(e) => write!(f, "new card refused: {e}"),
            StoreError::Storage {
                store,
                action,
                source,
            } => write!(f, "{c} ({store}): {action} failed: {source}"),
            StoreError::Unsupported { store, operation } => {
                write!(f, "{c} ({store}) cannot {operation}")
            }
        }
    }
}

/// Errors of the backup-key ceremony and the recovery, in operator language.
/// Card numbers are 1-based, in the order the cards were offered.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// One card's store refused: `card` is its number in a ceremony or
    /// recovery, `None` in a single-card operation ("the card").
    Card {
        /// Card number, if the card was one of several.
        card: Option<NonZeroUsize>,
        /// What its store said.
        error: StoreError,
    },
    /// The same card (or a copy of it) was offered twice.
    SameCard {
        /// The later card.
        card: NonZeroUsize,
        /// The earlier card.
        first: NonZeroUsize,
    },
    /// A card from another backup set (another appliance or another key).
    ForeignCard {
        /// The card.
        card: NonZeroUsize,
        /// The set identifier of the first card.
        expected_set: u16,
        /// This card's set identifier.
        found_set: u16,
    },
    /// The header says one set id or card number, the sealed share another:
    /// the header was edited, or the record was assembled from two cards.
    HeaderMismatch {
        /// The card.
        card: Option<NonZeroUsize>,
        /// Set id and card number in the clear header.
        header: (u16, u8),
        /// Set id and card number (member index + 1) of the sealed share.
        sealed: (u16, u8),
    },
    /// More cards were needed.
    NotEnoughCards {
        /// Cards needed.
        needed: usize,
        /// Cards read.
        read: usize,
    },
    /// The rebuilt key's KCV differs from the one on the cards.
    KcvMismatch {
        /// KCV recorded on the cards.
        expected: Kcv,
        /// KCV of the rebuilt key.
        found: Kcv,
    },
    /// Read-back right after writing failed for this subset of cards
    /// (bit i set: card i + 1).
    ReadBack {
        /// The subset, as a bit mask.
        cards: u32,
        /// Why (a keyward-shamir error, or `None` for a KCV mismatch).
        source: Option<keyward_shamir::Error>,
    },
    /// Stores given to the ceremony do not match its options.
    Stores {
        /// Stores expected (the share count).
        expected: usize,
        /// Stores given.
        found: usize,
    },
    /// Any other keyward-shamir error (parameters, inconsistent shares).
    Shamir(keyward_shamir::Error),
    /// A share that is not one of a 32-byte backup key.
    ShareLength {
        /// Bytes-form length of the share given.
        found: usize,
    },
    /// A label longer than 64 bytes or not printable ASCII.
    Label {
        /// Bytes given.
        len: usize,
    },
    /// Threshold/shares outside 2 ≤ k ≤ n ≤ 16 (the SLIP-0039 group limit).
    Threshold {
        /// Threshold.
        k: u8,
        /// Shares.
        n: u8,
    },
    /// Card Argon2id parameters below [`CARD_ARGON2_FLOOR`] for a new card,
    /// without the explicit test-only allowance.
    Argon2Floor {
        /// The parameters asked for.
        found: Argon2Params,
    },
    /// A card with Argon2id parameters below [`CARD_ARGON2_FLOOR`] (a test
    /// card), offered to a recovery that does not allow them; refused
    /// before its PIN.
    WeakArgon2 {
        /// The card.
        card: NonZeroUsize,
        /// Its parameters.
        found: Argon2Params,
    },
}

impl Error {
    /// The store error of a card, if this is one.
    pub const fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Card { error, .. } => Some(error),
            _ => None,
        }
    }
    /// The card number this error names, if any.
    pub const fn card(&self) -> Option<NonZeroUsize> {
        match *self {
            Self::Card { card, .. } | Self::HeaderMismatch { card, .. } => card,
            Self::SameCard { card, .. }
            | Self::ForeignCard { card, .. }
            | Self::WeakArgon2 { card, .. } => Some(card),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Self::Card { card: None, error }
    }
}

/// Puts card number `no` on a store error.
pub(super) const fn numbered(error: StoreError, no: NonZeroUsize) -> Error {
    Error::Card {
        card: Some(no),
        error,
    }
}

fn card_ref(card: Option<NonZeroUsize>) -> CardRef {
    card.map_or(CardRef::The, CardRef::No)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Card { card, error } => CardError {
                card: card_ref(*card),
                error,
            }
            .fmt(f),
            Self::SameCard { card, first } => write!(
                f,
                "card {card} is the same card as card {first} (a copy of it?): read another card of the set"
            ),
            Self::ForeignCard {
                card,
                expected_set,
                found_set,
            } => write!(
                f,
                "card {card} belongs to another backup set (set id {found_set:04X}, expected {expected_set:04X}): a card from another appliance or key"
            ),
            Self::HeaderMismatch {
                card,
                header,
                sealed,
            } => write!(
                f,
                "{} is not what its header says: the header names set {:04X} card {}, the sealed share is set {:04X} card {} (edited or assembled from two cards): use its duplicate",
                card_ref(*card),
                header.0,
                header.1,
                sealed.0,
                sealed.1
            ),
            Self::NotEnoughCards { needed, read } => write!(
                f,
                "{read} {} read, {needed} needed: read {} more",
                if *read == 1 { "card" } else { "cards" },
                needed.saturating_sub(*read)
            ),
            Self::KcvMismatch { expected, found } => write!(
                f,
                "the rebuilt key has KCV {found}, the cards say {expected}: the cards do not rebuild this key"
            ),
            Self::ReadBack { cards, .. } => {
                f.write_str("read-back failed for cards")?;
                for i in 0..32u32 {
                    if cards & (1 << i) != 0 {
                        write!(f, " {}", i + 1)?;
                    }
                }
                f.write_str(": do not hand out these cards")
            }
            Self::Stores { expected, found } => write!(
                f,
                "expected {expected} card stores (one per share), found {found}"
            ),
            Self::Shamir(e) => write!(f, "the cards do not rebuild a key: {e}"),
            Self::ShareLength { found } => write!(
                f,
                "expected a share of a 32-byte backup key ({SHARE_LEN} bytes), found a share of {found} bytes"
            ),
            Self::Label { len } => write!(
                f,
                "expected a label of 1 to {MAX_LABEL_LEN} printable ASCII bytes, found {len} bytes"
            ),
            Self::Threshold { k, n } => write!(
                f,
                "expected 2 <= threshold <= cards <= 16, found threshold {k} with {n} cards"
            ),
            Self::Argon2Floor { found } => write!(
                f,
                "expected card Argon2id parameters of at least {} KiB and {} passes, found {} KiB and {} {}: weaker parameters are for tests only and must be allowed explicitly",
                CARD_ARGON2_FLOOR.m_cost_kib,
                CARD_ARGON2_FLOOR.t_cost,
                found.m_cost_kib,
                found.t_cost,
                if found.t_cost == 1 { "pass" } else { "passes" }
            ),
            Self::WeakArgon2 { card, found } => write!(
                f,
                "card {card} is a test card: its Argon2id parameters ({} KiB, {} {}) are below the floor of {} KiB and {} passes, so a copy of it falls to a PIN search in minutes; refused (allow test cards explicitly to read it)",
                found.m_cost_kib,
                found.t_cost,
                if found.t_cost == 1 { "pass" } else { "passes" },
                CARD_ARGON2_FLOOR.m_cost_kib,
                CARD_ARGON2_FLOOR.t_cost,
            ),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Card { error, .. } => core::error::Error::source(error),
            Self::Shamir(e)
            | Self::ReadBack {
                source: Some(e), ..
            } => Some(e),
            _ => None,
        }
    }
}

/// `Result` of the backup-key ceremony.
pub type Result<T> = core::result::Result<T, Error>;
