//! The share record a token holds (`docs/formats.md`, "keyward-pkcs11: a
//! backup-key share on a token"): `KWTS` version 1 bytes ↔ [`ShareRecord`].
//!
//! A token holding card i of a set keeps two data objects, both with
//! `CKA_APPLICATION` [`APPLICATION`] and `CKA_LABEL` [`object_label`]: a
//! private one (`CKA_PRIVATE` true, readable only after login) with the
//! [`Kind::Share`] record, and a public one with the [`Kind::Header`]
//! record (no share bytes), so that `card info` works without a PIN. The
//! token's user PIN protects the share; the record itself is not
//! encrypted.

use std::fmt;

use keyward::backup::{Damage, MAX_LABEL_LEN, SHARE_LEN, StoreError};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Magic bytes at the start of every share record.
pub const MAGIC: [u8; 4] = *b"KWTS";
/// The record version this code writes and reads.
pub const VERSION: u8 = 1;
/// `CKA_APPLICATION` of keyward's data objects.
pub const APPLICATION: &str = "keyward";
/// Length of the trailing checksum (SHA-256 of the bytes before it, truncated).
pub const CHECKSUM_LEN: usize = 8;
/// Length of the KCV field (AES-CMAC KCV, five bytes kept).
pub const KCV_LEN: usize = 5;

/// Which of the two objects a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `0x01`: the public header (no share bytes).
    Header,
    /// `0x02`: the private share.
    Share,
}

impl Kind {
    const fn byte(self) -> u8 {
        match self {
            Self::Header => 1,
            Self::Share => 2,
        }
    }
}

