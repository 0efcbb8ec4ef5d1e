//! The card-storage seam (`docs/design.md#card-storage`): [`CardStore`], a
//! place where one share of the backup key lives, and what it reports.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use keyward_core::Kcv;
use keyward_core::rand_core::CryptoRng;
use keyward_superpin::Argon2Params;
use zeroize::Zeroizing;

use super::error::{Damage, StoreError, TriesLeft};
use super::record::{Card, SealParams};

/// How a store takes its PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinEntry {
    /// The caller passes the PIN typed by the custodian (soft cards, tokens
    /// in plain readers): [`CardStore::unlock`] takes `Some(pin)`.
    Typed,
    /// The reader has a PIN pad (PKCS#11 `CKF_PROTECTED_AUTHENTICATION_PATH`):
    /// the custodian types the PIN on the reader, [`CardStore::unlock`]
    /// takes `None`.
    PinPad,
}

impl fmt::Display for PinEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Typed => "typed in (no PIN was given)",
            Self::PinPad => "on the reader's PIN pad (no PIN may be given)",
        })
    }
}

/// Whether writing a share may replace one the store already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteMode {
    /// Refuse ([`StoreError::Exists`]) if the store holds a share.
    CreateNew,
    /// Replace the share the store holds, if any.
    Replace,
}

/// A card's public header: what anyone may read without the PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CardHeader {
    /// The card's label.
    pub label: String,
    /// The SLIP-0039 identifier of the share set (0..=0x7FFF).
    pub set_id: u16,
    /// Cards needed to rebuild the key (k, 2..=16).
    pub threshold: u8,
    /// Cards in the set (n, k..=16).
    pub shares: u8,
    /// This card's number in the set (1..=n).
    pub number: u8,
    /// The backup key's AES-CMAC KCV.
    pub kcv: Kcv,
    /// PIN tries left, as the store reports them.
    pub tries_left: TriesLeft,
    /// The Argon2id parameters of the PIN key (soft cards; `None` where the
    /// store checks the PIN itself).
    pub argon2: Option<Argon2Params>,
    /// Whether those parameters are below
    /// [`CARD_ARGON2_FLOOR`](super::CARD_ARGON2_FLOOR): a card for tests,
    /// refused by a recovery unless allowed.
    pub weak_argon2: bool,
    /// Whether the card still has the default PIN, where the store knows
    /// (a version 2 record); `None` otherwise.
    pub default_pin: Option<bool>,
}

impl CardHeader {
    /// A header read from a store other than a card record (a token's public
    /// object), checked as a record's header is.
    ///
    /// # Errors
    /// [`Damage::Label`] or [`Damage::Field`] when a field is out of range.
    pub fn new(
        label: String,
        set_id: u16,
        (threshold, shares, number): (u8, u8, u8),
        kcv: Kcv,
        tries_left: TriesLeft,
    ) -> Result<Self, Damage> {
        super::record::check_label(&label).map_err(|_| Damage::Label)?;
        if !(2..=16).contains(&threshold)
            || !(threshold..=16).contains(&shares)
            || !(1..=shares).contains(&number)
            || set_id > 0x7FFF
        {
            return Err(Damage::Field);
        }
        Ok(Self {
            label,
            set_id,
            threshold,
            shares,
            number,
            kcv,
            tries_left,
            argon2: None,
            weak_argon2: false,
            default_pin: None,
        })
    }

    /// Whether the card takes no more PINs.
    pub const fn is_blocked(&self) -> bool {
        self.tries_left.is_blocked()
    }
}

/// A place where one share of the backup key lives: a soft card in memory
/// ([`MemoryCard`](super::MemoryCard)), a card file (`FileCard`, with
/// `std`), a PKCS#11 token. The ceremony ([`create_on`](super::create_on),
/// [`verify_read_back`](super::verify_read_back)) and the recovery
/// ([`CardRecovery`](super::CardRecovery)) use stores through this trait
/// only.
///
/// # Contract
///
/// * **Header without PIN.** [`read_header`](Self::read_header) returns the
///   public fields and the tries left. It spends no try.
/// * **The store counts PIN tries, before the expensive check.**
///   [`unlock`](Self::unlock) first makes the attempt count where the
///   count lives (a soft card persists its decremented counter; a token
///   counts in hardware during `C_Login`), then checks the PIN, then resets
///   the count after a right PIN. If the count cannot be made durable, no
///   PIN is tried and the error ([`StoreError::Storage`]) says why. A
///   blocked card tries no PIN ([`StoreError::Blocked`]).
/// * **Tries as the store knows them.** A wrong PIN is
///   [`StoreError::WrongPin`] with [`TriesLeft`]: an exact count, or "low",
///   "last try", "locked" as tokens report it.
/// * **PIN entry.** [`pin_entry`](Self::pin_entry) says whether the PIN is
///   passed in (`Some(pin)`) or typed on the reader's PIN pad (`None`); the
///   other kind is refused with [`StoreError::PinEntry`] before any try.
/// * **No silent overwrite.** [`write_share`](Self::write_share) with
///   [`WriteMode::CreateNew`] refuses a store that holds a share
///   ([`StoreError::Exists`]).
/// * **Whole or nothing.** A write either replaces the store's content
///   completely or leaves it as it was.
/// * **Messages.** [`describe`](Self::describe) names the store for an
///   operator (a file path; a token label and serial) and appears in
///   [`StoreError::Absent`], [`StoreError::Storage`] and the like. Errors
///   never contain a PIN or share byte; storage failures keep their cause
///   as [`source`](core::error::Error::source).
///
/// Implementations outside this crate (a PKCS#11 token) return a header
/// built with [`CardHeader::new`] and the share's SLIP-0039 bytes form from
/// [`unlock`](Self::unlock); the recovery checks that the share agrees with
/// the header.
pub trait CardStore: fmt::Debug {
    /// Names the store for messages, e.g. `card file /media/usb/card-1.kwcard`
    /// or `token "backup 1" serial 0A1B2C`.
    fn describe(&self) -> String;

