//! The deployment's inputs: derive vector, storage derive key, static key and
//! static IV.
//!
//! * [`DeriveVector`] — a public integer `0..=0x7FFFFFFF` that makes the
//!   database key the deployment's own (tenant separation, not secrecy).
//! * [`StorageDeriveKey`] — a 32-byte secret, usually handled as eight 32-bit
//!   parameters `StorageDeriveKey1..StorageDeriveKey8` (big-endian).
//! * [`StaticKey`] — the 32-byte HKDF salt. The built-in default is public.
//! * [`StaticIv`] — 16 bytes mixed into every per-record key. Public.

use core::fmt;

use keyward_core::{HashKey, Purpose, SecretBytes};
use subtle::{Choice, ConstantTimeEq};
use zeroize::ZeroizeOnDrop;

use crate::error::{Error, Result};

// ---------------------------------------------------------------- DeriveVector

/// A derive vector: an integer `0..=0x7FFFFFFF`, public.
///
/// On its own (with the public default static key) it separates tenants:
/// BLOBs of one deployment do not open in another. It is not a secret and
/// gives no confidentiality; see [`StaticKey`] and [`StorageDeriveKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DeriveVector(u32);

impl DeriveVector {
    /// The largest derive vector.
    pub const MAX: u32 = 0x7FFF_FFFF;

    /// Derive vector 0.
    pub const ZERO: Self = Self(0);

    /// Checks the range.
    ///
    /// # Errors
    /// [`Error::DeriveVectorRange`] for `0x80000000` and above.
    pub const fn new(value: u32) -> Result<Self> {
        if value > Self::MAX {
            Err(Error::DeriveVectorRange {
                found: Some(value as u64),
            })
        } else {
            Ok(Self(value))
        }
    }

    /// The value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The 4 big-endian bytes used in the derivation.
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }

    /// Parses decimal (`42`) or hexadecimal with a `0x`/`0X` prefix
    /// (`0x2A`); surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`Error::DeriveVectorFormat`] with the first bad character and its
    /// position, [`Error::DeriveVectorRange`] for values above `0x7FFFFFFF`.
    pub fn parse(text: &str) -> Result<Self> {
        let lead = text.chars().take_while(|c| c.is_whitespace()).count();
        let trimmed = text.trim();
        let value = parse_number(trimmed).map_err(|bad| match bad {
            NumberError::Empty => Error::DeriveVectorFormat {
                position: 0,
                character: ' ',
            },
            NumberError::Char {
                position,
                character,
            } => Error::DeriveVectorFormat {
                position: position.saturating_add(lead),
                character,
            },
            NumberError::Overflow => Error::DeriveVectorRange { found: None },
        })?;
        match u32::try_from(value) {
            Ok(v) if v <= Self::MAX => Ok(Self(v)),
            _ => Err(Error::DeriveVectorRange { found: Some(value) }),
        }
    }
}

impl fmt::Display for DeriveVector {
    /// `0x` and eight uppercase hex digits, e.g. `0x0000002A`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

impl core::str::FromStr for DeriveVector {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<u32> for DeriveVector {
    type Error = Error;
    fn try_from(v: u32) -> Result<Self> {
        Self::new(v)
    }
}

enum NumberError {
    Empty,
    /// 1-based position within the trimmed text.
    Char {
        position: usize,
        character: char,
    },
    Overflow,
}

/// Decimal or `0x` hex into a u64 (variable time: for public values).
fn parse_number(text: &str) -> core::result::Result<u64, NumberError> {
    let (digits, radix, skip) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(rest) => (rest, 16u32, 2usize),
        None => (text, 10u32, 0usize),
    };
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    if digits.is_empty() {
        // "0x" alone: the character after the prefix is missing.
        return Err(NumberError::Char {
            position: skip,
            character: 'x',
        });
    }
    let mut value: u64 = 0;
    for (position, c) in (skip.saturating_add(1)..).zip(digits.chars()) {
        let d = c.to_digit(radix).ok_or(NumberError::Char {
            position,
            character: c,
        })?;
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(NumberError::Overflow)?;
    }
    Ok(value)
}

// ------------------------------------------------------------ StorageDeriveKey

/// The 32-byte secret storage derive key.
///
/// Its parameter form is eight 32-bit words, big-endian: key bytes
/// `00 11 22 33 44 55 66 77 …` are `StorageDeriveKey1 = 0x00112233`,
/// `StorageDeriveKey2 = 0x44556677`, …
#[derive(Clone, PartialEq, Eq)]
pub struct StorageDeriveKey(SecretBytes<32>);

/// The parameter name prefix, `StorageDeriveKey`.
pub const PARAM_PREFIX: &str = "StorageDeriveKey";

impl StorageDeriveKey {
    /// Takes the 32 key bytes.
    pub const fn from_array(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::from_array(bytes))
    }

