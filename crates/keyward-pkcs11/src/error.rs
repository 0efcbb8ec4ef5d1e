//! Errors in operator language: each names the token, object, file or
//! attribute at fault and says what was expected. None carries a PIN or key.

use core::fmt;
use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};

use crate::uri::UriError;
use crate::wrapped::FormatError;

/// `Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// What can go wrong between keyward and a PKCS#11 token.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URI was refused.
    Uri(UriError),
    /// No PKCS#11 library was named anywhere.
    NoModule,
    /// The PKCS#11 library could not be loaded.
    ModuleLoad {
        /// The library file.
        path: PathBuf,
        /// Why (from the loader).
        reason: String,
    },
    /// No token matches the URI.
    TokenNotFound {
        /// The URI's path (no query).
        uri: String,
        /// The tokens present, as `"label" (serial S)`.
        present: Vec<String>,
    },
    /// More than one token matches the URI.
    TokenAmbiguous {
        /// The URI's path.
        uri: String,
        /// The matching tokens.
        matches: Vec<String>,
    },
    /// No secret key matches the URI in the token.
    KeyNotFound {
        /// The token.
        token: String,
        /// The URI's path.
        uri: String,
        /// The labels of the secret keys the token holds.
        present: Vec<String>,
    },
    /// More than one secret key matches the URI.
    KeyAmbiguous {
        /// The token.
        token: String,
        /// The URI's path.
        uri: String,
        /// Labels of the matches.
        matches: Vec<String>,
    },
    /// The URI names an object class these operations do not take.
    NotASecretKey {
        /// The `type=` found.
        found: &'static str,
    },
    /// The URI needs an `object=` label (to create a key).
    NoLabel {
        /// What the label is for.
        what: &'static str,
    },
    /// A key with this label already exists (and `--replace` was not given).
    LabelExists {
        /// The token.
        token: String,
        /// The label.
        label: String,
    },
    /// The key is not an AES key of 16, 24 or 32 bytes.
    NotAes {
        /// The token.
        token: String,
        /// The key's label.
        label: String,
        /// What was found (key type or length).
        found: String,
    },
    /// Reading the PIN failed.
    Pin {
        /// Where the PIN was to come from.
        source_name: String,
        /// Why (never the PIN).
        reason: String,
    },
    /// `CKR_PIN_INCORRECT`.
    PinIncorrect {
        /// The token.
        token: String,
        /// What the token says about the remaining tries.
        tries: Tries,
    },
    /// `CKR_PIN_LOCKED`, or the token's `CKF_USER_PIN_LOCKED` flag.
    PinLocked {
        /// The token.
        token: String,
    },
    /// `CKR_TOKEN_NOT_PRESENT`, `CKR_DEVICE_REMOVED`, or a session closed under us.
    TokenGone {
        /// The token.
        token: String,
        /// Which of the three.
        what: &'static str,
    },
    /// The token lacks a mechanism this operation needs.
    MechanismMissing {
        /// The token.
        token: String,
        /// `CKM_…` name.
        mechanism: &'static str,
        /// What it was needed for.
        purpose: &'static str,
    },
    /// The key's attributes forbid the operation (e.g. `CKA_SIGN` false for a
    /// CMAC KCV, `CKA_EXTRACTABLE` false for an export).
    KeyRefused {
        /// The token.
        token: String,
        /// The key's label.
        label: String,
        /// The operation and the attribute that forbids it.
        detail: String,
    },
    /// The token-computed KCV differs from the expected one. When `removed`
    /// is true the object just created was destroyed again.
    KcvMismatch {
        /// The token.
        token: String,
        /// The key's label.
        label: String,
        /// The expected KCV (shown digits).
        expected: String,
        /// The token-computed KCV.
        found: String,
        /// Whether the new object was destroyed.
        removed: bool,
    },
    /// A key was created but the token could not compute its KCV, so it was
    /// not kept (when `removed`).
    NotVerified {
        /// The token.
        token: String,
        /// The key's label.
        label: String,
        /// Why the KCV could not be computed.
        reason: String,
        /// Whether the new object was destroyed.
        removed: bool,
    },
    /// The wrapping key in the token is not the one the file was wrapped under.
    WrappingKeyMismatch {
        /// The token.
        token: String,
        /// The wrapping key's label.
        label: String,
        /// The KCV the file records.
        file_kcv: String,
        /// The token-computed KCV of the wrapping key.
        token_kcv: String,
    },
    /// The wrapped-key file is malformed.
    Format(FormatError),
    /// keyward-core refused the key material.
    Core(keyward_core::Error),
    /// A card URI names an object (`object=`, `id=`, `type=`): a card is a
    /// whole token.
    CardUri {
        /// The URI's path.
        uri: String,
    },
    /// keyward's share objects on a token are not as written (two of a
    /// kind after an interrupted replace, header and share disagreeing).
    ShareObjects {
        /// The token.
        token: String,
        /// What was found.
        detail: String,
    },
    /// Any other PKCS#11 failure.
    Token {
        /// The token (or module) it came from.
        token: String,
        /// What keyward was doing.
        action: &'static str,
        /// The PKCS#11 error.
        detail: String,
    },
}