/// One record: the card's public fields, and for [`Kind::Share`] the
/// share's SLIP-0039 bytes form (42 bytes). `Debug` never shows the share.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// The card's label (1 to 64 printable ASCII bytes).
    pub label: String,
    /// SLIP-0039 identifier of the share set (0..=0x7FFF).
    pub set_id: u16,
    /// Cards needed (k, 2..=16).
    pub threshold: u8,
    /// Cards in the set (n, k..=16).
    pub shares: u8,
    /// This card's number (1..=n).
    pub number: u8,
    /// The backup key's AES-CMAC KCV, five bytes.
    pub kcv: [u8; KCV_LEN],
    /// The share bytes ([`Kind::Share`] only).
    pub share: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for ShareRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareRecord")
            .field("label", &self.label)
            .field("set_id", &self.set_id)
            .field("threshold", &self.threshold)
            .field("shares", &self.shares)
            .field("number", &self.number)
            .field("kcv", &self.kcv)
            .field("share", &self.share.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `CKA_LABEL` of both objects of card `number` of `shares` in set `set_id`:
/// `keyward set 1A2B card 1 of 3`.
pub fn object_label(set_id: u16, number: u8, shares: u8) -> String {
    format!("keyward set {set_id:04X} card {number} of {shares}")
}

impl ShareRecord {
    /// The kind of this record.
    pub const fn kind(&self) -> Kind {
        if self.share.is_some() {
            Kind::Share
        } else {
            Kind::Header
        }
    }

    /// The same fields without the share (the public object's record).
    pub fn header(&self) -> Self {
        Self {
            share: None,
            ..self.clone()
        }
    }

    /// Whether two records describe the same card (every field but the share).
    pub fn same_card(&self, other: &Self) -> bool {
        self.label == other.label
            && self.set_id == other.set_id
            && self.threshold == other.threshold
            && self.shares == other.shares
            && self.number == other.number
            && bool::from(self.kcv.ct_eq(&other.kcv))
    }

    /// `CKA_LABEL` of this card's objects.
    pub fn object_label(&self) -> String {
        object_label(self.set_id, self.number, self.shares)
    }

    /// The record's bytes (`docs/formats.md`). Wiped on drop (a share
    /// record holds the share).
    ///
    /// # Errors
    /// [`StoreError::Damaged`] when a field is out of range (the same checks
    /// as parsing), so no unreadable record is ever written.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.check()?;
        let label_len =
            u8::try_from(self.label.len()).map_err(|_| StoreError::Damaged(Damage::Label))?;
        let mut out = Zeroizing::new(Vec::with_capacity(80 + SHARE_LEN));
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.kind().byte());
        out.push(label_len);
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(&self.set_id.to_be_bytes());
        out.push(self.threshold);
        out.push(self.shares);
        out.push(self.number);
        out.extend_from_slice(&self.kcv);
        if let Some(share) = &self.share {
            out.push(u8::try_from(share.len()).map_err(|_| StoreError::Damaged(Damage::Share))?);
            out.extend_from_slice(share);
        }
        let sum = Sha256::digest(out.as_slice());
        out.extend_from_slice(sum.get(..CHECKSUM_LEN).unwrap_or(&[]));
        Ok(out)
    }

    fn check(&self) -> Result<(), StoreError> {
        let label_ok = !self.label.is_empty()
            && self.label.len() <= MAX_LABEL_LEN
            && self.label.bytes().all(|b| (0x20..=0x7E).contains(&b));
        if !label_ok {
            return Err(StoreError::Damaged(Damage::Label));
        }
        if !(2..=16).contains(&self.threshold)
            || !(self.threshold..=16).contains(&self.shares)
            || !(1..=self.shares).contains(&self.number)
            || self.set_id > 0x7FFF
        {
            return Err(StoreError::Damaged(Damage::Field));
        }
        if self.share.as_ref().is_some_and(|s| s.len() != SHARE_LEN) {
            return Err(StoreError::Damaged(Damage::Share));
        }
        Ok(())
    }

    /// Parses a record, which must be of kind `expected`.
    ///
    /// # Errors
    /// [`StoreError::Damaged`] naming what is wrong ([`Damage::Magic`] for
    /// another magic or kind, [`Damage::Checksum`], [`Damage::Length`],
    /// [`Damage::Label`], [`Damage::Field`], [`Damage::Share`] for a share of
    /// another length than 42 bytes); [`StoreError::Version`].
    pub fn from_bytes(bytes: &[u8], expected: Kind) -> Result<Self, StoreError> {
        let dmg = StoreError::Damaged;
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(dmg(Damage::Magic));
        }
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
            return Err(StoreError::Version { found: version });
        }
        let kind = r.u8().ok_or(dmg(Damage::Length))?;
        if kind != expected.byte() {
            return Err(dmg(Damage::Magic));
        }
        let label_len = usize::from(r.u8().ok_or(dmg(Damage::Length))?);
        let label = r.take(label_len).ok_or(dmg(Damage::Length))?;
        let label = std::str::from_utf8(label).map_err(|_| dmg(Damage::Label))?;
        let set_id = u16::from_be_bytes(r.array().ok_or(dmg(Damage::Length))?);
        let threshold = r.u8().ok_or(dmg(Damage::Length))?;
        let shares = r.u8().ok_or(dmg(Damage::Length))?;
        let number = r.u8().ok_or(dmg(Damage::Length))?;
        let kcv = r.array().ok_or(dmg(Damage::Length))?;
        let share = if expected == Kind::Share {
            let len = usize::from(r.u8().ok_or(dmg(Damage::Length))?);
            let s = r.take(len).ok_or(dmg(Damage::Length))?;
            Some(Zeroizing::new(s.to_vec()))
        } else {
            None
        };
        if !r.0.is_empty() {
            return Err(dmg(Damage::Length));
        }
        let record = Self {
            label: label.to_owned(),
            set_id,
            threshold,
            shares,
            number,
            kcv,
            share,
        };
        record.check()?;
        Ok(record)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn record(share: bool) -> ShareRecord {
        ShareRecord {
            label: "backup card 1 of 3".into(),
            set_id: 0x1A2B,
            threshold: 2,
            shares: 3,
            number: 1,
            kcv: [0x1A, 0x0B, 0x2D, 0x01, 0x02],
            share: share.then(|| Zeroizing::new(vec![0x5A; SHARE_LEN])),
        }
    }

    #[test]
    fn debug_redacts_the_share() {
        let shown = format!("{:?}", record(true));
        assert!(
            shown.contains("<redacted>") && !shown.contains("90"),
            "{shown}"
        );
    }

    #[test]
    fn a_header_is_not_a_share_and_back() {
        let h = record(false).to_bytes().unwrap();
        let e = ShareRecord::from_bytes(&h, Kind::Share).unwrap_err();
        assert!(matches!(e, StoreError::Damaged(Damage::Magic)), "{e}");
        let s = record(true).to_bytes().unwrap();
        assert!(ShareRecord::from_bytes(&s, Kind::Header).is_err());
        assert_eq!(
            ShareRecord::from_bytes(&s, Kind::Share).unwrap(),
            record(true)
        );
    }

    #[test]
    fn out_of_range_fields_are_refused_on_writing() {
        let mut r = record(true);
        r.number = 4;
        assert!(matches!(
            r.to_bytes(),
            Err(StoreError::Damaged(Damage::Field))
        ));
        let mut r = record(true);
        r.share = Some(Zeroizing::new(vec![0; 41]));
        assert!(matches!(
            r.to_bytes(),
            Err(StoreError::Damaged(Damage::Share))
        ));
        let mut r = record(false);
        r.label = "é".into();
        assert!(matches!(
            r.to_bytes(),
            Err(StoreError::Damaged(Damage::Label))
        ));
    }

    proptest! {
        #[test]
        fn round_trip(set_id in 0u16..=0x7FFF, k in 2u8..=16, extra in 0u8..=14, pick in any::<u8>(),
                      kcv in any::<[u8; 5]>(), share in proptest::collection::vec(any::<u8>(), SHARE_LEN),
                      label in "[ -~]{1,64}") {
            let n = k.saturating_add(extra).min(16);
            let r = ShareRecord { label, set_id, threshold: k, shares: n, number: pick % n + 1, kcv,
                                  share: Some(Zeroizing::new(share)) };
            let bytes = r.to_bytes().unwrap();
            prop_assert_eq!(ShareRecord::from_bytes(&bytes, Kind::Share).unwrap(), r.clone());
            let h = r.header().to_bytes().unwrap();
            prop_assert_eq!(ShareRecord::from_bytes(&h, Kind::Header).unwrap(), r.header());
        }

        #[test]
        fn any_flipped_bit_is_refused(pos in any::<usize>(), bit in 0u8..8) {
            let mut bytes = record(true).to_bytes().unwrap().to_vec();
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            prop_assert!(ShareRecord::from_bytes(&bytes, Kind::Share).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = ShareRecord::from_bytes(&bytes, Kind::Share);
            let _ = ShareRecord::from_bytes(&bytes, Kind::Header);
        }
    }
}
