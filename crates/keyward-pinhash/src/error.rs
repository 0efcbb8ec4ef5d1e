//! The error type of `keyward-pinhash`.
//!
//! Input errors say what was expected and what was found and name the part of
//! the PHC string or the position in the PIN; none carries a PIN, a password,
//! a pepper or a hash. A failed verification is [`Error::Mismatch`] and
//! nothing more.

use core::fmt;

use keyward_core::KeyId;

/// A part of a PHC string, named by [`Error::Malformed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhcPart {
    /// The algorithm identifier (`$argon2id`).
    Algorithm,
    /// The version field (`v=19`).
    Version,
    /// The parameter field as a whole (names, order, count).
    Params,
    /// The memory cost `m` (KiB).
    MemoryCost,
    /// The time cost `t` (passes).
    TimeCost,
    /// The parallelism `p` (lanes).
    Parallelism,
    /// The pepper's key id (`keyid`).
    KeyId,
    /// The salt.
    Salt,
    /// The hash (tag).
    Hash,
    /// Anything after the hash.
    Trailing,
}

impl fmt::Display for PhcPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Algorithm => "algorithm",
            Self::Version => "version",
            Self::Params => "parameters",
            Self::MemoryCost => "memory cost m",
            Self::TimeCost => "time cost t",
            Self::Parallelism => "parallelism p",
            Self::KeyId => "keyid",
            Self::Salt => "salt",
            Self::Hash => "hash",
            Self::Trailing => "trailing data",
        })
    }
}

/// Errors of `keyward-pinhash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The PIN or password does not match the hash. Deliberately says nothing
    /// more.
    Mismatch,
    /// The hash was made under a pepper (a HashKey) that this site no longer
    /// holds. Hashes are irreversible: it cannot be migrated, the user must
    /// enrol again.
    UnknownPepper {
        /// The key id named by the hash.
        keyid: KeyId,
    },
    /// A PHC string is not a keyward Argon2id hash; names the part.
    Malformed {
        /// Which part is wrong.
        part: PhcPart,
        /// What that part should look like.
        expected: &'static str,
    },
    /// A cost parameter is outside what this verifier accepts (a guard against
    /// strings that would make verification exhaust memory or time).
    CostOutOfRange {
        /// Which parameter.
        part: PhcPart,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
        /// Value found.
        found: u32,
    },
    /// Stored Argon2 parameters cost more work (memory × passes) than the
    /// reader's budget ([`crate::Limits`]): refused before any work.
    CostOverBudget {
        /// The budget in KiB·passes.
        budget: u64,
        /// `m × t` of the parameters found, in KiB·passes.
        found: u64,
    },
    /// The caller-provided Argon2 memory is too small for the parameters.
    MemoryTooSmall {
        /// Blocks (1 KiB each) needed.
        needed: usize,
        /// Blocks provided.
        available: usize,
    },
    /// A PIN has too few or too many digits.
    PinLength {
        /// Fewest digits allowed.
        min: usize,
        /// Most digits allowed.
        max: usize,
        /// Characters found.
        found: usize,
    },
    /// A PIN contains a character that is not an ASCII digit (the character is
    /// not echoed).
    PinCharacter {
        /// 1-based position of the first such character.
        position: usize,
    },
    /// A PIN is trivial and the policy rejects trivial PINs.
    TrivialPin {
        /// Which kind of trivial PIN.
        kind: TrivialKind,
    },
    /// A password is too short or too long (in characters, after NFKC).
    PasswordLength {
        /// Fewest characters allowed.
        min: usize,
        /// Most characters allowed.
        max: usize,
        /// Characters found (after NFKC normalisation).
        found: usize,
    },
    /// A user id is empty (hashes are bound to a user id of at least one
    /// byte).
    EmptyUserId,
    /// Two peppers of a set have the same key id.
    DuplicateKeyId {
        /// The repeated key id.
        keyid: KeyId,
    },
    /// A pepper set cannot hold more retired peppers.
    TooManyPeppers {
        /// Most retired peppers a set holds.
        max: usize,
    },
    /// An output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The Argon2 implementation refused its inputs (should not happen with
    /// parameters this crate checked).
    Argon2(argon2::Error),
}

/// A kind of trivial PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrivialKind {
    /// One digit repeated (`000000`, `7777`).
    Repeated,
    /// Ascending digits, wrapping after 9 (`1234`, `7890`).
    Ascending,
    /// Descending digits, wrapping after 0 (`4321`, `2109`).
    Descending,
}

impl fmt::Display for TrivialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Repeated => "one repeated digit",
            Self::Ascending => "an ascending run of digits",
            Self::Descending => "a descending run of digits",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch => f.write_str("the PIN or password does not match"),
            Self::UnknownPepper { keyid } => write!(
                f,
                "the hash was made under a HashKey this site no longer holds (key id {keyid}); \
                 hashes cannot be migrated: the user must re-enrol"
            ),
            Self::Malformed { part, expected } => {
                write!(f, "malformed PHC string: {part}: expected {expected}")
            }
            Self::CostOutOfRange {
                part,
                min,
                max,
                found,
            } => write!(
                f,
                "Argon2 {part} out of range: expected {min}..={max}, found {found}"
            ),
            Self::CostOverBudget { budget, found } => write!(
                f,
                "Argon2 cost over budget: expected memory × passes of at most {budget} KiB·passes, \
                 found {found}"
            ),
            Self::MemoryTooSmall { needed, available } => write!(
                f,
                "Argon2 memory too small: {needed} blocks of 1 KiB needed, {available} provided"
            ),
            Self::PinLength { min, max, found } => {
                write!(
                    f,
                    "a PIN must have {min} to {max} digits, found {found} characters"
                )
            }
            Self::PinCharacter { position } => {
                write!(f, "PIN character {position} is not a digit (0-9 expected)")
            }
            Self::TrivialPin { kind } => write!(f, "the PIN is too easy to guess: {kind}"),
            Self::PasswordLength { min, max, found } => write!(
                f,
                "a password must have {min} to {max} characters (after NFKC normalisation), found {found}"
            ),
            Self::EmptyUserId => f.write_str(
                "a user id is needed to bind the hash to its user: expected at least 1 byte, found none",
            ),
            Self::DuplicateKeyId { keyid } => {
                write!(f, "two peppers have the same key id {keyid}")
            }
            Self::TooManyPeppers { max } => {
                write!(f, "too many retired peppers: at most {max}")
            }
            Self::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer too small: {needed} bytes needed, {available} available"
            ),
            Self::Argon2(e) => write!(f, "Argon2 refused its inputs: {e}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<argon2::Error> for Error {
    fn from(e: argon2::Error) -> Self {
        Self::Argon2(e)
    }
}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