    /// Copies exactly 32 bytes.
    ///
    /// # Errors
    /// [`Error::Core`] with the lengths otherwise.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        Ok(Self(SecretBytes::from_slice(bytes)?))
    }

    /// From `StorageDeriveKey1..StorageDeriveKey8`, each big-endian.
    pub fn from_words(words: &[u32; 8]) -> Self {
        let mut bytes = [0u8; 32];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        let key = Self::from_array(bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        key
    }

    /// `StorageDeriveKey1..StorageDeriveKey8` (secret: wipe them after use).
    pub fn to_words(&self) -> zeroize::Zeroizing<[u32; 8]> {
        let mut words = zeroize::Zeroizing::new([0u32; 8]);
        for (word, chunk) in words.iter_mut().zip(self.0.expose_secret().chunks_exact(4)) {
            let mut be = [0u8; 4];
            be.copy_from_slice(chunk);
            *word = u32::from_be_bytes(be);
        }
        words
    }

    /// Parses 64 hex digits (any case, whitespace ignored), constant time.
    ///
    /// # Errors
    /// [`Error::Core`] naming the bad character or the digit count.
    pub fn from_hex(text: &str) -> Result<Self> {
        Ok(Self(SecretBytes::from_hex(text)?))
    }

    /// The key bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// Parses the parameter text form: eight lines `StorageDeriveKeyN = VALUE`
    /// in any order, each N in 1..=8 exactly once. VALUE is `0x` and 1 to 8
    /// hex digits (the canonical 8-digit form is decoded in constant time) or
    /// a decimal number below 2^32. Parameter names are matched ignoring
    /// ASCII case; blank lines and lines starting with `#` are ignored, and
    /// `:` is accepted in place of `=`.
    ///
    /// # Errors
    /// The first problem, by line: [`Error::ParamSyntax`],
    /// [`Error::ParamUnknown`], [`Error::ParamIndex`],
    /// [`Error::ParamRepeated`], [`Error::ParamValueFormat`],
    /// [`Error::ParamValueRange`]; then [`Error::ParamMissing`] for the lowest
    /// missing N. Values are never part of an error.
    pub fn parse_params(text: &str) -> Result<Self> {
        let mut words = zeroize::Zeroizing::new([0u32; 8]);
        let mut seen = [0usize; 8];
        for (line_no, line) in (1usize..).zip(text.lines()) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once(['=', ':']) else {
                return Err(Error::ParamSyntax { line: line_no });
            };
            let name = name.trim();
            let index = param_index(name, line_no)?;
            let slot = usize::from(index).saturating_sub(1);
            let first_line = seen.get(slot).copied().unwrap_or(0);
            if first_line != 0 {
                return Err(Error::ParamRepeated {
                    index,
                    first_line,
                    line: line_no,
                });
            }
            let word = param_value(value.trim(), index, line_no)?;
            if let (Some(w), Some(s)) = (words.get_mut(slot), seen.get_mut(slot)) {
                *w = word;
                *s = line_no;
            }
        }
        for (n, s) in (1u8..).zip(seen) {
            if s == 0 {
                return Err(Error::ParamMissing { index: n });
            }
        }
        Ok(Self::from_words(&words))
    }

    /// Writes the parameter text form: eight lines
    /// `StorageDeriveKeyN = 0xXXXXXXXX` (uppercase hex), N = 1..8, each
    /// ending in `\n`. The output is secret.
    ///
    /// # Errors
    /// Whatever `out` returns.
    pub fn write_params<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let words = self.to_words();
        for (n, w) in (1u8..).zip(words.iter()) {
            writeln!(out, "{PARAM_PREFIX}{n} = 0x{w:08X}")?;
        }
        Ok(())
    }

    /// The parameter text form (see [`Self::write_params`]) in a string that
    /// is zeroized on drop.
    #[cfg(feature = "alloc")]
    pub fn to_params(&self) -> zeroize::Zeroizing<alloc::string::String> {
        let mut s = zeroize::Zeroizing::new(alloc::string::String::with_capacity(8 * 32));
        // Writing to a String cannot fail.
        let _ = self.write_params(&mut *s);
        s
    }

    /// Lowercase hex of the key, zeroized on drop.
    #[cfg(feature = "alloc")]
    pub fn expose_hex(&self) -> zeroize::Zeroizing<alloc::string::String> {
        self.0.expose_hex()
    }
}

