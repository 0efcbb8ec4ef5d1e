//! The backup-key ceremony (DESIGN.md situation 1): a 32-byte AES key split
//! k-of-n with SLIP-0039 onto PIN-protected **cards**, read back at once, and
//! recovered later card by card with progress and operator-language errors.
//!
//! A card is a [`Card`] record (format in `docs/formats.md`, section
//! "keyward (facade): card record"): label, set identifier, the backup key's
//! KCV and the wrong-PIN counter in the clear, the share's 42-byte bytes form
//! sealed with AES-256-SIV under a key derived from the card's PIN with
//! Argon2id. Cards ship with PIN [`DEFAULT_PIN`]; [`Card::change_pin`]
//! re-seals under a new one.
//!
//! **The wrong-PIN counter is advisory in software.** Three consecutive wrong
//! PINs block a card ([`MAX_WRONG_PINS`]) and a correct PIN resets the count,
//! but the counter lives in the card file: whoever holds a copy of the file can
//! restore it and guess on (Argon2id makes each guess cost time and memory,
//! nothing more). A real smart card keeps the counter in hardware and enforces
//! it; this software card is for tests, demos and appliances that keep card
//! files in storage they trust.
//!
//! **Security.** The share is authenticated and encrypted (AES-256-SIV) with
//! every header field as associated data, so a label, set id, KCV or Argon2
//! parameter changed without the PIN makes the card refuse the PIN. The PIN
//! key, the SIV key, opened shares and the rebuilt key are zeroized on drop
//! (`SecretBytes`, `Zeroizing`); KCVs, set ids and counters are public. KCV
//! comparisons use `subtle`. Argon2 parameters read from a card are bounded by
//! keyward-superpin's limits (at most 1 GiB), so a forged card cannot make an
//! unlock allocate without bound. The PIN itself is the weak point: 6 digits
//! are 10^6 guesses, and only a hardware counter stops an offline attacker.
//!
//! ```
//! use keyward::backup::{self, BackupOptions, CardRecovery};
//! # let mut rng = keyward::key::os_rng();
//! let mut opts = BackupOptions::new(2, 3)?;
//! opts.argon2 = backup::TEST_ARGON2; // tests only: the default is OWASP's
//! let made = backup::create(&opts, &mut rng)?; // read back before returning
//! let mut cards = made.cards.clone();
//!
//! let mut rec = CardRecovery::new();
//! let p = rec.add(&mut cards[2], backup::DEFAULT_PIN)?;
//! assert_eq!(p.to_string(), "card 1 of 2 read; 1 more needed");
//! // The same card again is named as such.
//! let again = rec.add(&mut cards[2], backup::DEFAULT_PIN).unwrap_err();
//! assert_eq!(again.to_string(), "card 2 is the same card as card 1 (a copy of it?): read another card of the set");
//! rec.add(&mut cards[0], backup::DEFAULT_PIN)?;
//! let key = rec.finish()?;
//! assert_eq!(key.kcv(), made.key.kcv());
//! # Ok::<(), backup::Error>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use aes_siv::KeyInit;
use aes_siv::aead::inout::InOutBuf;
use aes_siv::siv::Aes256Siv;
use hkdf::Hkdf;
use keyward_core::rand_core::CryptoRng;
use keyward_core::{Aes256Key, Kcv, KcvMethod, SecretBytes};
use keyward_pinhash::PinPolicy;
use keyward_shamir::slip39;
use keyward_superpin::Argon2Params;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The PIN every new card ships with.
pub const DEFAULT_PIN: &[u8] = b"123456";
/// Consecutive wrong PINs that block a card.
pub const MAX_WRONG_PINS: u8 = 3;
/// Magic bytes at the start of every card record.
pub const MAGIC: [u8; 4] = *b"KWCD";
/// The record version this code writes and reads.
pub const VERSION: u8 = 1;
/// Longest card label in bytes (printable ASCII).
pub const MAX_LABEL_LEN: usize = 64;
/// HKDF-Expand info of the AES-256-SIV key derived from the PIN key.
pub const SIV_KEY_INFO: &[u8] = b"keyward/card/v1/aes-256-siv";
/// Length of the trailing checksum (SHA-256 of the record before it, truncated).
pub const CHECKSUM_LEN: usize = 8;
/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 16;
/// Small Argon2id parameters (64 KiB, t = 1, p = 1) for tests and the demo
/// only: a PIN guess then costs almost nothing.
pub const TEST_ARGON2: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

