//! The card record codec: `KWCD` version 2 bytes (version 1 still read) ↔
//! [`Card`] (`docs/formats.md`, "keyward (facade): card record").

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use keyward_core::{Kcv, KcvMethod};
use keyward_shamir::slip39;
use keyward_superpin::Argon2Params;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::{self, SALT_LEN, TAG_LEN};
use super::error::{Damage, Error, StoreError};
use super::store::CardHeader;

/// Consecutive wrong PINs that block a soft card.
pub const MAX_WRONG_PINS: u8 = 3;
/// Magic bytes at the start of every card record.
pub const MAGIC: [u8; 4] = *b"KWCD";
/// The record version this code writes (version 2: a flags byte after the
/// version). It also reads [`VERSION_1`].
pub const VERSION: u8 = 2;
/// The first record version (no flags byte), still read; a PIN change
/// rewrites such a card as version 2.
pub const VERSION_1: u8 = 1;
/// Flag bit: the card's Argon2id parameters are below
/// [`CARD_ARGON2_FLOOR`], written on purpose for a test or demo
/// ([`BackupOptions::weak_argon2_for_tests`](super::BackupOptions::weak_argon2_for_tests)).
pub const FLAG_WEAK_ARGON2_FOR_TESTS: u8 = 0x01;
/// Flag bit: the share is sealed under the appliance default PIN
/// [`DEFAULT_PIN`](super::DEFAULT_PIN) (cleared by a PIN change).
pub const FLAG_DEFAULT_PIN: u8 = 0x02;
/// The least Argon2id cost of a card PIN outside tests: OWASP's
/// (19,456 KiB, t = 2, p = 1). A card below it is written only with
/// [`SealParams::allow_weak_argon2`] and read by a recovery only after
/// [`CardRecovery::allow_weak_argon2_for_tests`](super::CardRecovery::allow_weak_argon2_for_tests).
pub const CARD_ARGON2_FLOOR: Argon2Params = Argon2Params::OWASP;

/// Whether `p` costs at least [`CARD_ARGON2_FLOOR`] (memory and passes).
pub const fn meets_card_floor(p: &Argon2Params) -> bool {
    p.m_cost_kib >= CARD_ARGON2_FLOOR.m_cost_kib && p.t_cost >= CARD_ARGON2_FLOOR.t_cost
}
/// Longest card label in bytes (printable ASCII).
pub const MAX_LABEL_LEN: usize = 64;
/// Length of the trailing checksum (SHA-256 of the record before it, truncated).
pub const CHECKSUM_LEN: usize = 8;
/// Length of the one share a card holds: the SLIP-0039 bytes form of a share
/// of a 32-byte secret (33 words). Cards hold backup keys of 32 bytes only;
/// a record sealing anything else is refused as damaged when parsed.
pub const SHARE_LEN: usize = 42;

/// Fixed-size part of the header after the label.
const FIXED_AFTER_LABEL: usize = 2 + 1 + 1 + 1 + Kcv::KEPT + 12 + SALT_LEN;

/// Checks a card label: 1 to 64 printable ASCII bytes.
pub(super) fn check_label(label: &str) -> Result<(), Error> {
    if label.is_empty()
        || label.len() > MAX_LABEL_LEN
        || !label.bytes().all(|b| (0x20..=0x7E).contains(&b))
    {
        return Err(Error::Label { len: label.len() });
    }
    Ok(())
}

/// What [`Card::seal`] needs to make a new card record.
#[derive(Clone, Copy)]
pub struct SealParams<'a> {
    /// The card's label (1 to 64 printable ASCII bytes).
    pub label: &'a str,
    /// The share to seal: one share of a 32-byte backup key.
    pub share: &'a slip39::Share,
    /// Cards in the set (n).
    pub shares: u8,
    /// The backup key's AES-CMAC KCV.
    pub kcv: &'a Kcv,
    /// Argon2id parameters of the PIN key.
    pub argon2: Argon2Params,
    /// A fresh random Argon2id salt.
    pub salt: [u8; SALT_LEN],
    /// The PIN the share is sealed under.
    pub pin: &'a [u8],
    /// Allow Argon2id parameters below [`CARD_ARGON2_FLOOR`] (tests and
    /// demos only): the card is then marked
    /// [`FLAG_WEAK_ARGON2_FOR_TESTS`].
    pub allow_weak_argon2: bool,
}