/// N of `StorageDeriveKeyN`, checked to be 1..=8.
fn param_index(name: &str, line: usize) -> Result<u8> {
    let prefix_len = PARAM_PREFIX.len();
    let (Some(head), Some(tail)) = (name.get(..prefix_len), name.get(prefix_len..)) else {
        return Err(Error::ParamUnknown { line });
    };
    if !head.eq_ignore_ascii_case(PARAM_PREFIX)
        || tail.is_empty()
        || !tail.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Error::ParamUnknown { line });
    }
    let index = tail.bytes().fold(0u32, |acc, b| {
        acc.saturating_mul(10)
            .saturating_add(u32::from(b.wrapping_sub(b'0')))
    });
    match u8::try_from(index) {
        Ok(n @ 1..=8) => Ok(n),
        _ => Err(Error::ParamIndex { index, line }),
    }
}

/// A 32-bit parameter value: `0x` + 1..8 hex digits (8 digits: constant
/// time) or decimal (leading zeros allowed, still decimal).
fn param_value(value: &str, index: u8, line: usize) -> Result<u32> {
    let format = Error::ParamValueFormat { index, line };
    let range = Error::ParamValueRange { index, line };
    if let Some(hex) = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        // docs/formats.md: `0x` + 1..8 hex digits. More digits are refused:
        // out of range if the value needs them, malformed if they are only
        // leading zeros (`0x000000001`).
        if hex.len() > 8 {
            return match parse_number(value) {
                Ok(v) if v <= u64::from(u32::MAX) => Err(format),
                Ok(_) | Err(NumberError::Overflow) => Err(range),
                Err(_) => Err(format),
            };
        }
        if hex.len() == 8 {
            let mut be = [0u8; 4];
            keyward_core::hex::decode_into(hex, &mut be).map_err(|_| format)?;
            let word = u32::from_be_bytes(be);
            zeroize::Zeroize::zeroize(&mut be);
            return Ok(word);
        }
    }
    match parse_number(value) {
        Ok(v) => u32::try_from(v).map_err(|_| range),
        Err(NumberError::Overflow) => Err(range),
        Err(_) => Err(format),
    }
}

impl ConstantTimeEq for StorageDeriveKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl ZeroizeOnDrop for StorageDeriveKey {}

impl fmt::Debug for StorageDeriveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageDeriveKey([REDACTED])")
    }
}

impl core::str::FromStr for StorageDeriveKey {
    type Err = Error;
    /// 64 hex digits, or the eight-line parameter form if the text contains
    /// `StorageDeriveKey` (any case).
    fn from_str(s: &str) -> Result<Self> {
        let needle = PARAM_PREFIX.as_bytes();
        let is_params = s
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
        if is_params {
            Self::parse_params(s)
        } else {
            Self::from_hex(s)
        }
    }
}

// ------------------------------------------------------------------- StaticKey

/// The built-in default static key (32 ASCII bytes). It is public: with it,
/// the derive vector alone gives tenant separation, not secrecy.
pub const BUILTIN_STATIC_KEY: &[u8; 32] = b"keyward-blob-static-key-CHANGEME";

/// The built-in default static IV (16 ASCII bytes).
pub const BUILTIN_STATIC_IV: &[u8; 16] = b"keyward-blob-iv1";

/// The 32-byte static key: the HKDF salt of the database key.
///
/// The built-in default ([`BUILTIN_STATIC_KEY`]) is public. A deployment that
/// needs confidentiality supplies a secret static key — from the site HashKey
/// ([`StaticKey::from_hash_key`]), from an HSM, or from a file — and/or a
/// secret [`StorageDeriveKey`].
#[derive(Clone, PartialEq, Eq)]
pub struct StaticKey(SecretBytes<32>);