/// The rule for a new PIN: 6 to 16 digits, no trivial PIN (so `123456`
/// cannot be kept by changing to it).
pub const NEW_PIN_POLICY: PinPolicy = PinPolicy {
    min_digits: 6,
    max_digits: 16,
    reject_trivial: true,
};

/// A card number in messages: 0 means "the card" (single-card operations),
/// otherwise "card N" (1-based, in the order the cards were offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CardNo(usize);

impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            f.write_str("the card")
        } else {
            write!(f, "card {}", self.0)
        }
    }
}

/// What is wrong with a damaged card record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The sealed share does not parse as a SLIP-0039 share.
    Share,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Magic => "not a keyward card file",
            Self::Length => "record length does not match its fields",
            Self::Checksum => "checksum mismatch",
            Self::Label => "label is not printable ASCII of at most 64 bytes",
            Self::Field => "a header field is out of range",
            Self::Share => "the share inside is malformed",
        })
    }
}

/// Errors of the backup-key ceremony, in operator language. `card` numbers
/// are 1-based in the order cards were offered; 0 means the single card of
/// the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The card record is damaged (or not a card).
    Damaged {
        /// Card number (0: the card).
        card: usize,
        /// What is wrong.
        damage: Damage,
    },
    /// A record version this code does not read.
    Version {
        /// Card number (0: the card).
        card: usize,
        /// Version found.
        found: u8,
    },
    /// The PIN is wrong; the card's counter was incremented.
    WrongPin {
        /// Card number (0: the card).
        card: usize,
        /// Tries left before the card blocks (0: now blocked).
        tries_left: u8,
    },
    /// The card is blocked after [`MAX_WRONG_PINS`] consecutive wrong PINs.
    Blocked {
        /// Card number (0: the card).
        card: usize,
    },
    /// The new PIN does not satisfy [`NEW_PIN_POLICY`].
    NewPin(keyward_pinhash::Error),
    /// The same card (or a copy of it) was offered twice.
    SameCard {
        /// The later card.
        card: usize,
        /// The earlier card.
        first: usize,
    },
    /// A card from another backup set (another appliance or another key).
    ForeignCard {
        /// The card.
        card: usize,
        /// The set identifier of the first card.
        expected_set: u16,
        /// This card's set identifier.
        found_set: u16,
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
    },
    /// Any other keyward-shamir error (parameters, inconsistent shares).
    Shamir(keyward_shamir::Error),
    /// Argon2 parameters refused, or Argon2 failed.
    Argon2,
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
    /// Sealing failed (an internal error).
    Seal,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Damaged { card, damage } => write!(
                f,
                "{} is damaged ({damage}): it cannot be read; use its duplicate from the disaster-recovery set",
                CardNo(card)
            ),
            Self::Version { card, found } => write!(
                f,
                "{} has record version {found}, expected {VERSION} (written by another keyward version?)",
                CardNo(card)
            ),
            Self::WrongPin {
                card,
                tries_left: 0,
            } => write!(
                f,
                "wrong PIN for {}: no tries left, the card is now blocked",
                CardNo(card)
            ),
            Self::WrongPin { card, tries_left } => write!(
                f,
                "wrong PIN for {}: {tries_left} {} left before the card blocks",
                CardNo(card),
                if tries_left == 1 { "try" } else { "tries" }
            ),
            Self::Blocked { card } => write!(
                f,
                "{} is blocked after {MAX_WRONG_PINS} wrong PINs: use another card of the set or its duplicate",
                CardNo(card)
            ),
            Self::NewPin(e) => write!(f, "new PIN refused: {e}"),
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
            Self::NotEnoughCards { needed, read } => write!(
                f,
                "{read} {} read, {needed} needed: read {} more",
                if read == 1 { "card" } else { "cards" },
                needed.saturating_sub(read)
            ),
            Self::KcvMismatch { expected, found } => write!(
                f,
                "the rebuilt key has KCV {found}, the cards say {expected}: the cards do not rebuild this key"
            ),
            Self::ReadBack { cards } => {
                f.write_str("read-back failed for cards")?;
                for i in 0..32u32 {
                    if cards & (1 << i) != 0 {
                        write!(f, " {}", i + 1)?;
                    }
                }
                f.write_str(": do not hand out these cards")
            }
            Self::Shamir(e) => write!(f, "the cards do not rebuild a key: {e}"),
            Self::Argon2 => f.write_str("Argon2 parameters refused or Argon2 failed"),
            Self::Label { len } => write!(
                f,
                "expected a label of 1 to {MAX_LABEL_LEN} printable ASCII bytes, found {len} bytes"
            ),
            Self::Threshold { k, n } => write!(
                f,
                "expected 2 <= threshold <= cards <= 16, found threshold {k} with {n} cards"
            ),
            Self::Seal => f.write_str("sealing the share failed"),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` of this module.
pub type Result<T> = core::result::Result<T, Error>;

/// Fixed-size part of the header after the label (see `docs/formats.md`).
const FIXED_AFTER_LABEL: usize = 2 + 1 + 1 + 1 + Kcv::KEPT + 12 + SALT_LEN;

/// One card record: a SLIP-0039 share sealed under a PIN-derived key.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    label: String,
    set_id: u16,
    threshold: u8,
    shares: u8,
    number: u8,
    kcv: Kcv,
    argon2: Argon2Params,
    salt: [u8; SALT_LEN],
    wrong_pins: u8,
    sealed: Vec<u8>,
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("label", &self.label)
            .field("set_id", &self.set_id)
            .field("threshold", &self.threshold)
            .field("shares", &self.shares)
            .field("number", &self.number)
            .field("kcv", &self.kcv_hex())
            .field("wrong_pins", &self.wrong_pins)
            .finish_non_exhaustive()
    }
}

fn check_label(label: &str) -> Result<()> {
    if label.is_empty()
        || label.len() > MAX_LABEL_LEN
        || !label.bytes().all(|b| (0x20..=0x7E).contains(&b))
    {
        return Err(Error::Label { len: label.len() });
    }
    Ok(())
}

fn siv(pin_key: &SecretBytes<32>) -> Result<Aes256Siv> {
    let mut key = Zeroizing::new([0u8; 64]);
    let hk = Hkdf::<Sha256>::from_prk(pin_key.expose_secret()).map_err(|_| Error::Seal)?;
    hk.expand(SIV_KEY_INFO, key.as_mut_slice())
        .map_err(|_| Error::Seal)?;
    Aes256Siv::new_from_slice(key.as_slice()).map_err(|_| Error::Seal)
}

fn pin_key(params: &Argon2Params, pin: &[u8], salt: &[u8; SALT_LEN]) -> Result<SecretBytes<32>> {
    params.derive(pin, salt).map_err(|_| Error::Argon2)
}

impl Card {
    /// Seals `share` (the SLIP-0039 bytes form) into a new card with PIN
    /// `pin`, Argon2id `argon2` and the given salt.
    ///
    /// # Errors
    /// [`Error::Label`], [`Error::Argon2`], [`Error::Damaged`] with
    /// [`Damage::Field`] for a counter above the limit.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        label: &str,
        share: &slip39::Share,
        shares: u8,
        kcv: &Kcv,
        argon2: Argon2Params,
        salt: [u8; SALT_LEN],
        pin: &[u8],
    ) -> Result<Self> {
        check_label(label)?;
        let mut card = Self {
            label: String::from(label),
            set_id: share.identifier(),
            threshold: share.member_threshold(),
            shares,
            number: share.member_index().saturating_add(1),
            kcv: Kcv::from_bytes(KcvMethod::Cmac, *kcv.bytes()),
            argon2,
            salt,
            wrong_pins: 0,
            sealed: Vec::new(),
        };
        let bytes = share.to_bytes();
        card.seal_bytes(&bytes, pin)?;
        Ok(card)
    }

    /// The header: every byte before the counter, the associated data of
    /// the seal.
    fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(6 + self.label.len() + FIXED_AFTER_LABEL);
        h.extend_from_slice(&MAGIC);
        h.push(VERSION);
        h.push(u8::try_from(self.label.len()).unwrap_or(0));
        h.extend_from_slice(self.label.as_bytes());
        h.extend_from_slice(&self.set_id.to_be_bytes());
        h.push(self.threshold);
        h.push(self.shares);
        h.push(self.number);
        h.extend_from_slice(self.kcv.bytes());
        h.extend_from_slice(&self.argon2.m_cost_kib.to_be_bytes());
        h.extend_from_slice(&self.argon2.t_cost.to_be_bytes());
        h.extend_from_slice(&self.argon2.p_cost.to_be_bytes());
        h.extend_from_slice(&self.salt);
        h
    }

    fn seal_bytes(&mut self, share: &[u8], pin: &[u8]) -> Result<()> {
        let key = pin_key(&self.argon2, pin, &self.salt)?;
        let mut cipher = siv(&key)?;
        let header = self.header();
        let mut buf = Zeroizing::new(share.to_vec());
        let tag = cipher
            .encrypt_inout_detached(
                [header.as_slice()].iter(),
                InOutBuf::from(buf.as_mut_slice()),
            )
            .map_err(|_| Error::Seal)?;
        let mut sealed = Vec::with_capacity(16 + buf.len());
        sealed.extend_from_slice(tag.as_slice());
        sealed.extend_from_slice(&buf);
        self.sealed = sealed;
        Ok(())
    }

    /// Opens the seal with `pin` without touching the counter.
    fn try_open(&self, pin: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let key = pin_key(&self.argon2, pin, &self.salt)?;
        let mut cipher = siv(&key)?;
        let header = self.header();
        let (v, c) = self.sealed.split_at(16.min(self.sealed.len()));
        let Ok(tag) = aes_siv::Tag::try_from(v) else {
            return Ok(None);
        };
        let mut buf = Zeroizing::new(c.to_vec());
        let ok = cipher
            .decrypt_inout_detached(
                [header.as_slice()].iter(),
                InOutBuf::from(buf.as_mut_slice()),
                &tag,
            )
            .is_ok();
        Ok(ok.then_some(buf))
    }

    /// Opens the card with `pin` and returns the share's bytes form.
    ///
    /// A wrong PIN increments the card's counter (save the card afterwards:
    /// [`Card::to_bytes`]); the third consecutive one blocks the card; a
    /// correct PIN resets the counter.
    ///
    /// # Errors
    /// [`Error::Blocked`] (checked before any PIN is tried),
    /// [`Error::WrongPin`] with the tries left, [`Error::Argon2`]. Errors
    /// name "the card"; [`CardRecovery`] numbers them.
    pub fn open(&mut self, pin: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if self.is_blocked() {
            return Err(Error::Blocked { card: 0 });
        }
        match self.try_open(pin)? {
            Some(share) => {
                self.wrong_pins = 0;
                Ok(share)
            }
            None => {
                self.wrong_pins = self.wrong_pins.saturating_add(1).min(MAX_WRONG_PINS);
                Err(Error::WrongPin {
                    card: 0,
                    tries_left: self.tries_left(),
                })
            }
        }
    }

    /// Re-seals the share under `new_pin` (with a fresh salt), after checking
    /// `old_pin` (which counts as a PIN try) and the new PIN's policy.
    ///
    /// # Errors
    /// As [`Card::open`]; [`Error::NewPin`] if `new_pin` breaks
    /// [`NEW_PIN_POLICY`] (checked first; no try is counted).
    pub fn change_pin<R: CryptoRng + ?Sized>(
        &mut self,
        old_pin: &[u8],
        new_pin: &[u8],
        rng: &mut R,
    ) -> Result<()> {
        let text = core::str::from_utf8(new_pin)
            .map_err(|_| Error::NewPin(keyward_pinhash::Error::PinCharacter { position: 1 }))?;
        NEW_PIN_POLICY.check(text).map_err(Error::NewPin)?;
        let share = self.open(old_pin)?;
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let old_salt = self.salt;
        self.salt = salt;
        if let Err(e) = self.seal_bytes(&share, new_pin) {
            self.salt = old_salt;
            return Err(e);
        }
        Ok(())
    }

    /// A one-to-one duplicate (same share, same PIN, same counter) for the
    /// disaster-recovery set.
    pub fn duplicate(&self) -> Self {
        self.clone()
    }

    /// The card's label.
    pub fn label(&self) -> &str {
        &self.label
    }
    /// The set identifier (the SLIP-0039 identifier of the share set).
    pub const fn set_id(&self) -> u16 {
        self.set_id
    }
    /// Cards needed to rebuild the key.
    pub const fn threshold(&self) -> u8 {
        self.threshold
    }
    /// Cards in the set.
    pub const fn shares(&self) -> u8 {
        self.shares
    }
    /// This card's number in the set (1-based).
    pub const fn number(&self) -> u8 {
        self.number
    }
    /// All five stored KCV bytes of the backup key (AES-CMAC KCV).
    pub const fn kcv_bytes(&self) -> &[u8; Kcv::KEPT] {
        self.kcv.bytes()
    }
    /// The three KCV bytes an operator compares.
    pub const fn kcv_shown(&self) -> [u8; 3] {
        self.kcv.shown()
    }
    /// The KCV as six upper-case hex digits.
    pub fn kcv_hex(&self) -> String {
        alloc::string::ToString::to_string(&self.kcv)
    }
    /// The Argon2id parameters of the PIN.
    pub const fn argon2(&self) -> Argon2Params {
        self.argon2
    }
    /// Consecutive wrong PINs so far.
    pub const fn wrong_pins(&self) -> u8 {
        self.wrong_pins
    }
    /// PIN tries left before the card blocks.
    pub const fn tries_left(&self) -> u8 {
        MAX_WRONG_PINS.saturating_sub(self.wrong_pins)
    }
    /// Whether the card is blocked.
    pub const fn is_blocked(&self) -> bool {
        self.wrong_pins >= MAX_WRONG_PINS
    }

    /// The record's bytes (format in `docs/formats.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.push(self.wrong_pins);
        out.push(u8::try_from(self.sealed.len()).unwrap_or(0));
        out.extend_from_slice(&self.sealed);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(sum.get(..CHECKSUM_LEN).unwrap_or(&[]));
        out
    }

    /// Parses a record.
    ///
    /// # Errors
    /// [`Error::Damaged`] naming what is wrong, [`Error::Version`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let dmg = |damage| Error::Damaged { card: 0, damage };
        let mut r = Reader(bytes);
        if r.take(4).ok_or(dmg(Damage::Magic))? != MAGIC {
            return Err(dmg(Damage::Magic));
        }
        // Checksum before anything else: a flipped bit anywhere says "damaged".
        let body_len = bytes
            .len()
            .checked_sub(CHECKSUM_LEN)
            .ok_or(dmg(Damage::Length))?;
        let (body, sum) = bytes.split_at(body_len);
        let want = Sha256::digest(body);
        if !bool::from(sum.ct_eq(want.get(..CHECKSUM_LEN).unwrap_or(&[]))) {
            return Err(dmg(Damage::Checksum));
        }
        let mut r = Reader(body.get(4..).unwrap_or(&[]));
        let version = r.u8().ok_or(dmg(Damage::Length))?;
        if version != VERSION {
            return Err(Error::Version {
                card: 0,
                found: version,
            });
        }
        let label_len = usize::from(r.u8().ok_or(dmg(Damage::Length))?);
        let label = r.take(label_len).ok_or(dmg(Damage::Length))?;
        let label = core::str::from_utf8(label).map_err(|_| dmg(Damage::Label))?;
        check_label(label).map_err(|_| dmg(Damage::Label))?;
        let set_id = u16::from_be_bytes(r.array().ok_or(dmg(Damage::Length))?);
        let threshold = r.u8().ok_or(dmg(Damage::Length))?;
        let shares = r.u8().ok_or(dmg(Damage::Length))?;
        let number = r.u8().ok_or(dmg(Damage::Length))?;
        let kcv = Kcv::from_bytes(KcvMethod::Cmac, r.array().ok_or(dmg(Damage::Length))?);
        let m = u32::from_be_bytes(r.array().ok_or(dmg(Damage::Length))?);
        let t = u32::from_be_bytes(r.array().ok_or(dmg(Damage::Length))?);
        let p = u32::from_be_bytes(r.array().ok_or(dmg(Damage::Length))?);
        let salt = r.array().ok_or(dmg(Damage::Length))?;
        let wrong_pins = r.u8().ok_or(dmg(Damage::Length))?;
        let sealed_len = usize::from(r.u8().ok_or(dmg(Damage::Length))?);
        let sealed = r.take(sealed_len).ok_or(dmg(Damage::Length))?;
        if !r.0.is_empty() {
            return Err(dmg(Damage::Length));
        }
        if !(2..=16).contains(&threshold)
            || !(threshold..=16).contains(&shares)
            || !(1..=shares).contains(&number)
            || set_id > 0x7FFF
            || wrong_pins > MAX_WRONG_PINS
            || sealed_len < 16
        {
            return Err(dmg(Damage::Field));
        }
        let argon2 = Argon2Params {
            m_cost_kib: m,
            t_cost: t,
            p_cost: p,
        };
        argon2.validate().map_err(|_| dmg(Damage::Field))?;
        Ok(Self {
            label: String::from(label),
            set_id,
            threshold,
            shares,
            number,
            kcv,
            argon2,
            salt,
            wrong_pins,
            sealed: sealed.to_vec(),
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|b| b.try_into().ok())
    }
}

