//! The error type of `keyward-superpin`.
//!
//! Parsing errors say what was expected and what was found and name the
//! position, group and character concerned. The characters they echo are never
//! part of a code: an invalid character is by definition not a code symbol.
//! Unlock failures are deliberately uninformative: they name the slot that was
//! tried, nothing about the secret.

use core::fmt;

/// Which kind of code an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// A Super PIN (9 groups).
    SuperPin,
    /// A one-time Recovery Code (5 groups).
    RecoveryCode,
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SuperPin => f.write_str("Super PIN"),
            Self::RecoveryCode => f.write_str("Recovery Code"),
        }
    }
}

/// A set of 1-based group numbers (1..=16), for errors that name every
/// failing group.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GroupSet(u16);

impl GroupSet {
    /// No group.
    pub const EMPTY: Self = Self(0);

    /// Adds group `group` (1..=16; other numbers are ignored).
    pub fn insert(&mut self, group: usize) {
        if (1..=16).contains(&group) {
            self.0 |= 1 << (group - 1);
        }
    }

    /// Whether group `group` (1-based) is in the set.
    pub const fn contains(self, group: usize) -> bool {
        group >= 1 && group <= 16 && self.0 & (1 << (group - 1)) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of groups in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The group numbers in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (1..=16usize).filter(move |g| self.contains(*g))
    }

    /// The raw bit mask (bit `g - 1` set for group `g`).
    pub const fn bits(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for GroupSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// "1", "1 and 4", "1, 4 and 7".
impl fmt::Display for GroupSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.len();
        for (i, g) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == n { " and " } else { ", " })?;
            }
            write!(f, "{g}")?;
        }
        Ok(())
    }
}

/// The kind of slot of an [`AccountKeys`](crate::AccountKeys) record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotKind {
    /// The password slot (Argon2id).
    Password,
    /// The Super PIN slot.
    SuperPin,
    /// A one-time Recovery Code slot.
    RecoveryCode,
}

impl SlotKind {
    /// The label used as the second associated-data item of the slot's
    /// AES-256-SIV wrapping.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::SuperPin => "super-pin",
            Self::RecoveryCode => "recovery-code",
        }
    }
}

impl fmt::Display for SlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password => f.write_str("password"),
            Self::SuperPin => f.write_str("Super PIN"),
            Self::RecoveryCode => f.write_str("Recovery Code"),
        }
    }
}

/// Which persistent record a format error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record {
    /// An [`AccountKeys`](crate::AccountKeys) record.
    AccountKeys,
    /// A Super PIN [`Repository`](crate::Repository) record.
    Repository,
    /// A Recovery URL token ([`RecoveryUrlToken`](crate::RecoveryUrlToken)).
    RecoveryUrlToken,
    /// A [`UsedTokens`](crate::UsedTokens) record.
    UsedTokens,
    /// An application-PIN record ([`AppPinRecord`](crate::AppPinRecord)).
    AppPin,
    /// A device secret file ([`DeviceSecret`](crate::DeviceSecret)).
    DeviceSecret,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AccountKeys => f.write_str("account keys record"),
            Self::Repository => f.write_str("Super PIN repository record"),
            Self::RecoveryUrlToken => f.write_str("Recovery URL token"),
            Self::UsedTokens => f.write_str("used Recovery URL tokens record"),
            Self::AppPin => f.write_str("application PIN record"),
            Self::DeviceSecret => f.write_str("device secret file"),
        }
    }
}