impl StaticKey {
    /// The public built-in default.
    pub const fn builtin_default() -> Self {
        Self(SecretBytes::from_array(*BUILTIN_STATIC_KEY))
    }

    /// The HashKey's `blob-static-key` purpose subkey
    /// ([`Purpose::BlobStaticKey`]).
    pub fn from_hash_key(hash_key: &HashKey) -> Self {
        Self(hash_key.subkey(Purpose::BlobStaticKey))
    }

    /// Takes 32 key bytes (e.g. exported from an HSM).
    pub const fn from_array(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::from_array(bytes))
    }

    /// Copies exactly 32 bytes.
    ///
    /// # Errors
    /// [`Error::Core`] with the lengths otherwise.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        Ok(Self(SecretBytes::from_slice(bytes)?))
    }

    /// Parses 64 hex digits (any case, whitespace ignored).
    ///
    /// # Errors
    /// [`Error::Core`] naming the bad character or the digit count.
    pub fn from_hex(text: &str) -> Result<Self> {
        Ok(Self(SecretBytes::from_hex(text)?))
    }

    /// Whether this is the public built-in default (constant time).
    pub fn is_builtin_default(&self) -> bool {
        self.0.expose_secret().ct_eq(BUILTIN_STATIC_KEY).into()
    }

    /// The key bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Default for StaticKey {
    fn default() -> Self {
        Self::builtin_default()
    }
}

impl ConstantTimeEq for StaticKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl ZeroizeOnDrop for StaticKey {}

impl fmt::Debug for StaticKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_builtin_default() {
            f.write_str("StaticKey(builtin default)")
        } else {
            f.write_str("StaticKey([REDACTED])")
        }
    }
}

// -------------------------------------------------------------------- StaticIv

/// The 16-byte static IV mixed into every per-record key. Not secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaticIv([u8; 16]);

impl StaticIv {
    /// The built-in default ([`BUILTIN_STATIC_IV`]).
    pub const fn builtin_default() -> Self {
        Self(*BUILTIN_STATIC_IV)
    }

    /// From 16 bytes.
    pub const fn from_array(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Parses 32 hex digits (any case, whitespace ignored).
    ///
    /// # Errors
    /// [`Error::Core`] naming the bad character or the digit count.
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut b = [0u8; 16];
        keyward_core::hex::decode_into(text, &mut b)?;
        Ok(Self(b))
    }

    /// The bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl Default for StaticIv {
    fn default() -> Self {
        Self::builtin_default()
    }
}