/// What a token's flags say about the user PIN's remaining tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tries {
    /// No flag set (or the token does not say).
    Unknown,
    /// `CKF_USER_PIN_COUNT_LOW`: tries low.
    Low,
    /// `CKF_USER_PIN_FINAL_TRY`: the next wrong PIN blocks the token.
    FinalTry,
    /// `CKF_USER_PIN_LOCKED`: blocked.
    Locked,
}

impl Tries {
    /// From a token's flags.
    pub fn of(info: &cryptoki::slot::TokenInfo) -> Self {
        if info.user_pin_locked() {
            Self::Locked
        } else if info.user_pin_final_try() {
            Self::FinalTry
        } else if info.user_pin_count_low() {
            Self::Low
        } else {
            Self::Unknown
        }
    }

    /// Operator wording: "tries low", "last try", "blocked", or "".
    pub const fn words(self) -> &'static str {
        match self {
            Self::Unknown => "",
            Self::Low => "tries low",
            Self::FinalTry => "last try",
            Self::Locked => "blocked",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uri(e) => e.fmt(f),
            Self::NoModule => f.write_str(
                "no PKCS#11 module: give module-path=… in the URI, --pkcs11-module PATH or \
                 KEYWARD_PKCS11_MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so)",
            ),
            Self::ModuleLoad { path, reason } => write!(
                f,
                "cannot load the PKCS#11 module {}: {reason}",
                path.display()
            ),
            Self::TokenNotFound { uri, present } => {
                write!(f, "no token matches {uri}")?;
                if present.is_empty() {
                    f.write_str(" (no initialised token is present)")
                } else {
                    write!(f, " (tokens present: {})", present.join(", "))
                }
            }
            Self::TokenAmbiguous { uri, matches } => write!(
                f,
                "{uri} matches {} tokens: {}; add serial=… or token=…",
                matches.len(),
                matches.join(", ")
            ),
            Self::KeyNotFound {
                token,
                uri,
                present,
            } => {
                write!(f, "{token}: no secret key matches {uri}")?;
                if present.is_empty() {
                    f.write_str(" (the token holds no secret key visible after login)")
                } else {
                    write!(f, " (secret keys: {})", present.join(", "))
                }
            }
            Self::KeyAmbiguous {
                token,
                uri,
                matches,
            } => write!(
                f,
                "{token}: {uri} matches {} secret keys ({}); add object=… or id=…",
                matches.len(),
                matches.join(", ")
            ),
            Self::NotASecretKey { found } => write!(
                f,
                "the URI names type={found}; this operation takes type=secret-key"
            ),
            Self::NoLabel { what } => write!(f, "the URI needs object=LABEL to name {what}"),
            Self::LabelExists { token, label } => write!(
                f,
                "{token} already holds a key labelled \"{label}\"; give --replace to replace it"
            ),
            Self::NotAes {
                token,
                label,
                found,
            } => write!(
                f,
                "{token}: key \"{label}\" is not an AES key of 16, 24 or 32 bytes (found {found})"
            ),
            Self::Pin {
                source_name,
                reason,
            } => write!(f, "reading the PIN from {source_name}: {reason}"),
            Self::PinIncorrect { token, tries } => {
                write!(f, "{token}: wrong PIN")?;
                match tries {
                    Tries::Unknown => Ok(()),
                    t => write!(f, " ({})", t.words()),
                }
            }
            Self::PinLocked { token } => write!(
                f,
                "{token}: the user PIN is blocked (too many wrong PINs); the security officer must unblock it"
            ),
            Self::TokenGone { token, what } => write!(f, "{token}: {what}"),
            Self::MechanismMissing {
                token,
                mechanism,
                purpose,
            } => write!(f, "{token} does not offer {mechanism} ({purpose})"),
            Self::KeyRefused {
                token,
                label,
                detail,
            } => write!(f, "{token}: key \"{label}\": {detail}"),
            Self::KcvMismatch {
                token,
                label,
                expected,
                found,
                removed,
            } => {
                write!(
                    f,
                    "{token}: key \"{label}\" has KCV {found} computed by the token, expected {expected}"
                )?;
                if *removed {
                    f.write_str("; the new object was destroyed, nothing was kept")?;
                }
                Ok(())
            }
            Self::NotVerified {
                token,
                label,
                reason,
                removed,
            } => {
                write!(
                    f,
                    "{token}: key \"{label}\" could not be checked against its KCV ({reason})"
                )?;
                if *removed {
                    f.write_str("; the new object was destroyed, nothing was kept")?;
                } else {
                    f.write_str("; destroying the new object failed too: delete it by hand")?;
                }
                Ok(())
            }
            Self::WrappingKeyMismatch {
                token,
                label,
                file_kcv,
                token_kcv,
            } => write!(
                f,
                "the file was wrapped under a key with KCV {file_kcv}, but wrapping key \"{label}\" \
                 in {token} has KCV {token_kcv}; nothing was unwrapped"
            ),
            Self::CardUri { uri } => write!(
                f,
                "{uri} names an object: a card URI names a token only (token=, serial=, \
                 slot-id=...), without object=, id= or type= other than data"
            ),
            Self::ShareObjects { token, detail } => write!(f, "{token}: {detail}"),
            Self::Format(e) => e.fmt(f),
            Self::Core(e) => e.fmt(f),
            Self::Token {
                token,
                action,
                detail,
            } => write!(f, "{token}: {action}: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<UriError> for Error {
    fn from(e: UriError) -> Self {
        Self::Uri(e)
    }
}

impl From<FormatError> for Error {
    fn from(e: FormatError) -> Self {
        Self::Format(e)
    }
}

impl From<keyward_core::Error> for Error {
    fn from(e: keyward_core::Error) -> Self {
        Self::Core(e)
    }
}

/// The `CKR_…`-style words for a PKCS#11 error, without the long description
/// cryptoki attaches (operators grep for the code).
pub(crate) fn describe(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, function) => format!("C_{function:?} returned {}", ckr_name(*rv)),
        other => other.to_string(),
    }
}

