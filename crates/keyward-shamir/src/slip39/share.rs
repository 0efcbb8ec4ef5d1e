//! One SLIP-0039 share: its fields, its mnemonic and its packed bytes form.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::words;
use crate::error::{Error, Result};

/// Words before the share value: id+ext+e (2) and GI/Gt/g/I/t (2).
const HEADER_WORDS: usize = 4;
/// Checksum words.
const CHECKSUM_WORDS: usize = 3;
/// Words that are not the share value.
const METADATA_WORDS: usize = HEADER_WORDS + CHECKSUM_WORDS;
/// A 128-bit secret: 20 words.
pub(crate) const MIN_WORDS: usize = 20;
/// A 256-byte secret (the most keyward accepts): 2048 bits + 2 padding = 205 words.
pub(crate) const MAX_WORDS: usize = METADATA_WORDS + (super::MAX_SECRET_BYTES * 8).div_ceil(10);

/// One SLIP-0039 share.
///
/// The numeric fields are public (they are printed on the share in the
/// clear); the share value is private, zeroized on drop and redacted in
/// `Debug`. Thresholds and counts are the real values (1..=16), not the
/// standard's minus-one encoding.
#[derive(Clone)]
pub struct Share {
    pub(crate) identifier: u16,
    pub(crate) extendable: bool,
    pub(crate) iteration_exponent: u8,
    pub(crate) group_index: u8,
    pub(crate) group_threshold: u8,
    pub(crate) group_count: u8,
    pub(crate) member_index: u8,
    pub(crate) member_threshold: u8,
    pub(crate) value: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("identifier", &self.identifier)
            .field("extendable", &self.extendable)
            .field("iteration_exponent", &self.iteration_exponent)
            .field("group_index", &self.group_index)
            .field("group_threshold", &self.group_threshold)
            .field("group_count", &self.group_count)
            .field("member_index", &self.member_index)
            .field("member_threshold", &self.member_threshold)
            .field("value", &"[REDACTED]")
            .finish()
    }
}

impl PartialEq for Share {
    fn eq(&self, other: &Self) -> bool {
        self.same_header(other) && bool::from(self.value.as_slice().ct_eq(other.value.as_slice()))
    }
}

impl Eq for Share {}

/// Writes bits big-endian into 10-bit words.
struct WordWriter {
    words: Zeroizing<Vec<u16>>,
    acc: u32,
    bits: u32,
}

impl WordWriter {
    fn new(capacity: usize) -> Self {
        Self {
            words: Zeroizing::new(Vec::with_capacity(capacity)),
            acc: 0,
            bits: 0,
        }
    }

    /// Appends the low `n` (≤ 16) bits of `v`.
    fn put(&mut self, v: u32, n: u32) {
        self.acc = (self.acc << n) | (v & ((1 << n) - 1));
        self.bits += n;
        while self.bits >= 10 {
            self.bits -= 10;
            let w = (self.acc >> self.bits) & 1023;
            self.words.push(u16::try_from(w).unwrap_or(0));
        }
        self.acc &= (1 << self.bits) - 1;
    }
}

impl Drop for WordWriter {
    fn drop(&mut self) {
        self.acc.zeroize();
    }
}

impl Share {
    /// The 15-bit identifier shared by all shares of a set.
    pub const fn identifier(&self) -> u16 {
        self.identifier
    }
    /// The extendable backup flag.
    pub const fn extendable(&self) -> bool {
        self.extendable
    }
    /// The iteration exponent e (PBKDF2 runs 10000 × 2^e iterations in all).
    pub const fn iteration_exponent(&self) -> u8 {
        self.iteration_exponent
    }
    /// The group index (0-based, as in the standard).
    pub const fn group_index(&self) -> u8 {
        self.group_index
    }
    /// Groups needed to recover the secret.
    pub const fn group_threshold(&self) -> u8 {
        self.group_threshold
    }
    /// Number of groups.
    pub const fn group_count(&self) -> u8 {
        self.group_count
    }
    /// The member index (0-based, as in the standard).
    pub const fn member_index(&self) -> u8 {
        self.member_index
    }
    /// Member shares needed to recover this share's group.
    pub const fn member_threshold(&self) -> u8 {
        self.member_threshold
    }
    /// Length of the share value in bytes (the secret's length).
    pub fn value_len(&self) -> usize {
        self.value.len()
    }