    /// How this store takes its PIN (default: typed in).
    fn pin_entry(&self) -> PinEntry {
        PinEntry::Typed
    }

    /// The PIN this store was opened with, if any (default: none). A token
    /// whose user PIN is the card PIN holds one when its name carries it
    /// (a PKCS#11 URI's `pin-source`) or when the caller gave it on opening:
    /// the ceremony then writes and reads the token back with that PIN
    /// instead of [`DEFAULT_PIN`](super::DEFAULT_PIN), and callers pass it
    /// to [`unlock`](Self::unlock) instead of asking the custodian. Soft
    /// cards hold none.
    fn own_pin(&self) -> Option<&[u8]> {
        None
    }

    /// Reads the public header without a PIN.
    ///
    /// # Errors
    /// [`StoreError::Absent`], [`StoreError::Empty`],
    /// [`StoreError::Damaged`], [`StoreError::Version`],
    /// [`StoreError::Storage`].
    fn read_header(&mut self) -> Result<CardHeader, StoreError>;

    /// Attempts an unlock and returns the share (SLIP-0039 bytes form). The
    /// attempt is counted before the PIN is checked (see the contract).
    ///
    /// # Errors
    /// [`StoreError::Blocked`], [`StoreError::WrongPin`],
    /// [`StoreError::PinEntry`], [`StoreError::Storage`] (when counting
    /// failed, no PIN was tried), and those of
    /// [`read_header`](Self::read_header).
    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError>;

    /// Writes a new share (a new card) with PIN `new.pin`.
    ///
    /// # Errors
    /// [`StoreError::Exists`] with [`WriteMode::CreateNew`] when the store
    /// holds a share; [`StoreError::Storage`]; [`StoreError::Argon2`].
    fn write_share(&mut self, new: &SealParams<'_>, mode: WriteMode) -> Result<(), StoreError>;

    /// Changes the PIN after checking the old one (a counted try). The new
    /// PIN must satisfy [`NEW_PIN_POLICY`](super::NEW_PIN_POLICY), checked
    /// before the old PIN is tried.
    ///
    /// # Errors
    /// [`StoreError::NewPin`] (no try counted), then as
    /// [`unlock`](Self::unlock).
    fn change_pin(
        &mut self,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), StoreError>;

    /// The record for a one-to-one duplicate (same share, PIN and counter),
    /// read without a PIN. Stores that cannot export their share (tokens)
    /// return [`StoreError::Unsupported`] (the default): duplicate those
    /// with [`unlock`](Self::unlock) and [`write_share`](Self::write_share).
    ///
    /// # Errors
    /// [`StoreError::Unsupported`], and those of
    /// [`read_header`](Self::read_header).
    fn read_record(&mut self) -> Result<Card, StoreError> {
        Err(StoreError::Unsupported {
            store: self.describe(),
            operation: "export its record for a one-to-one copy",
        })
    }

    /// Writes a record one-to-one (a duplicate made by
    /// [`read_record`](Self::read_record)).
    ///
    /// # Errors
    /// [`StoreError::Exists`] with [`WriteMode::CreateNew`];
    /// [`StoreError::Storage`]; [`StoreError::Unsupported`] (the default).
    fn write_record(&mut self, card: &Card, mode: WriteMode) -> Result<(), StoreError> {
        let _ = (card, mode);
        Err(StoreError::Unsupported {
            store: self.describe(),
            operation: "take a one-to-one copy of a card record",
        })
    }
}

/// A boxed store is a store (the CLI opens files and tokens alike as
/// `Box<dyn CardStore>`).
impl<S: CardStore + ?Sized> CardStore for alloc::boxed::Box<S> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn pin_entry(&self) -> PinEntry {
        (**self).pin_entry()
    }
    fn own_pin(&self) -> Option<&[u8]> {
        (**self).own_pin()
    }
    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        (**self).read_header()
    }
    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        (**self).unlock(pin)
    }
    fn write_share(&mut self, new: &SealParams<'_>, mode: WriteMode) -> Result<(), StoreError> {
        (**self).write_share(new, mode)
    }
    fn change_pin(
        &mut self,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        (**self).change_pin(old, new, rng)
    }
    fn read_record(&mut self) -> Result<Card, StoreError> {
        (**self).read_record()
    }
    fn write_record(&mut self, card: &Card, mode: WriteMode) -> Result<(), StoreError> {
        (**self).write_record(card, mode)
    }
}

