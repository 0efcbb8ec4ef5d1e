//! The error type of `keyward-core`.
//!
//! Every variant says what was expected and what was found, and names the
//! component or character position concerned. No variant carries secret
//! material: hex digits of a key, characters of a HashKey and key bytes are
//! never part of an error.

use core::fmt;

/// What is wrong with a character that a HashKey may not contain.
///
/// The character itself is not echoed for non-ASCII input: it would be a
/// piece of what the operator meant to type as the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharClass {
    /// U+0020 SPACE.
    Space,
    /// An ASCII control character (U+0000..U+001F, U+007F); the code point is given.
    Control(u8),
    /// A character outside ASCII.
    NonAscii,
}

impl fmt::Display for CharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Space => f.write_str("a space"),
            Self::Control(c) => write!(f, "a control character (U+{c:04X})"),
            Self::NonAscii => f.write_str("a non-ASCII character"),
        }
    }
}

/// What kind of character a non-hex character in hex input is.
///
/// The character itself is never shown: hex input is usually a key, and
/// whatever was typed or piped in its place (a HashKey, a passphrase, a
/// share) may be secret too. The class and the position are enough to find
/// the typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexCharClass {
    /// An ASCII letter other than `a`..`f` and `A`..`F`.
    Letter,
    /// Printable ASCII that is neither a letter, a digit nor a space:
    /// punctuation or a symbol.
    Punctuation,
    /// An ASCII control character that is not whitespace.
    Control,
    /// A character outside ASCII.
    NonAscii,
}

impl HexCharClass {
    /// The class of `c`, a character that is neither a hex digit nor ASCII
    /// whitespace.
    #[must_use]
    pub const fn of(c: char) -> Self {
        if c.is_ascii_alphabetic() {
            Self::Letter
        } else if c.is_ascii_control() {
            Self::Control
        } else if c.is_ascii() {
            Self::Punctuation
        } else {
            Self::NonAscii
        }
    }
}

impl fmt::Display for HexCharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Letter => "a letter other than A-F",
            Self::Punctuation => "a punctuation mark or symbol",
            Self::Control => "a control character",
            Self::NonAscii => "a non-ASCII character",
        })
    }
}

/// Errors of `keyward-core`: malformed input and failed checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A hex string has the wrong number of hex digits (whitespace not counted).
    HexLength {
        /// Hex digits expected.
        expected: usize,
        /// Hex digits found.
        found: usize,
    },
    /// A hex key string does not have the length of any AES key.
    AesHexLength {
        /// Hex digits found (whitespace not counted).
        found: usize,
    },
    /// A character that is neither a hex digit nor whitespace.
    HexCharacter {
        /// 1-based position of the character in the input, in characters
        /// (whitespace counted).
        position: usize,
        /// What kind of character it is; the character itself is not kept.
        class: HexCharClass,
    },
    /// A byte slice has the wrong length for the key type.
    KeyLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// An expected KCV is not 3 to 5 bytes of hex.
    KcvFormat {
        /// Hex digits found (whitespace not counted).
        found: usize,
    },
    /// A key's KCV differs from the expected one.
    KcvMismatch {
        /// The expected KCV (first 3 bytes).
        expected: [u8; 3],
        /// The KCV computed from the key (first 3 bytes).
        found: [u8; 3],
    },
    /// The number of XOR components is outside 2..=16.
    ComponentCount {
        /// Components given.
        found: usize,
    },
    /// A component's length differs from the first component's.
    ComponentLength {
        /// 1-based number of the component.
        component: usize,
        /// Bytes expected (length of component 1).
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// A component's KCV differs from the expected one given with it.
    ComponentKcv {
        /// 1-based number of the component.
        component: usize,
        /// The expected KCV (first 3 bytes).
        expected: [u8; 3],
        /// The KCV computed from the component (first 3 bytes).
        found: [u8; 3],
    },
    /// The combined key's KCV differs from the expected one.
    CombinedKcv {
        /// The expected KCV (first 3 bytes).
        expected: [u8; 3],
        /// The KCV computed from the combined key (first 3 bytes).
        found: [u8; 3],
    },
    /// The key is all zero bytes (for components: they cancel out).
    ZeroKey,
    /// A HashKey is not exactly 32 characters long.
    HashKeyLength {
        /// Characters found.
        found: usize,
    },
    /// A HashKey contains a character that is not printable ASCII.
    HashKeyCharacter {
        /// 1-based position of the character.
        position: usize,
        /// What kind of character it is.
        class: CharClass,
    },
    /// A HashKey derivation version that does not exist.
    HashKeyDerivation {
        /// The version number found.
        found: u8,
    },
    /// The operating system's random generator failed.
    Rng,
    /// An output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// An unknown KCV method name.
    UnknownKcvMethod,
}

/// Writes three KCV bytes as uppercase hex.
pub(crate) struct Kcv3<'a>(pub(crate) &'a [u8; 3]);

impl fmt::Display for Kcv3<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HexLength { expected, found } => {
                write!(f, "expected {expected} hex digits, found {found}")
            }
            Self::AesHexLength { found } => write!(
                f,
                "expected 32, 48 or 64 hex digits (an AES-128, AES-192 or AES-256 key), found {found}"
            ),
            Self::HexCharacter { position, class } => write!(
                f,
                "character {position} is not a hex digit: {class} (expected 0-9, A-F or whitespace; the character is not shown)"
            ),
            Self::KeyLength { expected, found } => {
                write!(f, "expected a {expected}-byte key, found {found} bytes")
            }
            Self::KcvFormat { found } => write!(
                f,
                "expected a KCV of 6, 8 or 10 hex digits, found {found} digits"
            ),
            Self::KcvMismatch { expected, found } => write!(
                f,
                "KCV mismatch: expected {}, key has {}",
                Kcv3(expected),
                Kcv3(found)
            ),
            Self::ComponentCount { found } => {
                write!(f, "expected 2 to 16 key components, found {found}")
            }
            Self::ComponentLength {
                component,
                expected,
                found,
            } => write!(
                f,
                "component {component} is {found} bytes long, expected {expected} like component 1"
            ),
            Self::ComponentKcv {
                component,
                expected,
                found,
            } => write!(
                f,
                "component {component}: KCV mismatch: expected {}, component has {}",
                Kcv3(expected),
                Kcv3(found)
            ),
            Self::CombinedKcv { expected, found } => write!(
                f,
                "combined key: KCV mismatch: expected {}, combined key has {}",
                Kcv3(expected),
                Kcv3(found)
            ),
            Self::ZeroKey => f.write_str("the key is all zero bytes"),
            Self::HashKeyLength { found } => write!(
                f,
                "a HashKey must be exactly 32 characters, found {found} of 32"
            ),
            Self::HashKeyCharacter { position, class } => write!(
                f,
                "HashKey character {position} is not allowed: {class} (printable ASCII without spaces expected)"
            ),
            Self::HashKeyDerivation { found } => write!(
                f,
                "HashKey derivation {found} does not exist (1 or 2 expected)"
            ),
            Self::Rng => f.write_str("the operating system's random generator failed"),
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer too small: {needed} bytes needed, {available} available"
            ),
            Self::UnknownKcvMethod => f.write_str("unknown KCV method: expected cmac or ecb"),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