impl fmt::Debug for StaticIv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticIv(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

// The tests use the `alloc` conveniences (`seal`, `open`, `to_params`).
#[cfg(test)]
#[cfg(feature = "alloc")]
mod tests {
    extern crate std;
    use super::*;
    use std::borrow::ToOwned;
    use std::format;
    use std::string::{String, ToString};

    /// Eight parameter lines with word N given by `value(N)`.
    fn params_with(value: impl Fn(u8) -> String) -> String {
        (1u8..=8)
            .map(|n| format!("StorageDeriveKey{n} = {}\n", value(n)))
            .collect()
    }

    fn words_of(text: &str) -> [u32; 8] {
        *StorageDeriveKey::parse_params(text).unwrap().to_words()
    }

    // The lenient-input rules of docs/formats.md "keyward-blob", "Inputs",
    // one test each.

    #[test]
    fn lenient_derive_vector_uppercase_0x_prefix() {
        assert_eq!(DeriveVector::parse("0X2A").unwrap().get(), 42);
        assert_eq!(DeriveVector::parse("0X2a").unwrap().get(), 42);
    }

    #[test]
    fn lenient_derive_vector_leading_zeros_are_decimal() {
        // Not octal: 010 is ten.
        assert_eq!(DeriveVector::parse("010").unwrap().get(), 10);
        assert_eq!(DeriveVector::parse("0042").unwrap().get(), 42);
        // Hex may have any number of leading zeros (the value is public).
        assert_eq!(DeriveVector::parse("0x000000002A").unwrap().get(), 42);
    }

    #[test]
    fn lenient_derive_vector_surrounding_whitespace() {
        assert_eq!(DeriveVector::parse(" \t42\n").unwrap().get(), 42);
        assert!(matches!(
            DeriveVector::parse("4 2"),
            Err(Error::DeriveVectorFormat {
                position: 2,
                character: ' '
            })
        ));
        assert!(DeriveVector::parse("+42").is_err());
        assert!(DeriveVector::parse("0x").is_err());
    }

    #[test]
    fn lenient_param_index_leading_zeros() {
        let text =
            params_with(|n| format!("{n}")).replace("StorageDeriveKey1 ", "StorageDeriveKey01 ");
        assert_eq!(words_of(&text), [1, 2, 3, 4, 5, 6, 7, 8]);
        let text =
            params_with(|n| format!("{n}")).replace("StorageDeriveKey3 ", "StorageDeriveKey003 ");
        assert_eq!(words_of(&text)[2], 3);
        // 010 is N = 10, which does not exist.
        let text =
            params_with(|n| format!("{n}")).replace("StorageDeriveKey1 ", "StorageDeriveKey010 ");
        assert!(matches!(
            StorageDeriveKey::parse_params(&text),
            Err(Error::ParamIndex { index: 10, line: 1 })
        ));
    }

    #[test]
    fn lenient_param_name_case_and_separator() {
        let text = params_with(|n| format!("{n}"))
            .replace("StorageDeriveKey2 =", "STORAGEDERIVEKEY2 :")
            .replace("StorageDeriveKey5 = ", "storagederivekey5=");
        assert_eq!(words_of(&text), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn lenient_param_value_decimal_leading_zeros_and_short_hex() {
        let text = params_with(|n| format!("00{n}0"));
        assert_eq!(words_of(&text), [10, 20, 30, 40, 50, 60, 70, 80]);
        let text = params_with(|n| format!("0X{n}"));
        assert_eq!(words_of(&text), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn param_value_more_than_eight_hex_digits_is_refused() {
        // docs/formats.md: `0x` + 1..8 hex digits; nine, even with a leading
        // zero, is a malformed value (not shown in the error).
        let text = params_with(|n| format!("0x{n:08X}")).replace("0x00000004", "0x000000004");
        let e = StorageDeriveKey::parse_params(&text).unwrap_err();
        assert_eq!(e, Error::ParamValueFormat { index: 4, line: 4 });
        assert!(!format!("{e}").contains("000000004"));
        let text = params_with(|_| "0x000000001".to_owned());
        assert_eq!(
            StorageDeriveKey::parse_params(&text).unwrap_err(),
            Error::ParamValueFormat { index: 1, line: 1 }
        );
        // Eight digits is the canonical form.
        let text = params_with(|n| format!("0x{n:08X}"));
        assert_eq!(words_of(&text), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn derive_vector_decimal_hex_and_range() {
        assert_eq!(DeriveVector::parse("0").unwrap().get(), 0);
        assert_eq!(DeriveVector::parse(" 42\n").unwrap().get(), 42);
        assert_eq!(DeriveVector::parse("0x2a").unwrap().get(), 42);
        assert_eq!(
            DeriveVector::parse("0X7FFFFFFF").unwrap().get(),
            0x7FFF_FFFF
        );
        assert_eq!(
            DeriveVector::parse("2147483647").unwrap().get(),
            0x7FFF_FFFF
        );
        let e = DeriveVector::parse("0x80000000").unwrap_err();
        assert_eq!(
            e,
            Error::DeriveVectorRange {
                found: Some(0x8000_0000)
            }
        );
        assert_eq!(
            format!("{e}"),
            "derive vector 0x80000000 (2147483648) is out of range: expected 0x0..=0x7FFFFFFF (0..=2147483647)"
        );
        assert_eq!(
            DeriveVector::parse("2147483648").unwrap_err(),
            Error::DeriveVectorRange {
                found: Some(0x8000_0000)
            }
        );
        assert_eq!(
            DeriveVector::new(0x8000_0000).unwrap_err(),
            Error::DeriveVectorRange {
                found: Some(0x8000_0000)
            }
        );
        let e = DeriveVector::parse("0x1_0000_0000_0000_0000").unwrap_err();
        assert_eq!(
            e,
            Error::DeriveVectorFormat {
                position: 4,
                character: '_'
            }
        );
        let e = DeriveVector::parse("99999999999999999999999").unwrap_err();
        assert_eq!(e, Error::DeriveVectorRange { found: None });
        assert!(format!("{e}").contains("0x0..=0x7FFFFFFF"));
        assert_eq!(
            DeriveVector::parse("  12a").unwrap_err(),
            Error::DeriveVectorFormat {
                position: 5,
                character: 'a'
            }
        );
        assert_eq!(
            DeriveVector::parse("").unwrap_err(),
            Error::DeriveVectorFormat {
                position: 0,
                character: ' '
            }
        );
        assert_eq!(
            DeriveVector::parse("0x").unwrap_err(),
            Error::DeriveVectorFormat {
                position: 2,
                character: 'x'
            }
        );
        assert_eq!(
            DeriveVector::parse("-1").unwrap_err(),
            Error::DeriveVectorFormat {
                position: 1,
                character: '-'
            }
        );
        assert_eq!(DeriveVector::new(42).unwrap().to_string(), "0x0000002A");
    }

    /// The example of `docs/formats.md` "Storage derive key parameter form"
    /// (`docs/design.md#per-record-blob-protection`), exactly.
    #[test]
    fn storage_derive_key_words_are_big_endian() {
        let bytes = hex_literal::hex!(
            "00112233 44556677 8899aabb ccddeeff ffeeddcc bbaa9988 77665544 33221100"
        );
        let words = [
            0x0011_2233,
            0x4455_6677,
            0x8899_aabb,
            0xccdd_eeff,
            0xffee_ddcc,
            0xbbaa_9988,
            0x7766_5544,
            0x3322_1100,
        ];
        let from_bytes = StorageDeriveKey::from_array(bytes);
        let from_words = StorageDeriveKey::from_words(&words);
        assert_eq!(from_bytes, from_words);
        assert_eq!(*from_bytes.to_words(), words);
        assert_eq!(from_words.expose_secret(), &bytes);
        assert_eq!(
            *from_bytes.to_words().first().unwrap(),
            0x0011_2233,
            "StorageDeriveKey1"
        );
        assert_eq!(
            *from_bytes.to_words().last().unwrap(),
            0x3322_1100,
            "StorageDeriveKey8"
        );
        let hex = "00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100";
        assert_eq!(StorageDeriveKey::from_hex(hex).unwrap(), from_bytes);
        assert_eq!(&*from_bytes.expose_hex(), hex);
        let text = from_bytes.to_params();
        assert_eq!(
            &*text,
            "StorageDeriveKey1 = 0x00112233\nStorageDeriveKey2 = 0x44556677\nStorageDeriveKey3 = 0x8899AABB\n\
             StorageDeriveKey4 = 0xCCDDEEFF\nStorageDeriveKey5 = 0xFFEEDDCC\nStorageDeriveKey6 = 0xBBAA9988\n\
             StorageDeriveKey7 = 0x77665544\nStorageDeriveKey8 = 0x33221100\n"
        );
        assert_eq!(StorageDeriveKey::parse_params(&text).unwrap(), from_bytes);
        assert_eq!(format!("{from_bytes:?}"), "StorageDeriveKey([REDACTED])");
    }

    fn lines(order: &[usize]) -> String {
        let words = [
            "0x00112233",
            "0x44556677",
            "0x8899aabb",
            "0xccddeeff",
            "0xffeeddcc",
            "0xbbaa9988",
            "0x77665544",
            "0x33221100",
        ];
        let mut s = String::new();
        for &i in order {
            s.push_str(&format!("StorageDeriveKey{} = {}\n", i, words[i - 1]));
        }
        s
    }

    #[test]
    fn params_any_order_and_every_error_named() {
        let want = StorageDeriveKey::from_hex(
            "00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100",
        )
        .unwrap();
        let shuffled = lines(&[8, 3, 1, 5, 2, 7, 4, 6]);
        assert_eq!(StorageDeriveKey::parse_params(&shuffled).unwrap(), want);
        // Comments, blank lines, case, short hex and decimal values.
        let relaxed = "# exported\n\nstoragederivekey1: 0x112233\nStorageDeriveKey2=1146447479\n"
            .to_owned()
            + &lines(&[3, 4, 5, 6, 7, 8]);
        assert_eq!(StorageDeriveKey::parse_params(&relaxed).unwrap(), want);

        let missing = lines(&[1, 2, 3, 4, 6, 7, 8]);
        let e = StorageDeriveKey::parse_params(&missing).unwrap_err();
        assert_eq!(e, Error::ParamMissing { index: 5 });
        assert!(format!("{e}").contains("StorageDeriveKey5 is missing"));

        let repeated = lines(&[1, 2, 3, 4, 5, 6, 7, 3, 8]);
        let e = StorageDeriveKey::parse_params(&repeated).unwrap_err();
        assert_eq!(
            e,
            Error::ParamRepeated {
                index: 3,
                first_line: 3,
                line: 8
            }
        );
        assert!(
            format!("{e}").contains("line 8: StorageDeriveKey3 repeated (first given on line 3)")
        );

        let unknown = lines(&[1, 2, 3, 4]) + "DeriveVector = 0x1\n" + &lines(&[5, 6, 7, 8]);
        let e = StorageDeriveKey::parse_params(&unknown).unwrap_err();
        assert_eq!(e, Error::ParamUnknown { line: 5 });

        let nine = lines(&[1, 2, 3, 4, 5, 6, 7, 8]) + "StorageDeriveKey9 = 0x00000000\n";
        let e = StorageDeriveKey::parse_params(&nine).unwrap_err();
        assert_eq!(e, Error::ParamIndex { index: 9, line: 9 });
        assert!(format!("{e}").contains("StorageDeriveKey9 does not exist"));
        let zero = "StorageDeriveKey0 = 0x1\n";
        assert_eq!(
            StorageDeriveKey::parse_params(zero).unwrap_err(),
            Error::ParamIndex { index: 0, line: 1 }
        );

        let big = "StorageDeriveKey1 = 0x123456789\n".to_owned() + &lines(&[2, 3, 4, 5, 6, 7, 8]);
        let e = StorageDeriveKey::parse_params(&big).unwrap_err();
        assert_eq!(e, Error::ParamValueRange { index: 1, line: 1 });
        let text = format!("{e}");
        assert!(
            text.contains("StorageDeriveKey1 is out of range") && !text.contains("123456789"),
            "{text}"
        );
        let big_dec = lines(&[1, 2, 3]) + "StorageDeriveKey4 = 4294967296\n";
        assert_eq!(
            StorageDeriveKey::parse_params(&big_dec).unwrap_err(),
            Error::ParamValueRange { index: 4, line: 4 }
        );

        let bad = lines(&[1]) + "StorageDeriveKey2 = 0xG4556677\n";
        let e = StorageDeriveKey::parse_params(&bad).unwrap_err();
        assert_eq!(e, Error::ParamValueFormat { index: 2, line: 2 });
        assert!(!format!("{e}").contains("4556677"));
        assert_eq!(
            StorageDeriveKey::parse_params("StorageDeriveKey1 = \n").unwrap_err(),
            Error::ParamValueFormat { index: 1, line: 1 }
        );
        assert_eq!(
            StorageDeriveKey::parse_params("just text\n").unwrap_err(),
            Error::ParamSyntax { line: 1 }
        );
        assert_eq!(
            StorageDeriveKey::parse_params("").unwrap_err(),
            Error::ParamMissing { index: 1 }
        );
        assert_eq!(
            "StorageDeriveKey1=0x1"
                .parse::<StorageDeriveKey>()
                .unwrap_err(),
            Error::ParamMissing { index: 2 }
        );
        assert_eq!(shuffled.parse::<StorageDeriveKey>().unwrap(), want);
    }

    #[test]
    fn static_key_and_iv_defaults() {
        assert!(StaticKey::builtin_default().is_builtin_default());
        assert_eq!(
            format!("{:?}", StaticKey::default()),
            "StaticKey(builtin default)"
        );
        let hk = HashKey::new("0123456789abcdef0123456789abcdef").unwrap();
        let sk = StaticKey::from_hash_key(&hk);
        assert!(!sk.is_builtin_default());
        assert_eq!(
            sk.expose_secret(),
            hk.subkey(Purpose::BlobStaticKey).expose_secret()
        );
        assert_eq!(format!("{sk:?}"), "StaticKey([REDACTED])");
        assert_eq!(StaticIv::default().as_bytes(), b"keyward-blob-iv1");
        assert_eq!(
            StaticIv::from_hex("6b6579776172642d626c6f622d697631").unwrap(),
            StaticIv::builtin_default()
        );
        assert!(StaticKey::from_hex("00").is_err());
    }
}