    pub(crate) fn same_header(&self, o: &Self) -> bool {
        self.identifier == o.identifier
            && self.extendable == o.extendable
            && self.iteration_exponent == o.iteration_exponent
            && self.group_index == o.group_index
            && self.group_threshold == o.group_threshold
            && self.group_count == o.group_count
            && self.member_index == o.member_index
            && self.member_threshold == o.member_threshold
    }

    /// The share as 10-bit word indices (data words then checksum).
    pub fn to_indices(&self) -> Zeroizing<Vec<u16>> {
        let value_bits = self.value.len() * 8;
        let padding = (10 - value_bits % 10) % 10;
        let total = HEADER_WORDS + (value_bits + padding) / 10 + CHECKSUM_WORDS;
        let mut w = WordWriter::new(total);
        w.put(u32::from(self.identifier), 15);
        w.put(u32::from(self.extendable), 1);
        w.put(u32::from(self.iteration_exponent), 4);
        w.put(u32::from(self.group_index), 4);
        w.put(u32::from(self.group_threshold.saturating_sub(1)), 4);
        w.put(u32::from(self.group_count.saturating_sub(1)), 4);
        w.put(u32::from(self.member_index), 4);
        w.put(u32::from(self.member_threshold.saturating_sub(1)), 4);
        for _ in 0..padding {
            w.put(0, 1);
        }
        for &b in self.value.iter() {
            w.put(u32::from(b), 8);
        }
        let checksum = words::create(self.extendable, &w.words);
        let mut out = core::mem::take(&mut w.words);
        out.extend_from_slice(&checksum);
        out
    }

    /// The share as a mnemonic: words separated by single spaces.
    pub fn to_mnemonic(&self) -> Zeroizing<String> {
        let idx = self.to_indices();
        let mut s = Zeroizing::new(String::with_capacity(idx.len() * 9));
        for (n, &i) in idx.iter().enumerate() {
            if n > 0 {
                s.push(' ');
            }
            s.push_str(words::word(i));
        }
        s
    }

    /// The bytes form for smart cards: the mnemonic's bit string (10 bits per
    /// word, big-endian) packed into bytes, the last byte padded with zero
    /// bits. 25 bytes for a 128-bit secret, 42 bytes for a 256-bit one.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let idx = self.to_indices();
        let mut out = Zeroizing::new(Vec::with_capacity((idx.len() * 10).div_ceil(8)));
        let mut acc: u32 = 0;
        let mut bits: u32 = 0;
        for &w in idx.iter() {
            acc = (acc << 10) | u32::from(w);
            bits += 10;
            while bits >= 8 {
                bits -= 8;
                out.push(u8::try_from((acc >> bits) & 0xFF).unwrap_or(0));
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(u8::try_from((acc << (8 - bits)) & 0xFF).unwrap_or(0));
        }
        acc.zeroize();
        out
    }

    /// Parses a mnemonic (words separated by whitespace, any case; a word may
    /// be abbreviated to its first four letters). `share` is the 1-based
    /// number used in errors.
    ///
    /// # Errors
    /// [`Error::UnknownWord`], then as [`Share::from_indices`].
    pub fn from_mnemonic(text: &str, share: usize) -> Result<Self> {
        let mut idx = Zeroizing::new(Vec::new());
        for (position, token) in (1usize..).zip(text.split_whitespace()) {
            let i = words::index_of(token).ok_or(Error::UnknownWord { share, position })?;
            idx.push(i);
        }
        Self::from_indices(&idx, share)
    }