/// The PIN to unlock `store` with: none for a PIN pad, else the store's own
/// PIN ([`CardStore::own_pin`]), else `given`. A copy, so the store can be
/// borrowed mutably for the unlock; wiped on drop.
pub(super) fn pin_for<S: CardStore + ?Sized>(
    store: &S,
    given: Option<&[u8]>,
) -> Option<Zeroizing<Vec<u8>>> {
    match store.pin_entry() {
        PinEntry::PinPad => None,
        _ => store
            .own_pin()
            .or(given)
            .map(|p| Zeroizing::new(p.to_vec())),
    }
}

/// Copies the share in `from` onto `to` through an unlock, for stores that
/// cannot export a record one-to-one (tokens; a token to a file or back):
/// `from` is unlocked with `pin` (a counted try), its share checked against
/// its header, written to `to` as card `number` of the same set with the
/// same label, then read back from `to` and compared. A soft-card target is
/// sealed under the same PIN with `argon2` and `salt`; a token target keeps
/// its own user PIN. Returns the copied card's header.
///
/// # Errors
/// A [`Error::Card`](super::Error::Card) numbered 1 (`from`) or 2 (`to`), among them
/// [`StoreError::Exists`] with [`WriteMode::CreateNew`]; [`Error::HeaderMismatch`](super::Error::HeaderMismatch);
/// [`Error::ReadBack`](super::Error::ReadBack) (card 2) when the copy does not read back the same share.
pub fn copy_share<F, T>(
    from: &mut F,
    pin: Option<&[u8]>,
    to: &mut T,
    argon2: Argon2Params,
    salt: [u8; super::SALT_LEN],
    mode: WriteMode,
) -> Result<CardHeader, super::Error>
where
    F: CardStore + ?Sized,
    T: CardStore + ?Sized,
{
    use super::error::numbered;
    use subtle::ConstantTimeEq;
    let one = core::num::NonZeroUsize::MIN;
    let two = one.saturating_add(1);
    let header = from.read_header().map_err(|e| numbered(e, one))?;
    let from_pin = pin_for(&*from, pin);
    if from_pin.is_none() && to.pin_entry() == PinEntry::Typed && to.own_pin().is_none() {
        // A share read on a PIN pad has no typed PIN to seal a soft copy under.
        return Err(numbered(
            StoreError::PinEntry {
                expected: PinEntry::Typed,
            },
            two,
        ));
    }
    let bytes = from
        .unlock(from_pin.as_deref().map(Vec::as_slice))
        .map_err(|e| numbered(e, one))?;
    let share = super::recovery::parse_share(&bytes, &header, one)?;
    // A soft target takes the PIN the source was unlocked with.
    let new_pin: &[u8] = from_pin.as_deref().map_or(&[], Vec::as_slice);
    let p = SealParams {
        label: &header.label,
        share: &share,
        shares: header.shares,
        kcv: &header.kcv,
        argon2: header.argon2.unwrap_or(argon2),
        salt,
        pin: new_pin,
        // A test card's copy stays a test card (and keeps its costs).
        allow_weak_argon2: header.weak_argon2,
    };
    to.write_share(&p, mode).map_err(|e| numbered(e, two))?;
    let copied = to.read_header().map_err(|e| numbered(e, two))?;
    let to_pin = pin_for(&*to, Some(new_pin));
    let back = to
        .unlock(to_pin.as_deref().map(Vec::as_slice))
        .map_err(|e| numbered(e, two))?;
    if !bool::from(back.as_slice().ct_eq(bytes.as_slice())) {
        return Err(super::Error::ReadBack {
            cards: 0b10,
            source: None,
        });
    }
    Ok(copied)
}

/// Duplicates the card in `from` onto `to` one-to-one (same share, PIN and
/// counter) for the disaster-recovery set; returns the copied card's header.
///
/// # Errors
/// Those of [`CardStore::read_record`] on `from` and
/// [`CardStore::write_record`] on `to` (which refuses to overwrite with
/// [`WriteMode::CreateNew`]).
pub fn duplicate<F, T>(from: &mut F, to: &mut T, mode: WriteMode) -> Result<CardHeader, StoreError>
where
    F: CardStore + ?Sized,
    T: CardStore + ?Sized,
{
    let card = from.read_record()?;
    to.write_record(&card, mode)?;
    Ok(card.public_header())
}