/// Options of a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOptions {
    /// Cards needed to rebuild the key (k).
    pub threshold: u8,
    /// Cards written (n).
    pub shares: u8,
    /// Argon2id parameters of the card PINs (default OWASP).
    pub argon2: Argon2Params,
    /// SLIP-0039 iteration exponent (default 1, the standard's default).
    pub iteration_exponent: u8,
    /// Label prefix: cards are labelled "`prefix` card i of n".
    pub label_prefix: String,
}

impl BackupOptions {
    /// k-of-n with OWASP Argon2id and label prefix `backup`.
    ///
    /// # Errors
    /// [`Error::Threshold`] unless 2 ≤ k ≤ n ≤ 16.
    pub fn new(threshold: u8, shares: u8) -> Result<Self> {
        if threshold < 2 || shares < threshold || shares > 16 {
            return Err(Error::Threshold {
                k: threshold,
                n: shares,
            });
        }
        Ok(Self {
            threshold,
            shares,
            argon2: Argon2Params::OWASP,
            iteration_exponent: 1,
            label_prefix: String::from("backup"),
        })
    }
}

/// A new backup: the key (keep it only as long as needed) and its cards.
#[derive(Debug)]
pub struct Backup {
    /// The generated backup key.
    pub key: Aes256Key,
    /// Its KCV (AES-CMAC).
    pub kcv: Kcv,
    /// One card per share, in share order, all with PIN [`DEFAULT_PIN`].
    pub cards: Vec<Card>,
}

