//! Where a backup-key card is: a card file path, or a `pkcs11:` URI naming a
//! token (RFC 7512), opened as a `Box<dyn CardStore>` for the ceremony and
//! `keyward card ...` (`docs/design.md#card-storage`).
//!
//! A token card takes its PKCS#11 library from the URI's `module-path`, else
//! `--pkcs11-module`, else `KEYWARD_PKCS11_MODULE`; its user PIN (the card
//! PIN, counted by the token) from the URI's `pin-source=file:`, else from
//! the command's PIN source. A token that is not there is waited for ("insert
//! card 2 of 3"), up to `--wait` seconds; `--no-wait` fails at once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use keyward::backup::{CardStore, FileCard, PinEntry};
use keyward_core::zeroize::Zeroizing;
use keyward_pkcs11::{Modules, Pkcs11Uri, TokenCard, Wait, is_pkcs11_uri};

use crate::card_pin::Pin;
use crate::io::{self, Failure};

/// How long to wait for a token card that is not inserted.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Seconds to wait for a token card that is not present ("insert card
    /// 2 of 3"), polling the slots.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    wait: u64,
    /// Fail at once when a token card is not present.
    #[arg(long, conflicts_with = "wait")]
    no_wait: bool,
}

/// The PKCS#11 library of token cards.
#[derive(Debug, Args)]
pub struct ModuleArg {
    /// The PKCS#11 library for card URIs without module-path= (default:
    /// $KEYWARD_PKCS11_MODULE).
    #[arg(long, value_name = "PATH")]
    pkcs11_module: Option<PathBuf>,
}

/// A card opened from its name.
#[derive(Debug)]
pub struct Opened {
    /// The store.
    pub store: Box<dyn CardStore>,
    /// What makes two names the same card: the canonical file path, or the
    /// module file and the token serial.
    pub identity: String,
    /// Whether the card is a token.
    pub token: bool,
}

/// Opens cards by name; token cards share one loaded module per library.
#[derive(Debug)]
pub struct Opener {
    modules: Modules,
    timeout: Duration,
}

/// A PIN asked for a token card when it is opened (backup, copy target):
/// called with a prompt naming the card.
pub type AskPin<'a> = &'a mut dyn FnMut(&str) -> Result<Pin, Failure>;

impl Opener {
    /// An opener with the library flag (if the command has one) and the wait.
    pub fn new(module: Option<&ModuleArg>, wait: &WaitArgs) -> Self {
        Self {
            modules: Modules::from_flag_or_env(module.and_then(|m| m.pkcs11_module.clone())),
            timeout: if wait.no_wait {
                Duration::ZERO
            } else {
                Duration::from_secs(wait.wait)
            },
        }
    }

    /// Opens card `no` of `of` named `name` (a path, or a `pkcs11:` URI).
    /// With `ask`, a token card whose URI has no `pin-source` and that takes
    /// a typed PIN gets its user PIN now (the ceremony writes with it).
    ///
    /// # Errors
    /// A bad URI, a missing module, a token not present after the wait (or
    /// at once with `--no-wait`), an unreadable pin-source file; each names
    /// the card by its number.
    pub fn open(
        &mut self,
        name: &Path,
        no: usize,
        of: usize,
        ask: Option<AskPin<'_>>,
    ) -> Result<Opened, Failure> {
        let text = name.to_str().filter(|t| is_pkcs11_uri(t));
        let Some(text) = text else {
            let identity = std::fs::canonicalize(name)
                .unwrap_or_else(|_| name.to_owned())
                .display()
                .to_string();
            return Ok(Opened {
                store: Box::new(FileCard::new(name)),
                identity,
                token: false,
            });
        };
        let named = |e: &dyn std::fmt::Display| Failure::Input(format!("card {no}: {e}"));
        let uri = Pkcs11Uri::parse(text).map_err(|e| named(&e))?;
        let secs = self.timeout.as_secs();
        let mut waiting = |uri: &str| {
            let _ = io::note(&format!(
                "keyward: insert card {no} of {of} ({uri}): waiting up to {secs} s"
            ));
        };
        let mut card = TokenCard::open(
            &mut self.modules,
            &uri,
            Wait {
                timeout: self.timeout,
                poll: Duration::from_millis(500),
                waiting: &mut waiting,
            },
        )
        .map_err(|e| match e {
            keyward_pkcs11::Error::TokenNotFound { .. } if secs > 0 => {
                Failure::Input(format!("card {no}: {e} after waiting {secs} s"))
            }
            other => named(&other),
        })?;
        if ask.is_some() && card.pin_entry() == PinEntry::PinPad {
            io::note(&format!(
                "keyward: card {no} ({}) has a PIN-pad reader: type the user PIN on the pad \
                 when asked (once to write, once to read back)",
                card.token().name()
            ))?;
        }
        if let Some(ask) = ask {
            if card.own_pin().is_none() && card.pin_entry() == PinEntry::Typed {
                let pin = ask(&format!("user PIN of card {no} ({})", card.token().name()))?;
                card = card.with_pin(pin);
            }
        }
        Ok(Opened {
            identity: card.identity(),
            store: Box::new(card),
            token: true,
        })
    }
}

/// The PIN to unlock `card` with: none on a PIN pad (the custodian is told
/// to type it there), the card's own PIN (a token URI's `pin-source`), else
/// the next from `next`.
///
/// # Errors
/// Those of `next`, and a failed message.
pub fn pin_for(
    card: &dyn CardStore,
    prompt: &str,
    next: &mut dyn FnMut(&str) -> Result<Pin, Failure>,
) -> Result<Option<Pin>, Failure> {
    if card.pin_entry() == PinEntry::PinPad {
        io::note(&format!(
            "keyward: {}: type the PIN on the reader's PIN pad",
            card.describe()
        ))?;
        return Ok(None);
    }
    if let Some(own) = card.own_pin() {
        return Ok(Some(Zeroizing::new(own.to_vec())));
    }
    Ok(Some(next(prompt)?))
}
