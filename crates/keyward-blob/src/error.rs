//! The error type of `keyward-blob`.
//!
//! Every variant says what was expected and what was found and names the
//! parameter, line, byte or key id concerned. No variant carries secret
//! material: parameter values of a storage derive key are never echoed, and an
//! authentication failure says only which inputs can cause it.

use core::fmt;

use keyward_core::KeyId;

/// The most key ids a [`crate::Keyring`] holds (and an error can list).
pub const MAX_KEYS: usize = 8;

/// The key ids held by a keyring, carried by [`Error::KeyIdNotHeld`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyIdList {
    ids: [KeyId; MAX_KEYS],
    len: usize,
}

impl KeyIdList {
    /// An empty list.
    pub const fn new() -> Self {
        Self {
            ids: [KeyId([0; 4]); MAX_KEYS],
            len: 0,
        }
    }

    /// Appends `id`; ids beyond [`MAX_KEYS`] are dropped.
    pub fn push(&mut self, id: KeyId) {
        if let Some(slot) = self.ids.get_mut(self.len) {
            *slot = id;
            self.len = self.len.saturating_add(1);
        }
    }

    /// The ids, in keyring order.
    pub fn as_slice(&self) -> &[KeyId] {
        self.ids.get(..self.len).unwrap_or(&[])
    }
}

impl Default for KeyIdList {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyIdList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl fmt::Display for KeyIdList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("none");
        }
        for (n, id) in self.as_slice().iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// Errors of `keyward-blob`: malformed input, unusable BLOBs, failed opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An error of the shared vocabulary (hex parsing, key lengths, RNG).
    Core(keyward_core::Error),
    /// A derive vector is not a decimal or `0x` hexadecimal number.
    DeriveVectorFormat {
        /// 1-based position of the first bad character (0: the input is empty).
        position: usize,
        /// The offending character (not secret: a derive vector is public).
        character: char,
    },
    /// A derive vector is outside `0..=0x7FFFFFFF`.
    DeriveVectorRange {
        /// The value found, if it fits in 64 bits.
        found: Option<u64>,
    },
    /// A line of the StorageDeriveKey parameter text is not `NAME = VALUE`.
    ParamSyntax {
        /// 1-based line number.
        line: usize,
    },
    /// A parameter name is not `StorageDeriveKeyN`.
    ParamUnknown {
        /// 1-based line number.
        line: usize,
    },
    /// `StorageDeriveKeyN` with N outside 1..=8.
    ParamIndex {
        /// The N found (saturated at `u32::MAX`).
        index: u32,
        /// 1-based line number.
        line: usize,
    },
    /// `StorageDeriveKeyN` appears a second time.
    ParamRepeated {
        /// N, 1..=8.
        index: u8,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// 1-based line of the repetition.
        line: usize,
    },
    /// `StorageDeriveKeyN` is absent.
    ParamMissing {
        /// N, 1..=8.
        index: u8,
    },
    /// The value of `StorageDeriveKeyN` is not a `0x` hex or decimal number
    /// (the value is secret and not shown).
    ParamValueFormat {
        /// N, 1..=8.
        index: u8,
        /// 1-based line number.
        line: usize,
    },
    /// The value of `StorageDeriveKeyN` does not fit in 32 bits (not shown).
    ParamValueRange {
        /// N, 1..=8.
        index: u8,
        /// 1-based line number.
        line: usize,
    },
    /// A sealed BLOB is shorter than its header says it must be.
    Truncated {
        /// What is cut off: `"header"`, `"nonce"` or `"SIV tag"`.
        part: &'static str,
        /// Bytes needed to hold that part.
        needed: usize,
        /// Bytes found.
        found: usize,
    },
    /// The format version byte is not one this library reads.
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// The suite id byte is not one this library knows.
    UnknownSuite {
        /// The suite byte found.
        found: u8,
    },
    /// Reserved header bits are set.
    ReservedBits {
        /// 0-based header byte offset.
        offset: usize,
        /// The reserved bits that are set.
        bits: u8,
    },
    /// The BLOB names a database key the keyring does not hold: the wrong
    /// derive vector, storage derive key, static key or static IV.
    KeyIdNotHeld {
        /// The key id in the BLOB header.
        found: KeyId,
        /// The key ids held.
        held: KeyIdList,
    },
    /// The SIV tag does not verify: wrong kind, serial number, application
    /// name or context, or the BLOB was altered. Nothing is decrypted.
    Authentication,
    /// An output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A record identity field is longer than the format allows.
    FieldTooLong {
        /// `"serial number"`, `"application name"`.
        field: &'static str,
        /// Its length in bytes.
        found: usize,
    },
    /// The keyring already holds [`MAX_KEYS`] keys.
    KeyringFull,
    /// The keyring already holds a key with this id.
    DuplicateKeyId {
        /// The id.
        id: KeyId,
    },
    /// An unknown BLOB kind name.
    UnknownKind,
}