/// Generates a 32-byte AES key, splits it k-of-n, writes one card per share
/// with PIN [`DEFAULT_PIN`], then reads every k-subset back
/// ([`verify_read_back`]).
///
/// # Errors
/// [`Error::Threshold`], [`Error::Label`], [`Error::Shamir`],
/// [`Error::Argon2`], [`Error::ReadBack`].
pub fn create<R: CryptoRng + ?Sized>(opts: &BackupOptions, rng: &mut R) -> Result<Backup> {
    let key = Aes256Key::generate(rng);
    let cards = write_cards(&key, opts, rng)?;
    verify_read_back(&cards, DEFAULT_PIN)?;
    Ok(Backup {
        kcv: key.kcv(),
        key,
        cards,
    })
}

/// Splits an existing key onto cards (no read-back: see
/// [`verify_read_back`]).
///
/// # Errors
/// As [`create`] except [`Error::ReadBack`].
pub fn write_cards<R: CryptoRng + ?Sized>(
    key: &Aes256Key,
    opts: &BackupOptions,
    rng: &mut R,
) -> Result<Vec<Card>> {
    let _ = BackupOptions::new(opts.threshold, opts.shares)?;
    let mut params = slip39::Params::single(opts.threshold, opts.shares).map_err(Error::Shamir)?;
    params.iteration_exponent = opts.iteration_exponent;
    let groups = slip39::split(key.expose_secret(), b"", &params, rng).map_err(Error::Shamir)?;
    let kcv = key.kcv_with(KcvMethod::Cmac);
    let mut cards = Vec::with_capacity(usize::from(opts.shares));
    for share in groups.iter().flatten() {
        let label = alloc::format!(
            "{} card {} of {}",
            opts.label_prefix,
            u16::from(share.member_index()) + 1,
            opts.shares
        );
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        cards.push(Card::seal(
            &label,
            share,
            opts.shares,
            &kcv,
            opts.argon2,
            salt,
            DEFAULT_PIN,
        )?);
    }
    Ok(cards)
}