impl fmt::Debug for SealParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealParams")
            .field("label", &self.label)
            .field("shares", &self.shares)
            .field("kcv", &self.kcv)
            .field("argon2", &self.argon2)
            .field("allow_weak_argon2", &self.allow_weak_argon2)
            .finish_non_exhaustive()
    }
}

/// One card record: a SLIP-0039 share sealed under a PIN-derived key, with
/// its clear header and wrong-PIN counter. A value, not a store: the
/// counting of PIN tries is done by the [`CardStore`](super::CardStore)s
/// that keep records ([`MemoryCard`](super::MemoryCard), `FileCard`).
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    version: u8,
    flags: u8,
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
            .field("version", &self.version)
            .field("flags", &self.flags)
            .field("label", &self.label)
            .field("set_id", &self.set_id)
            .field("threshold", &self.threshold)
            .field("shares", &self.shares)
            .field("number", &self.number)
            .field("kcv", &self.kcv)
            .field("wrong_pins", &self.wrong_pins)
            .finish_non_exhaustive()
    }
}

impl Card {
    /// Seals a share into a new card record (counter 0).
    ///
    /// Refuses everything [`from_bytes`](Self::from_bytes) would refuse, so
    /// a sealed card always reads back.
    ///
    /// # Errors
    /// [`Error::Label`]; [`Error::ShareLength`] unless the share is one of a
    /// 32-byte secret; [`Error::Threshold`] unless 2 ≤ k ≤ n ≤ 16 and the
    /// share's number is at most n; [`Error::Argon2Floor`] for parameters
    /// below [`CARD_ARGON2_FLOOR`] without
    /// [`allow_weak_argon2`](SealParams::allow_weak_argon2);
    /// [`StoreError::Argon2`] (as [`Error::Card`]).
    pub fn seal(p: &SealParams<'_>) -> Result<Self, Error> {
        check_label(p.label)?;
        let bytes = Zeroizing::new(p.share.to_bytes());
        if bytes.len() != SHARE_LEN {
            return Err(Error::ShareLength { found: bytes.len() });
        }
        let threshold = p.share.member_threshold();
        let number = p.share.member_index().saturating_add(1);
        if !(2..=16).contains(&threshold)
            || !(threshold..=16).contains(&p.shares)
            || number > p.shares
        {
            return Err(Error::Threshold {
                k: threshold,
                n: p.shares,
            });
        }
        p.argon2.validate().map_err(|_| StoreError::Argon2)?;
        let weak = !meets_card_floor(&p.argon2);
        if weak && !p.allow_weak_argon2 {
            return Err(Error::Argon2Floor { found: p.argon2 });
        }
        let mut card = Self {
            version: VERSION,
            flags: flags_for(weak, p.pin),
            label: String::from(p.label),
            set_id: p.share.identifier(),
            threshold,
            shares: p.shares,
            number,
            kcv: Kcv::from_bytes(KcvMethod::Cmac, *p.kcv.bytes()),
            argon2: p.argon2,
            salt: p.salt,
            wrong_pins: 0,
            sealed: Vec::new(),
        };
        card.sealed = crypto::seal(&card.argon2, &card.salt, &card.header(), &bytes, p.pin)?;
        Ok(card)
    }

    /// The header: every byte before the counter, the associated data of
    /// the seal. Version 1 has no flags byte.
    fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(7 + self.label.len() + FIXED_AFTER_LABEL);
        h.extend_from_slice(&MAGIC);
        h.push(self.version);
        if self.version != VERSION_1 {
            h.push(self.flags);
        }
        // `check_label` (at seal and parse) keeps the length within 1..=64.
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

    /// Opens the seal with `pin` (Argon2id, then AES-256-SIV) without
    /// touching the counter: `None` for a wrong PIN.
    pub(super) fn unseal(&self, pin: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        crypto::open(&self.argon2, &self.salt, &self.header(), &self.sealed, pin)
    }

    /// Re-seals `share` under `pin` with a new salt (a PIN change), as a
    /// version 2 record whose default-PIN flag follows the new PIN.
    pub(super) fn reseal(
        &mut self,
        share: &[u8],
        pin: &[u8],
        salt: [u8; SALT_LEN],
    ) -> Result<(), StoreError> {
        let mut next = self.clone();
        next.version = VERSION;
        next.flags = flags_for(self.is_weak_argon2(), pin);
        next.salt = salt;
        next.sealed = crypto::seal(&next.argon2, &next.salt, &next.header(), share, pin)?;
        *self = next;
        Ok(())
    }

    pub(super) const fn set_wrong_pins(&mut self, n: u8) {
        self.wrong_pins = if n > MAX_WRONG_PINS {
            MAX_WRONG_PINS
        } else {
            n
        };
    }