    /// Parses the packed bytes form (see [`Share::to_bytes`]).
    ///
    /// # Errors
    /// [`Error::BytesFormat`] for a length that is not a whole number of
    /// words plus fewer than 8 padding bits, or non-zero padding bits; then as
    /// [`Share::from_indices`].
    pub fn from_bytes(bytes: &[u8], share: usize) -> Result<Self> {
        let bad = Error::BytesFormat {
            share,
            found: bytes.len(),
        };
        let total_bits = bytes.len().checked_mul(8).ok_or(bad)?;
        let n_words = total_bits / 10;
        let pad = total_bits - n_words * 10;
        if pad >= 8 {
            return Err(bad);
        }
        let mut idx = Zeroizing::new(Vec::with_capacity(n_words));
        let mut acc: u32 = 0;
        let mut bits: u32 = 0;
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            if bits >= 10 {
                bits -= 10;
                idx.push(u16::try_from((acc >> bits) & 1023).unwrap_or(0));
            }
            acc &= (1 << bits) - 1;
        }
        let trailing_nonzero = acc != 0;
        acc.zeroize();
        if trailing_nonzero {
            return Err(bad);
        }
        Self::from_indices(&idx, share)
    }

    /// Parses 10-bit word indices.
    ///
    /// # Errors
    /// [`Error::MnemonicLength`], [`Error::Checksum`] (with the word position
    /// a single error would explain, if any), [`Error::GroupThresholdAboveCount`],
    /// [`Error::Padding`].
    pub fn from_indices(idx: &[u16], share: usize) -> Result<Self> {
        let n = idx.len();
        if !(MIN_WORDS..=MAX_WORDS).contains(&n) || idx.iter().any(|&w| w > 1023) {
            return Err(Error::MnemonicLength { share, words: n });
        }
        let value_words = n - METADATA_WORDS;
        let padding = (10 * value_words) % 16;
        if padding > 8 {
            return Err(Error::MnemonicLength { share, words: n });
        }
        let w = |i: usize| u32::from(idx.get(i).copied().unwrap_or(0));
        let extendable = (w(1) >> 4) & 1 == 1;
        if !words::verify(extendable, idx) {
            return Err(Error::Checksum {
                share,
                word: words::locate_error(idx).map(|p| p + 1),
            });
        }
        // 40 header bits: words 0..4.
        let header = (u64::from(w(0)) << 30)
            | (u64::from(w(1)) << 20)
            | (u64::from(w(2)) << 10)
            | u64::from(w(3));
        let field = |shift: u32, bits: u32| {
            u8::try_from((header >> shift) & ((1 << bits) - 1)).unwrap_or(0)
        };
        let identifier = u16::try_from(header >> 25).unwrap_or(0);
        let iteration_exponent = field(20, 4);
        let group_index = field(16, 4);
        let group_threshold = field(12, 4) + 1;
        let group_count = field(8, 4) + 1;
        let member_index = field(4, 4);
        let member_threshold = field(0, 4) + 1;
        if group_count < group_threshold {
            return Err(Error::GroupThresholdAboveCount {
                share,
                threshold: usize::from(group_threshold),
                count: usize::from(group_count),
            });
        }
        // Share value: the bits of words 4..n-3, `padding` leading zero bits.
        let mut value = Zeroizing::new(Vec::with_capacity(value_words * 10 / 8));
        let mut acc: u32 = 0;
        let mut bits: u32 = 0;
        let mut to_skip = u32::try_from(padding).unwrap_or(0);
        let mut pad_bits_nonzero = false;
        for &word in idx
            .get(HEADER_WORDS..n - CHECKSUM_WORDS)
            .unwrap_or_default()
        {
            acc = (acc << 10) | u32::from(word);
            bits += 10;
            if to_skip > 0 {
                bits -= to_skip;
                pad_bits_nonzero = (acc >> bits) != 0;
                acc &= (1 << bits) - 1;
                to_skip = 0;
            }
            while bits >= 8 {
                bits -= 8;
                value.push(u8::try_from((acc >> bits) & 0xFF).unwrap_or(0));
            }
            acc &= (1 << bits) - 1;
        }
        acc.zeroize();
        if pad_bits_nonzero {
            return Err(Error::Padding { share });
        }
        Ok(Self {
            identifier,
            extendable,
            iteration_exponent,
            group_index,
            group_threshold,
            group_count,
            member_index,
            member_threshold,
            value,
        })
    }
}