/// Errors of `keyward-superpin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The code has the wrong number of characters (separators not counted).
    Length {
        /// Which code.
        kind: CodeKind,
        /// Characters expected.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character outside Crockford Base32 (and not a separator).
    Character {
        /// Which code.
        kind: CodeKind,
        /// 1-based position in the input, separators counted.
        position: usize,
        /// 1-based group the character would fall in.
        group: usize,
        /// 1-based index of the character inside that group (1..=6).
        index: usize,
        /// The offending character (never a code symbol).
        character: char,
    },
    /// The letter `U` (either case): not in the Crockford alphabet. Named on
    /// its own because it looks like a valid letter.
    LetterU {
        /// Which code.
        kind: CodeKind,
        /// 1-based position in the input, separators counted.
        position: usize,
        /// 1-based group the character would fall in.
        group: usize,
        /// 1-based index of the character inside that group (1..=6).
        index: usize,
    },
    /// One or more groups fail their check character. Every failing group is
    /// listed.
    Check {
        /// Which code.
        kind: CodeKind,
        /// The failing groups (1-based).
        groups: GroupSet,
        /// Number of groups in the code.
        total: usize,
    },
    /// The checks pass but the version symbol is not one this library reads.
    Version {
        /// Which code.
        kind: CodeKind,
        /// The version found (0..=31).
        found: u8,
        /// The version supported.
        expected: u8,
    },
    /// The secret offered does not open the slot (wrong password, Super PIN or
    /// Recovery Code, or a record of another account).
    Unlock {
        /// The slot tried.
        slot: SlotKind,
    },
    /// No Super PIN has been activated for this account.
    NoSuperPin,
    /// The Recovery Code was valid for this account but has already been used.
    RecoveryCodeUsed,
    /// No Recovery Code slot of this account matches the code.
    RecoveryCodeUnknown,
    /// The account already has the maximum number of Recovery Code slots.
    TooManyRecoveryCodes {
        /// The maximum.
        max: usize,
    },
    /// An account id or repository id is empty or too long.
    IdLength {
        /// Bytes found.
        found: usize,
        /// Maximum bytes.
        max: usize,
    },
    /// Argon2 parameters that Argon2 refuses.
    Argon2Params,
    /// Argon2 parameters that cost more work (memory × passes) than the
    /// budget every reader applies (`keyward_pinhash::Limits::DEFAULT`):
    /// refused before any work.
    Argon2Cost {
        /// The budget in KiB·passes.
        budget: u64,
        /// `m × t` of the parameters, in KiB·passes.
        found: u64,
    },
    /// Argon2 failed (out of memory).
    Argon2,
    /// A Master Password shorter than the minimum.
    MasterPasswordLength {
        /// Characters found.
        found: usize,
        /// Characters required at least.
        min: usize,
    },
    /// The Master Password does not open the repository.
    MasterPassword,
    /// The repository holds no escrow for this account.
    NotEscrowed,
    /// The repository already holds an escrow for this account.
    AlreadyEscrowed,
    /// A record is shorter than its structure requires.
    Truncated {
        /// Which record.
        record: Record,
        /// Bytes needed.
        needed: usize,
        /// Bytes found.
        found: usize,
    },
    /// A record does not start with the expected magic bytes.
    Magic {
        /// Which record.
        record: Record,
    },
    /// A record of an unsupported format version.
    RecordVersion {
        /// Which record.
        record: Record,
        /// The version found.
        found: u8,
        /// The version supported.
        expected: u8,
    },
    /// A record field holds a value the format does not allow.
    Field {
        /// Which record.
        record: Record,
        /// Byte offset of the field.
        offset: usize,
        /// Which field.
        field: &'static str,
    },
    /// Bytes after the end of a record.
    TrailingBytes {
        /// Which record.
        record: Record,
        /// Number of extra bytes.
        found: usize,
    },
    /// The repository's escrow entry for this account does not authenticate
    /// under the repository key (a damaged record).
    EscrowEntry,
    /// The repository holds the maximum number of entries.
    RepositoryFull {
        /// The maximum.
        max: usize,
    },
    /// The wrapping primitive refused its input (internal; not expected).
    Wrap,
    /// A Recovery URL token whose MAC does not verify under the server key:
    /// forged, modified, or issued under another server key.
    TokenForged,
    /// A genuine Recovery URL token presented for another account than the
    /// one it was issued for.
    TokenForeignAccount,
    /// A genuine Recovery URL token past its expiry.
    TokenExpired {
        /// Expiry (Unix seconds).
        expired_at: u64,
        /// The verifier's time (Unix seconds).
        now: u64,
    },
    /// A genuine Recovery URL token issued after the verifier's time (the
    /// server clock went backwards, or the token is not meant for it).
    TokenNotYetValid {
        /// Issue time (Unix seconds).
        issued_at: u64,
        /// The verifier's time (Unix seconds).
        now: u64,
    },
    /// A genuine Recovery URL token that has already been redeemed.
    TokenUsed,
    /// A token's validity is zero or longer than the maximum.
    TokenValidity {
        /// Seconds asked for.
        found: u64,
        /// Maximum seconds.
        max: u64,
    },
    /// The used-token record holds the maximum number of unexpired ids.
    UsedTokensFull {
        /// The maximum.
        max: usize,
    },
    /// A Recovery URL (or its base) that is not of the expected form.
    RecoveryUrl {
        /// What was expected.
        expected: &'static str,
    },
    /// An application PIN that is not exactly 6 ASCII digits. Names the
    /// number of characters only, never a character.
    AppPinFormat {
        /// Characters found.
        found: usize,
        /// Whether every character found was a digit.
        digits_only: bool,
    },
    /// The application PIN does not open the record.
    AppPinWrong {
        /// Attempts left before the record locks.
        tries_left: u8,
    },
    /// The application PIN record is locked after too many wrong PINs:
    /// unlock with the password or the Super PIN and enrol a new PIN.
    AppPinLocked {
        /// Wrong PINs allowed.
        max_tries: u8,
    },
    /// The device secret given is not the one the application PIN record
    /// was made with (no attempt is counted).
    DeviceSecretMismatch,
}