/// Read-back right after writing, as the appliance does: opens every card
/// with `pin` (the counters are not touched), then checks that every subset
/// of `threshold` cards rebuilds a key whose KCV matches the cards'. Returns
/// the number of subsets checked.
///
/// # Errors
/// [`Error::WrongPin`]/[`Error::Blocked`]/[`Error::Argon2`] naming the card,
/// [`Error::ReadBack`] naming the failing subset.
pub fn verify_read_back(cards: &[Card], pin: &[u8]) -> Result<usize> {
    let n = cards.len();
    let Some(first) = cards.first() else {
        return Err(Error::NotEnoughCards { needed: 2, read: 0 });
    };
    let k = usize::from(first.threshold);
    if n < k || n > 16 {
        return Err(Error::NotEnoughCards { needed: k, read: n });
    }
    let mut opened = Vec::with_capacity(n);
    for (i, card) in cards.iter().enumerate() {
        if card.is_blocked() {
            return Err(Error::Blocked { card: i + 1 });
        }
        match card.try_open(pin)? {
            Some(s) => opened.push(s),
            None => {
                return Err(Error::WrongPin {
                    card: i + 1,
                    tries_left: card.tries_left(),
                });
            }
        }
    }
    let mut checked = 0;
    for mask in 0u32..(1u32 << n) {
        if usize::try_from(mask.count_ones()).ok() != Some(k) {
            continue;
        }
        let fail = Error::ReadBack { cards: mask };
        let mut rec = slip39::Recovery::new();
        for (i, share) in opened.iter().enumerate() {
            if mask & (1 << i) != 0 {
                rec.add_bytes(share).map_err(|_| fail)?;
            }
        }
        let secret = rec.finish(b"").map_err(|_| fail)?;
        let key = Aes256Key::from_slice(secret.expose_secret()).map_err(|_| fail)?;
        let kcv = key.kcv_with(KcvMethod::Cmac);
        if !bool::from(kcv.bytes().ct_eq(first.kcv.bytes())) {
            return Err(fail);
        }
        checked += 1;
    }
    Ok(checked)
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
        self.read >= self.needed
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

/// Recovery of the backup key from cards, one at a time.
#[derive(Debug, Default)]
pub struct CardRecovery {
    shamir: slip39::Recovery,
    first: Option<(u16, Kcv, u8)>,
    offered: usize,
    /// Offered number of each card accepted so far.
    accepted: Vec<usize>,
    /// Offered number of each card handed to keyward-shamir (its share
    /// numbers are positions in this list, from 1).
    given: Vec<usize>,
}

impl CardRecovery {
    /// An empty recovery.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number the next card gets in messages (1-based).
    pub const fn next_number(&self) -> usize {
        self.offered + 1
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        Progress {
            read: self.accepted.len(),
            needed: self.first.map_or(0, |f| usize::from(f.2)),
        }
    }

    /// Reads one card with its PIN. A wrong PIN changes the card's counter:
    /// save the card afterwards in every case.
    ///
    /// # Errors
    /// [`Error::ForeignCard`] (checked from the clear header, before the
    /// PIN), [`Error::Blocked`], [`Error::WrongPin`], [`Error::SameCard`],
    /// [`Error::Damaged`] with [`Damage::Share`], [`Error::Shamir`] — all
    /// naming the card by its number. A refused card is not counted.
    pub fn add(&mut self, card: &mut Card, pin: &[u8]) -> Result<Progress> {
        self.offered += 1;
        let no = self.offered;
        if let Some((set, kcv, _)) = self.first {
            if set != card.set_id || !bool::from(kcv.bytes().ct_eq(card.kcv.bytes())) {
                return Err(Error::ForeignCard {
                    card: no,
                    expected_set: set,
                    found_set: card.set_id,
                });
            }
        }
        let share = card.open(pin).map_err(|e| number(e, no))?;
        let parsed = slip39::Share::from_bytes(&share, no).map_err(|_| Error::Damaged {
            card: no,
            damage: Damage::Share,
        })?;
        self.given.push(no);
        match self.shamir.add(parsed) {
            Ok(_) => {}
            Err(keyward_shamir::Error::DuplicateShare { first, .. }) => {
                return Err(Error::SameCard {
                    card: no,
                    first: self.offered_number(first),
                });
            }
            Err(keyward_shamir::Error::ForeignShare { .. }) => {
                let (set, ..) = self.first.unwrap_or((card.set_id, card.kcv, 0));
                return Err(Error::ForeignCard {
                    card: no,
                    expected_set: set,
                    found_set: card.set_id,
                });
            }
            Err(e) => return Err(Error::Shamir(e)),
        }
        if self.first.is_none() {
            self.first = Some((card.set_id, card.kcv, card.threshold));
        }
        self.accepted.push(no);
        Ok(self.progress())
    }

    /// Maps keyward-shamir's share number to the card's offered number.
    fn offered_number(&self, shamir_no: usize) -> usize {
        shamir_no
            .checked_sub(1)
            .and_then(|i| self.given.get(i).copied())
            .unwrap_or(shamir_no)
    }

    /// Rebuilds the key and checks its KCV against the cards'.
    ///
    /// # Errors
    /// [`Error::NotEnoughCards`], [`Error::KcvMismatch`], [`Error::Shamir`].
    pub fn finish(&self) -> Result<Aes256Key> {
        let p = self.progress();
        let Some((_, kcv, _)) = self.first else {
            return Err(Error::NotEnoughCards { needed: 2, read: 0 });
        };
        if !p.is_complete() {
            return Err(Error::NotEnoughCards {
                needed: p.needed,
                read: p.read,
            });
        }
        let secret = self.shamir.finish(b"").map_err(Error::Shamir)?;
        let key = Aes256Key::from_slice(secret.expose_secret()).map_err(|_| {
            Error::Shamir(keyward_shamir::Error::SecretLength {
                found: secret.len(),
            })
        })?;
        let found = key.kcv_with(KcvMethod::Cmac);
        if !bool::from(found.bytes().ct_eq(kcv.bytes())) {
            return Err(Error::KcvMismatch {
                expected: kcv,
                found,
            });
        }
        Ok(key)
    }
}

/// Puts card number `no` into a single-card error.
fn number(e: Error, no: usize) -> Error {
    match e {
        Error::Damaged { damage, .. } => Error::Damaged { card: no, damage },
        Error::Version { found, .. } => Error::Version { card: no, found },
        Error::WrongPin { tries_left, .. } => Error::WrongPin {
            card: no,
            tries_left,
        },
        Error::Blocked { .. } => Error::Blocked { card: no },
        other => other,
    }
}

/// Parses a card file offered as card `no` in a recovery (errors numbered).
///
/// # Errors
/// As [`Card::from_bytes`], naming card `no`.
pub fn parse_numbered(bytes: &[u8], no: usize) -> Result<Card> {
    Card::from_bytes(bytes).map_err(|e| number(e, no))
}

/// Fuzzing entry point (`fuzz/fuzz_targets/backup_card_record.rs`, replayed
/// by `tests/backup.rs`): parses arbitrary bytes as a card record; whatever
/// parses must serialise back to exactly the same bytes. The input is also
/// parsed with a valid checksum appended, so that the fuzzer reaches the
/// field checks behind the checksum.
///
/// # Panics
/// If a parsed record does not round-trip (the property under test).
#[doc(hidden)]
#[allow(clippy::panic)]
pub fn fuzz_card_record(data: &[u8]) {
    let mut with_sum = data.to_vec();
    with_sum.extend_from_slice(Sha256::digest(data).get(..CHECKSUM_LEN).unwrap_or(&[]));
    for input in [data, with_sum.as_slice()] {
        if let Ok(card) = Card::from_bytes(input) {
            if card.to_bytes() != input {
                panic!("card record does not round-trip");
            }
            let _ = (card.kcv_hex(), card.tries_left(), card.label().len());
        }
    }
}
