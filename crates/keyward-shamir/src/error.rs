//! The error type of `keyward-shamir`.
//!
//! Shares are numbered from 1 in the order they were given (the order of a
//! slice, or of `Recovery::add_*` calls). No variant carries share values,
//! words of a mnemonic or secret bytes: only positions, indices and counts.

use core::fmt;

/// Which parameter of a SLIP-0039 share differs from the shares before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The 15-bit identifier (first two words).
    Identifier,
    /// The extendable backup flag.
    Extendable,
    /// The iteration exponent.
    IterationExponent,
    /// The group threshold.
    GroupThreshold,
    /// The group count.
    GroupCount,
    /// The member threshold of the share's group.
    MemberThreshold,
    /// The length of the share value (number of words).
    Length,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Identifier => "identifier",
            Self::Extendable => "extendable flag",
            Self::IterationExponent => "iteration exponent",
            Self::GroupThreshold => "group threshold",
            Self::GroupCount => "group count",
            Self::MemberThreshold => "member threshold",
            Self::Length => "share length",
        })
    }
}

/// Errors of `keyward-shamir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- raw layer ----
    /// The threshold or share count is outside 2 ≤ k ≤ n ≤ 255.
    Threshold {
        /// Threshold k.
        k: usize,
        /// Number of shares n.
        n: usize,
    },
    /// The secret is empty.
    EmptySecret,
    /// A share has x = 0 (the secret's own coordinate).
    ZeroX {
        /// 1-based number of the share.
        share: usize,
    },
    /// The same share was given twice (same x, same value).
    DuplicateShare {
        /// 1-based number of the later copy.
        share: usize,
        /// 1-based number of the earlier copy.
        first: usize,
    },
    /// Two different shares claim the same x-coordinate (member index).
    ConflictingShares {
        /// 1-based number of the later share.
        share: usize,
        /// 1-based number of the earlier share.
        first: usize,
        /// The x-coordinate both claim.
        x: u8,
    },
    /// The same x-coordinate was asked for twice when splitting.
    DuplicateX {
        /// 1-based number of the later share.
        share: usize,
        /// 1-based number of the earlier share.
        first: usize,
        /// The repeated x-coordinate.
        x: u8,
    },
    /// A share's length differs from the first share's (or the secret's).
    LengthMismatch {
        /// 1-based number of the share.
        share: usize,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// Fewer shares than the threshold.
    TooFewShares {
        /// Shares needed.
        needed: usize,
        /// Shares given.
        found: usize,
    },
    /// More shares than the threshold were given and one of them lies off the
    /// polynomial the others define: it is damaged or from another set.
    ShareOffPolynomial {
        /// 1-based number of the share.
        share: usize,
    },
    /// More shares than the threshold were given and they do not lie on one
    /// polynomial, but which one is wrong cannot be decided (one extra share
    /// only tells that something is wrong; give one more share to locate it).
    InconsistentShares {
        /// Number of shares given.
        found: usize,
    },
    /// An output buffer has the wrong size.
    BufferLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },

    // ---- SLIP-0039 ----
    /// A master secret is shorter than 16 bytes, longer than 256 or of odd length.
    SecretLength {
        /// Bytes found.
        found: usize,
    },
    /// A SLIP-0039 parameter is out of range (group or member threshold,
    /// counts, iteration exponent).
    Parameter {
        /// What is out of range.
        what: &'static str,
        /// The value found.
        found: usize,
        /// The largest allowed value.
        max: usize,
    },
    /// A member threshold of 1 with more than one member share (the standard
    /// forbids it: use 1-of-1).
    SingleMemberThreshold {
        /// 1-based group number.
        group: usize,
    },
    /// A group threshold larger than the number of groups.
    GroupThresholdAboveCount {
        /// 1-based number of the share (0 when splitting).
        share: usize,
        /// Group threshold.
        threshold: usize,
        /// Group count.
        count: usize,
    },
    /// A passphrase character outside printable ASCII (32..=126).
    PassphraseCharacter {
        /// 1-based byte position.
        position: usize,
    },
    /// A mnemonic has a word count no share can have.
    MnemonicLength {
        /// 1-based number of the share.
        share: usize,
        /// Words found.
        words: usize,
    },
    /// A word not in the SLIP-0039 word list.
    UnknownWord {
        /// 1-based number of the share.
        share: usize,
        /// 1-based word position.
        position: usize,
    },
    /// The bytes form of a share has a length no share can have, or non-zero
    /// trailing bits.
    BytesFormat {
        /// 1-based number of the share.
        share: usize,
        /// Bytes found.
        found: usize,
    },
    /// RS1024 checksum failure: the share is damaged.
    Checksum {
        /// 1-based number of the share.
        share: usize,
        /// The 1-based word position where a single-word error would explain
        /// the failure, when exactly one position does.
        word: Option<usize>,
    },
    /// Non-zero padding bits in the share value.
    Padding {
        /// 1-based number of the share.
        share: usize,
    },
    /// A share from another share set: the named field differs from the
    /// first share's.
    ForeignShare {
        /// 1-based number of the share.
        share: usize,
        /// The field that differs.
        field: Field,
    },
    /// A share's iteration exponent is above the recovery's cap
    /// ([`crate::slip39::Recovery::with_max_iteration_exponent`]); refused
    /// before any PBKDF2 work.
    IterationExponentTooHigh {
        /// 1-based number of the share.
        share: usize,
        /// The share's iteration exponent.
        found: u8,
        /// The cap in force.
        max: u8,
    },
    /// Too few groups are complete.
    InsufficientGroups {
        /// Groups needed.
        needed: usize,
        /// Groups complete.
        complete: usize,
    },
    /// A group needed for recovery has too few member shares.
    InsufficientMembers {
        /// Group index as on the share (0-based, as in the standard).
        group: u8,
        /// Member shares needed.
        needed: usize,
        /// Member shares given.
        found: usize,
    },
    /// The recovered secret's digest does not match: the shares do not belong
    /// together or one is forged.
    Digest {
        /// The group index (0-based) for a member-level digest, `None` for
        /// the group level.
        group: Option<u8>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Threshold { k, n } => write!(
                f,
                "expected 2 <= threshold <= shares <= 255, found threshold {k} with {n} shares"
            ),
            Self::EmptySecret => f.write_str("the secret is empty"),
            Self::ZeroX { share } => write!(
                f,
                "share {share} has x = 0, which is the secret's coordinate (expected 1..=255)"
            ),
            Self::DuplicateShare { share, first } => {
                write!(f, "share {share} is the same share as share {first}")
            }
            Self::ConflictingShares { share, first, x } => write!(
                f,
                "shares {first} and {share} both claim index {x} but differ"
            ),
            Self::DuplicateX { share, first, x } => write!(
                f,
                "shares {first} and {share} are both asked at x = {x} (expected distinct x)"
            ),
            Self::LengthMismatch {
                share,
                expected,
                found,
            } => write!(
                f,
                "share {share} is {found} bytes long, expected {expected}"
            ),
            Self::TooFewShares { needed, found } => {
                write!(f, "expected at least {needed} shares, found {found}")
            }
            Self::ShareOffPolynomial { share } => write!(
                f,
                "share {share} does not fit the other shares (damaged or from another set)"
            ),
            Self::InconsistentShares { found } => write!(
                f,
                "the {found} shares do not fit one polynomial; one is damaged or foreign (add another share to locate it)"
            ),
            Self::BufferLength { expected, found } => {
                write!(f, "output buffer is {found} bytes, expected {expected}")
            }
            Self::SecretLength { found } => write!(
                f,
                "expected a master secret of 16 to 256 bytes and even length, found {found} bytes"
            ),
            Self::Parameter { what, found, max } => {
                write!(f, "{what} must be 1 to {max}, found {found}")
            }
            Self::SingleMemberThreshold { group } => write!(
                f,
                "group {group}: member threshold 1 with several members is not allowed (use 1-of-1)"
            ),
            Self::GroupThresholdAboveCount {
                share,
                threshold,
                count,
            } => {
                if *share > 0 {
                    write!(f, "share {share}: ")?;
                }
                write!(
                    f,
                    "group threshold {threshold} is greater than the group count {count}"
                )
            }
            Self::PassphraseCharacter { position } => {
                write!(f, "passphrase character {position} is not printable ASCII")
            }
            Self::MnemonicLength { share, words } => write!(
                f,
                "share {share}: {words} words is not a valid SLIP-0039 share length (20 to 212 words; 20 for 128-bit, 33 for 256-bit secrets)"
            ),
            Self::UnknownWord { share, position } => {
                write!(
                    f,
                    "share {share}: word {position} is not in the SLIP-0039 word list"
                )
            }
            Self::BytesFormat { share, found } => write!(
                f,
                "share {share}: {found} bytes is not a valid packed SLIP-0039 share"
            ),
            Self::Checksum { share, word } => {
                write!(f, "share {share} is damaged (checksum mismatch)")?;
                if let Some(w) = word {
                    write!(f, "; word {w} is probably wrong")?;
                }
                Ok(())
            }
            Self::Padding { share } => {
                write!(f, "share {share}: invalid padding (non-zero padding bits)")
            }
            Self::ForeignShare { share, field } => write!(
                f,
                "share {share} belongs to another share set: its {field} differs from the first share's"
            ),
            Self::IterationExponentTooHigh { share, found, max } => write!(
                f,
                "share {share} has iteration exponent {found}, above the cap of {max} (its PBKDF2 would run {} iterations; raise the cap only for shares from a trusted source)",
                10_000u64 << found
            ),
            Self::InsufficientGroups { needed, complete } => {
                write!(f, "expected {needed} complete groups, found {complete}")
            }
            Self::InsufficientMembers {
                group,
                needed,
                found,
            } => write!(
                f,
                "group {}: expected {needed} member shares, found {found}",
                u16::from(*group) + 1
            ),
            Self::Digest { group } => match group {
                Some(g) => write!(
                    f,
                    "group {}: digest mismatch, the member shares do not belong together",
                    u16::from(*g) + 1
                ),
                None => f.write_str("digest mismatch: the group shares do not belong together"),
            },
        }
    }
}

impl core::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