/// `CKR_PIN_INCORRECT` from `PinIncorrect`.
fn ckr_name(rv: RvError) -> String {
    let camel = format!("{rv:?}");
    let mut out = String::from("CKR");
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// `TokenGone::what` for `CKR_TOKEN_NOT_PRESENT`.
pub(crate) const NOT_PRESENT: &str = "the token is not present (insert it and try again)";

/// Maps a PKCS#11 failure to an operator error naming `token`: the PIN,
/// presence and session codes get their own variants, the rest say what
/// keyward was doing.
pub(crate) fn map(e: CkError, token: &str, action: &'static str) -> Error {
    let token = token.to_owned();
    match e {
        CkError::Pkcs11(RvError::PinIncorrect, _) => Error::PinIncorrect {
            token,
            tries: Tries::Unknown,
        },
        CkError::Pkcs11(RvError::PinLocked, _) => Error::PinLocked { token },
        CkError::Pkcs11(RvError::TokenNotPresent, _) => Error::TokenGone {
            token,
            what: NOT_PRESENT,
        },
        CkError::Pkcs11(RvError::DeviceRemoved, _) => Error::TokenGone {
            token,
            what: "the token was removed during the operation",
        },
        CkError::Pkcs11(RvError::SessionHandleInvalid | RvError::SessionClosed, _) => {
            Error::TokenGone {
                token,
                what: "the session with the token was closed (token removed or reset)",
            }
        }
        other => Error::Token {
            token,
            action,
            detail: describe(&other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;

    #[test]
    fn ckr_names() {
        assert_eq!(ckr_name(RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(
            ckr_name(RvError::KeyFunctionNotPermitted),
            "CKR_KEY_FUNCTION_NOT_PERMITTED"
        );
        assert_eq!(
            describe(&CkError::Pkcs11(RvError::MechanismInvalid, Function::Sign)),
            "C_Sign returned CKR_MECHANISM_INVALID"
        );
    }

    #[test]
    fn operator_errors_name_the_token() {
        let t = "token \"card1\" (serial 1234)";
        let cases = [
            (
                RvError::PinIncorrect,
                "token \"card1\" (serial 1234): wrong PIN",
            ),
            (RvError::PinLocked, "blocked"),
            (RvError::TokenNotPresent, "not present"),
            (RvError::DeviceRemoved, "removed"),
            (RvError::SessionHandleInvalid, "session"),
        ];
        for (rv, want) in cases {
            let msg = map(CkError::Pkcs11(rv, Function::Login), t, "logging in").to_string();
            assert!(msg.starts_with(t), "{msg}");
            assert!(msg.contains(want), "{msg}");
        }
        let tries = Error::PinIncorrect {
            token: t.into(),
            tries: Tries::FinalTry,
        };
        assert!(tries.to_string().ends_with("wrong PIN (last try)"));
    }
}