impl From<keyward_core::Error> for Error {
    fn from(e: keyward_core::Error) -> Self {
        Self::Core(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Core(e) => e.fmt(f),
            Self::DeriveVectorFormat { position: 0, .. } => {
                f.write_str("expected a derive vector (decimal or 0x hex, 0..=0x7FFFFFFF), found nothing")
            }
            Self::DeriveVectorFormat { position, character } => write!(
                f,
                "derive vector: invalid character {character:?} at position {position} (expected decimal or 0x hex digits)"
            ),
            Self::DeriveVectorRange { found: Some(v) } => write!(
                f,
                "derive vector {v:#X} ({v}) is out of range: expected 0x0..=0x7FFFFFFF (0..=2147483647)"
            ),
            Self::DeriveVectorRange { found: None } => f.write_str(
                "derive vector is out of range (more than 64 bits): expected 0x0..=0x7FFFFFFF (0..=2147483647)",
            ),
            Self::ParamSyntax { line } => write!(
                f,
                "storage derive key parameters, line {line}: expected `StorageDeriveKeyN = 0x…`"
            ),
            Self::ParamUnknown { line } => write!(
                f,
                "storage derive key parameters, line {line}: unknown parameter name (expected StorageDeriveKey1..StorageDeriveKey8)"
            ),
            Self::ParamIndex { index, line } => write!(
                f,
                "storage derive key parameters, line {line}: StorageDeriveKey{index} does not exist (expected StorageDeriveKey1..StorageDeriveKey8)"
            ),
            Self::ParamRepeated { index, first_line, line } => write!(
                f,
                "storage derive key parameters, line {line}: StorageDeriveKey{index} repeated (first given on line {first_line}); each must appear exactly once"
            ),
            Self::ParamMissing { index } => write!(
                f,
                "storage derive key parameters: StorageDeriveKey{index} is missing; all eight StorageDeriveKey1..StorageDeriveKey8 are needed"
            ),
            Self::ParamValueFormat { index, line } => write!(
                f,
                "storage derive key parameters, line {line}: StorageDeriveKey{index} is malformed (expected 0x and 1 to 8 hex digits, or a decimal number; value not shown)"
            ),
            Self::ParamValueRange { index, line } => write!(
                f,
                "storage derive key parameters, line {line}: StorageDeriveKey{index} is out of range (expected a 32-bit value 0x0..=0xFFFFFFFF; value not shown)"
            ),
            Self::Truncated { part, needed, found } => write!(
                f,
                "sealed BLOB is truncated: the {part} needs {needed} bytes, found {found}"
            ),
            Self::UnknownVersion { found } => write!(
                f,
                "unknown BLOB format version {found:#04x}: expected 0x01 (not a keyward BLOB, or written by a newer version)"
            ),
            Self::UnknownSuite { found } => write!(
                f,
                "unknown BLOB suite {found:#04x}: expected 0x01 (HKDF-SHA256 + AES-256-SIV)"
            ),
            Self::ReservedBits { offset, bits } => write!(
                f,
                "malformed BLOB header: reserved bits {bits:#04x} set in byte {offset} (expected zero)"
            ),
            Self::KeyIdNotHeld { found, held } => write!(
                f,
                "BLOB is sealed under key id {found}, which is not in the keyring (held: {held}): wrong derive vector, storage derive key, static key or static IV"
            ),
            Self::Authentication => f.write_str(
                "BLOB authentication failed: wrong kind, serial number, application name or context, or the BLOB was altered",
            ),
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small: {needed} bytes needed, {available} available"
            ),
            Self::FieldTooLong { field, found } => write!(
                f,
                "{field} is {found} bytes long: at most 4294967295 bytes"
            ),
            Self::KeyringFull => write!(f, "keyring is full: at most {MAX_KEYS} database keys"),
            Self::DuplicateKeyId { id } => write!(f, "keyring already holds key id {id}"),
            Self::UnknownKind => f.write_str("unknown BLOB kind: expected application or payload"),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
