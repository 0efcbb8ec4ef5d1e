//! Opening a session with a token and logging in with the PIN rules.
//!
//! The user PIN comes, in this order, from the URI's `pin-source=file:PATH`
//! (first line of the file), from the caller's [`PinSource`] (a PIN file, one
//! line per token in the order the tokens are used, or one line for all; or
//! a prompt on the terminal with echo off), and never from the command line.
//! A token with a PIN pad (`CKF_PROTECTED_AUTHENTICATION_PATH`) is logged in
//! without a PIN and the operator is told to type it on the pad.
//!
//! The token enforces the tries: before logging in keyward refuses a token
//! whose `CKF_USER_PIN_LOCKED` is set, and after a wrong PIN it reports the
//! token's `CKF_USER_PIN_COUNT_LOW` / `CKF_USER_PIN_FINAL_TRY` /
//! `CKF_USER_PIN_LOCKED` as "tries low" / "last try" / "blocked".

use std::path::{Path, PathBuf};

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::error::{self, Error, Result, Tries};
use crate::token::Token;
use crate::uri::{PinSourceAttr, Pkcs11Uri};

/// Where PINs come from when the URI has no `pin-source`. `Debug` shows the
/// file and the number of lines, never a PIN.
pub enum PinSource {
    /// Lines of a PIN file, one per token in the order the tokens are logged
    /// into; a file of one line gives the PIN of every token.
    File {
        /// The file (named in errors).
        path: PathBuf,
        /// Its lines.
        lines: Vec<Zeroizing<String>>,
        /// The next line to use.
        next: usize,
    },
    /// A prompt on the terminal (`/dev/tty`) with echo off, naming the token.
    Prompt,
    /// No PIN is available: a token that needs one is an error.
    None,
}

impl core::fmt::Debug for PinSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::File { path, lines, next } => f
                .debug_struct("File")
                .field("path", path)
                .field("lines", &lines.len())
                .field("next", next)
                .finish_non_exhaustive(),
            Self::Prompt => f.write_str("Prompt"),
            Self::None => f.write_str("None"),
        }
    }
}

/// The first line of a file without its line terminator.
pub(crate) fn first_line(path: &Path) -> Result<Zeroizing<String>> {
    let lines = read_lines(path)?;
    lines.into_iter().next().ok_or_else(|| Error::Pin {
        source_name: format!("pin-source file {}", path.display()),
        reason: "the file is empty".into(),
    })
}

fn read_lines(path: &Path) -> Result<Vec<Zeroizing<String>>> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::Pin {
        source_name: format!("file {}", path.display()),
        reason: e.to_string(),
    })?);
    let text = core::str::from_utf8(&bytes).map_err(|_| Error::Pin {
        source_name: format!("file {}", path.display()),
        reason: "the file is not UTF-8 text".into(),
    })?;
    Ok(text
        .lines()
        .map(|l| Zeroizing::new(l.trim_end_matches('\r').to_owned()))
        .collect())
}

impl PinSource {
    /// A PIN file, read now.
    ///
    /// # Errors
    /// [`Error::Pin`] when it cannot be read or holds no line.
    pub fn file(path: &Path) -> Result<Self> {
        let lines = read_lines(path)?;
        if lines.is_empty() {
            return Err(Error::Pin {
                source_name: format!("PIN file {}", path.display()),
                reason: "the file is empty".into(),
            });
        }
        Ok(Self::File {
            path: path.to_owned(),
            lines,
            next: 0,
        })
    }

    fn next_pin(&mut self, token: &str) -> Result<Zeroizing<String>> {
        match self {
            Self::File { path, lines, next } => {
                let line = if lines.len() == 1 {
                    lines.first()
                } else {
                    lines.get(*next)
                };
                *next += 1;
                line.cloned().ok_or_else(|| Error::Pin {
                    source_name: format!("PIN file {}", path.display()),
                    reason: format!("it has {} lines, none left for {token}", lines.len()),
                })
            }
            Self::Prompt => rpassword::prompt_password(format!("PIN for {token}: "))
                .map(Zeroizing::new)
                .map_err(|e| Error::Pin {
                    source_name: "the terminal".into(),
                    reason: format!(
                        "{e}; without a terminal give pin-source=file:PATH in the URI or --pin-file"
                    ),
                }),
            Self::None => Err(Error::Pin {
                source_name: "nowhere".into(),
                reason: format!(
                    "{token} needs its user PIN: give pin-source=file:PATH in the URI or --pin-file"
                ),
            }),
        }
    }
}

/// An open session with a token, logged in as the user when the token
/// requires it.
#[derive(Debug)]
pub struct TokenSession {
    token: Token,
    session: Session,
}