const ALPHABET_HINT: &str = "Crockford Base32: 0-9 and A-Z without I, L, O, U";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length {
                kind,
                expected,
                found,
            } => write!(
                f,
                "a {kind} has {expected} characters (separators not counted), found {found}"
            ),
            Self::Character {
                kind,
                position,
                group,
                index,
                character,
            } => write!(
                f,
                "invalid {kind} character {character:?} at position {position} (group {group}, character {index}): expected {ALPHABET_HINT}"
            ),
            Self::LetterU {
                kind,
                position,
                group,
                index,
            } => write!(
                f,
                "the letter U at position {position} (group {group}, character {index}) is not in the {kind} alphabet ({ALPHABET_HINT}); check that character"
            ),
            Self::Check {
                kind,
                groups,
                total,
            } => {
                let s = if groups.len() == 1 { "" } else { "s" };
                write!(
                    f,
                    "{kind} check failed in group{s} {groups} of {total}: a character is mistyped there, or the group is in the wrong place"
                )
            }
            Self::Version {
                kind,
                found,
                expected,
            } => write!(
                f,
                "unsupported {kind} version {found}, expected version {expected}"
            ),
            Self::Unlock { slot } => write!(f, "the {slot} does not unlock this account"),
            Self::NoSuperPin => f.write_str("no Super PIN has been activated for this account"),
            Self::RecoveryCodeUsed => f.write_str(
                "this Recovery Code has already been used; ask the manager for a new one",
            ),
            Self::RecoveryCodeUnknown => {
                f.write_str("this Recovery Code was not issued for this account")
            }
            Self::TooManyRecoveryCodes { max } => write!(
                f,
                "the account already has {max} unused Recovery Codes, the maximum"
            ),
            Self::IdLength { found, max } => write!(
                f,
                "an id must be 1 to {max} bytes long, found {found} bytes"
            ),
            Self::Argon2Params => f.write_str("invalid Argon2 parameters"),
            Self::Argon2Cost { budget, found } => write!(
                f,
                "Argon2 cost over budget: expected memory × passes of at most {budget} KiB·passes, \
                 found {found}"
            ),
            Self::Argon2 => f.write_str("Argon2 failed (out of memory?)"),
            Self::MasterPasswordLength { found, min } => write!(
                f,
                "a Master Password must have at least {min} characters, found {found}"
            ),
            Self::MasterPassword => {
                f.write_str("the Master Password does not open this repository")
            }
            Self::NotEscrowed => {
                f.write_str("the repository holds no Super PIN escrow for this account")
            }
            Self::AlreadyEscrowed => {
                f.write_str("the repository already holds a Super PIN escrow for this account")
            }
            Self::Truncated {
                record,
                needed,
                found,
            } => write!(
                f,
                "{record} truncated: at least {needed} bytes needed, found {found}"
            ),
            Self::Magic { record } => write!(f, "not a {record} (wrong magic bytes)"),
            Self::RecordVersion {
                record,
                found,
                expected,
            } => write!(
                f,
                "unsupported {record} version {found}, expected version {expected}"
            ),
            Self::Field {
                record,
                offset,
                field,
            } => write!(f, "{record}: invalid {field} at byte {offset}"),
            Self::TrailingBytes { record, found } => {
                write!(f, "{record}: {found} unexpected bytes after the end")
            }
            Self::EscrowEntry => f.write_str(
                "the repository's escrow entry for this account is damaged (it does not authenticate)",
            ),
            Self::RepositoryFull { max } => {
                write!(f, "the repository is full ({max} accounts escrowed)")
            }
            Self::Wrap => f.write_str("key wrapping failed"),
            Self::TokenForged => f.write_str(
                "the Recovery URL token is forged or damaged: its MAC does not verify under this server key",
            ),
            Self::TokenForeignAccount => f.write_str(
                "the Recovery URL token was issued for another account than the one named in the URL",
            ),
            Self::TokenExpired { expired_at, now } => write!(
                f,
                "the Recovery URL token expired at {expired_at} (Unix time), it is now {now}: issue a new one"
            ),
            Self::TokenNotYetValid { issued_at, now } => write!(
                f,
                "the Recovery URL token is issued at {issued_at} (Unix time), after the server time {now}"
            ),
            Self::TokenUsed => f.write_str(
                "the Recovery URL token has already been used; a Recovery URL works once: issue a new one",
            ),
            Self::TokenValidity { found, max } => write!(
                f,
                "a Recovery URL token is valid for 1 to {max} seconds, found {found}"
            ),
            Self::UsedTokensFull { max } => write!(
                f,
                "the used-token record holds {max} unexpired tokens, the maximum"
            ),
            Self::RecoveryUrl { expected } => write!(f, "invalid Recovery URL: expected {expected}"),
            Self::AppPinFormat { found, digits_only } => {
                if *digits_only {
                    write!(f, "an application PIN is 6 digits, found {found} digits")
                } else {
                    write!(
                        f,
                        "an application PIN is 6 digits (0-9), found {found} characters, not all digits"
                    )
                }
            }
            Self::AppPinWrong { tries_left } => write!(
                f,
                "wrong application PIN; {tries_left} tries left before the PIN is locked"
            ),
            Self::AppPinLocked { max_tries } => write!(
                f,
                "the application PIN is locked after {max_tries} wrong PINs: unlock with the password or the Super PIN and set a new PIN"
            ),
            Self::DeviceSecretMismatch => f.write_str(
                "the device secret is not the one this application PIN record was made with (no try counted)",
            ),
        }
    }
}

impl core::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