    /// The card's public header, as [`CardStore::read_header`](super::CardStore::read_header)
    /// reports it.
    pub fn public_header(&self) -> CardHeader {
        CardHeader {
            label: self.label.clone(),
            set_id: self.set_id,
            threshold: self.threshold,
            shares: self.shares,
            number: self.number,
            kcv: self.kcv,
            tries_left: super::TriesLeft::Count(self.tries_left()),
            argon2: Some(self.argon2),
            weak_argon2: self.is_weak_argon2(),
            default_pin: self.has_default_pin(),
        }
    }

    /// The record version (1 or 2).
    pub const fn version(&self) -> u8 {
        self.version
    }
    /// The flags byte (version 2; 0 for version 1).
    pub const fn flags(&self) -> u8 {
        self.flags
    }
    /// Whether the PIN key's Argon2id parameters are below
    /// [`CARD_ARGON2_FLOOR`] (a card for tests).
    pub const fn is_weak_argon2(&self) -> bool {
        !meets_card_floor(&self.argon2)
    }
    /// Whether the share is sealed under the default PIN: `Some` for a
    /// version 2 record, `None` for version 1 (not recorded).
    pub const fn has_default_pin(&self) -> Option<bool> {
        if self.version == VERSION_1 {
            None
        } else {
            Some(self.flags & FLAG_DEFAULT_PIN != 0)
        }
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
    /// The backup key's KCV (AES-CMAC, five bytes kept).
    pub const fn kcv(&self) -> &Kcv {
        &self.kcv
    }
    /// All five stored KCV bytes of the backup key (AES-CMAC KCV).
    pub const fn kcv_bytes(&self) -> &[u8; Kcv::KEPT] {
        self.kcv.bytes()
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
        // `seal`/`from_bytes` keep the sealed length at TAG_LEN + SHARE_LEN.
        out.push(u8::try_from(self.sealed.len()).unwrap_or(0));
        out.extend_from_slice(&self.sealed);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(sum.get(..CHECKSUM_LEN).unwrap_or(&[]));
        out
    }

    /// Parses a record.
    ///
    /// # Errors
    /// [`StoreError::Damaged`] naming what is wrong (among them a sealed
    /// share that is not one of a 32-byte key, [`Damage::SealedLength`]),
    /// [`StoreError::Version`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let dmg = StoreError::Damaged;
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
        let flags = match version {
            VERSION_1 => 0,
            VERSION => r.u8().ok_or(dmg(Damage::Length))?,
            found => return Err(StoreError::Version { found }),
        };
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
        let sealed_len = r.u8().ok_or(dmg(Damage::Length))?;
        let sealed = r.take(usize::from(sealed_len)).ok_or(dmg(Damage::Length))?;
        if !r.0.is_empty() {
            return Err(dmg(Damage::Length));
        }
        if !(2..=16).contains(&threshold)
            || !(threshold..=16).contains(&shares)
            || !(1..=shares).contains(&number)
            || set_id > 0x7FFF
            || wrong_pins > MAX_WRONG_PINS
        {
            return Err(dmg(Damage::Field));
        }
        if usize::from(sealed_len) != TAG_LEN + SHARE_LEN {
            return Err(dmg(Damage::SealedLength { found: sealed_len }));
        }
        let argon2 = Argon2Params {
            m_cost_kib: m,
            t_cost: t,
            p_cost: p,
        };
        argon2.validate().map_err(|_| dmg(Damage::Field))?;
        // Version 2: only the two known flags, and the weak flag exactly
        // when the parameters are below the floor.
        let known = FLAG_WEAK_ARGON2_FOR_TESTS | FLAG_DEFAULT_PIN;
        if version == VERSION
            && (flags & !known != 0
                || (flags & FLAG_WEAK_ARGON2_FOR_TESTS != 0) == meets_card_floor(&argon2))
        {
            return Err(dmg(Damage::Flags { found: flags }));
        }
        Ok(Self {
            version,
            flags,
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

/// The flags byte of a new record: weak Argon2 as given, default PIN when
/// `pin` is [`DEFAULT_PIN`](super::DEFAULT_PIN) (compared in constant time).
fn flags_for(weak: bool, pin: &[u8]) -> u8 {
    let default = bool::from(pin.ct_eq(super::DEFAULT_PIN));
    (if weak { FLAG_WEAK_ARGON2_FOR_TESTS } else { 0 }) | if default { FLAG_DEFAULT_PIN } else { 0 }
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