impl TokenSession {
    /// Opens a read-write session with `token` and logs in.
    ///
    /// If this process is already logged in to the token (another session
    /// with it is open), no PIN is asked again.
    ///
    /// # Errors
    /// [`Error::PinLocked`], [`Error::PinIncorrect`] (with the token's
    /// tries flags), [`Error::Pin`], [`Error::TokenGone`], [`Error::Token`].
    pub fn open(token: Token, uri: &Pkcs11Uri, pins: &mut PinSource) -> Result<Self> {
        Self::open_with(token, uri, pins, true)
    }

    /// Like [`TokenSession::open`], read-only: enough for listing keys and
    /// computing KCVs, and it works on write-protected tokens.
    ///
    /// # Errors
    /// As [`TokenSession::open`].
    pub fn open_read_only(token: Token, uri: &Pkcs11Uri, pins: &mut PinSource) -> Result<Self> {
        Self::open_with(token, uri, pins, false)
    }

    fn open_with(token: Token, uri: &Pkcs11Uri, pins: &mut PinSource, rw: bool) -> Result<Self> {
        let name = token.name().to_owned();
        let ctx = token.module().context();
        let session = if rw {
            ctx.open_rw_session(token.slot())
        } else {
            ctx.open_ro_session(token.slot())
        }
        .map_err(|e| error::map(e, &name, "opening a session"))?;
        let this = Self { token, session };
        this.login(uri, pins)?;
        Ok(this)
    }

    fn login(&self, uri: &Pkcs11Uri, pins: &mut PinSource) -> Result<()> {
        let name = self.token.name();
        let info = self.token.refresh()?;
        if !info.login_required() {
            return Ok(());
        }
        let state = self
            .session
            .get_session_info()
            .map_err(|e| error::map(e, name, "reading the session state"))?
            .session_state();
        if matches!(state, SessionState::RoUser | SessionState::RwUser) {
            return Ok(());
        }
        if info.user_pin_locked() {
            return Err(Error::PinLocked {
                token: name.to_owned(),
            });
        }
        let result = if info.protected_authentication_path() {
            eprintln!("keyward: {name}: type the user PIN on the reader's PIN pad");
            self.session.login(UserType::User, None)
        } else {
            let pin = match &uri.pin_source {
                Some(PinSourceAttr::File(path)) => first_line(path)?,
                None => pins.next_pin(name)?,
            };
            let pin = AuthPin::new(Box::from(pin.as_str()));
            self.session.login(UserType::User, Some(&pin))
        };
        match result {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                let tries = self
                    .token
                    .refresh()
                    .map_or(Tries::Unknown, |i| Tries::of(&i));
                if tries == Tries::Locked {
                    Err(Error::PinLocked {
                        token: name.to_owned(),
                    })
                } else {
                    Err(Error::PinIncorrect {
                        token: name.to_owned(),
                        tries,
                    })
                }
            }
            Err(e) => Err(error::map(e, name, "logging in")),
        }
    }

    /// The token.
    pub const fn token(&self) -> &Token {
        &self.token
    }

    /// The cryptoki session (for operations this crate does not wrap).
    pub const fn session(&self) -> &Session {
        &self.session
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn file_with(name: &str, text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("keyward-pkcs11-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn pin_file_lines_serve_tokens_in_order() {
        let p = file_with("two", "1111\r\n2222\n");
        let mut pins = PinSource::file(&p).unwrap();
        assert_eq!(pins.next_pin("token a").unwrap().as_str(), "1111");
        assert_eq!(pins.next_pin("token b").unwrap().as_str(), "2222");
        let e = pins.next_pin("token \"c\"").unwrap_err().to_string();
        assert!(
            e.contains("it has 2 lines, none left for token \"c\""),
            "{e}"
        );
        assert!(!e.contains("1111") && !e.contains("2222"), "{e}");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn debug_never_shows_a_pin() {
        let p = file_with("debug", "314159\n");
        let pins = PinSource::file(&p).unwrap();
        let shown = format!("{pins:?}");
        assert!(!shown.contains("314159"), "{shown}");
        assert!(shown.contains("lines: 1"), "{shown}");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn a_one_line_pin_file_serves_every_token() {
        let p = file_with("one", "246810\n");
        let mut pins = PinSource::file(&p).unwrap();
        for t in ["a", "b", "c"] {
            assert_eq!(pins.next_pin(t).unwrap().as_str(), "246810");
        }
        assert_eq!(first_line(&p).unwrap().as_str(), "246810");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn empty_and_missing_pin_files_are_named() {
        let p = file_with("empty", "");
        let e = PinSource::file(&p).unwrap_err().to_string();
        assert!(
            e.contains("the file is empty") && e.contains("keyward-pkcs11-"),
            "{e}"
        );
        assert!(first_line(&p).is_err());
        std::fs::remove_file(&p).unwrap();
        let e = PinSource::file(Path::new("/nonexistent/pin"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("reading the PIN from file /nonexistent/pin: "),
            "{e}"
        );
        let e = PinSource::None
            .next_pin("token \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("token \"x\" needs its user PIN"), "{e}");
    }
}
