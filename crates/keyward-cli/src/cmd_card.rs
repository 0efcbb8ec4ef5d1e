//! `keyward card change-pin|copy|info`: one backup-key card at a time, a
//! card file (`keyward::backup::FileCard`) or a token (`card_location.rs`).
//! The card file itself counts PIN tries (before the PIN is checked), a
//! token counts them itself; this command only opens it and reads PINs.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, CardStore, WriteMode};
use subtle::ConstantTimeEq;

use crate::card_location::Opened;
use crate::card_pin::PinSource;
use crate::cmd_ceremony::{EXIT_CODES, open_card, warn_about};
use crate::io::{self, CmdResult, Failure};

impl From<backup::StoreError> for Failure {
    fn from(e: backup::StoreError) -> Self {
        Self::Input(e.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Change a card's PIN (re-seals its share under the new PIN).
    ///
    /// Reads the old PIN, then the new PIN, from stdin (one line each), or on
    /// a terminal prompts with echo off (new PIN twice). The new PIN has 6 to
    /// 16 digits and is not trivial (not 123456, 111111, 654321 ...). The
    /// card file counts the try before the old PIN is checked.
    ///
    /// Exit codes: 0 success; 1 wrong or refused PIN, blocked or damaged card;
    /// 2 usage error.
    ChangePin(CardPathArgs),
    /// Copy a card one-to-one (same share, PIN and counter) for the
    /// disaster-recovery set. Refuses to overwrite NEW.
    ///
    /// Exit codes: 0 success; 1 damaged card or NEW exists; 2 usage error.
    Copy(CopyArgs),
    /// Show a card's label, set id, card number, KCV and tries left (no PIN).
    ///
    /// Output on stdout, one `name: value` per line. Compare the KCV with the
    /// backup key's to check a card belongs to it.
    ///
    /// Exit codes: 0 success; 1 damaged card; 2 usage error.
    Info(CardPathArgs),
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CardPathArgs {
    /// The card file, or a pkcs11: URI naming a token card.
    card: PathBuf,
    #[command(flatten)]
    module: crate::card_location::ModuleArg,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
    /// Tests and demos only: accept a test card (Argon2id below the floor),
    /// with a warning; `change-pin` refuses one without it.
    #[arg(long)]
    weak_argon2_for_tests: bool,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CopyArgs {
    /// The card file (or pkcs11: URI of the token card) to copy.
    card: PathBuf,
    /// The new card file (must not exist), or a pkcs11: URI of a token
    /// holding no share. A copy involving a token goes through the PIN: the
    /// source is unlocked (PIN from pin-source=, else stdin), the share
    /// written to NEW and read back; a new card file gets the same PIN.
    new: PathBuf,
    #[command(flatten)]
    module: crate::card_location::ModuleArg,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
}

pub fn run(cmd: CardCommand) -> CmdResult {
    match cmd {
        CardCommand::ChangePin(a) => change_pin_cmd(&a),
        CardCommand::Copy(a) => copy_cmd(&a),
        CardCommand::Info(a) => info_cmd(&a),
    }
}

fn change_pin_cmd(a: &CardPathArgs) -> CmdResult {
    let Opened {
        store: mut card,
        token,
        ..
    } = open_one(&a.card, &a.module, &a.wait)?;
    let header = card.read_header()?;
    warn_about(&header, None, a.weak_argon2_for_tests)?;
    let mut pins = PinSource::new(None)?;
    // A token's user PIN follows the token's rules; a card file's PIN is
    // 6 to 16 digits, checked before the card counts a try.
    let next = |pins: &mut PinSource, what: &str| {
        if token {
            pins.next_token_pin(what)
        } else {
            pins.next(what)
        }
    };
    let old = crate::card_location::pin_for(
        &*card,
        &format!("current PIN of {} ({})", header.label, a.card.display()),
        &mut |p| next(&mut pins, p),
    )?;
    let new = next(
        &mut pins,
        &format!("new PIN of {} (6 to 16 digits)", header.label),
    )?;
    if pins.is_terminal() {
        let again = next(&mut pins, &format!("new PIN of {}, again", header.label))?;
        if !bool::from(again.as_slice().ct_eq(new.as_slice())) {
            return Err(Failure::Input(
                "the two new PINs differ: PIN not changed, no try spent".into(),
            ));
        }
    }
    let mut rng = keyward_core::os_rng();
    let from_uri = card.own_pin().is_some();
    card.change_pin(
        old.as_deref().map(Vec::as_slice),
        Some(new.as_slice()),
        &mut rng,
    )?;
    io::note(&format!("keyward: PIN of {} changed", header.label))?;
    if from_uri {
        io::note("keyward: the URI's pin-source file still holds the old PIN: update it")?;
    }
    Ok(())
}

/// Opens the one card a `keyward card` command names.
fn open_one(
    name: &Path,
    module: &crate::card_location::ModuleArg,
    wait: &crate::card_location::WaitArgs,
) -> Result<Opened, Failure> {
    let mut opener = crate::card_location::Opener::new(Some(module), wait);
    opener.open(name, 1, 1, None)
}

/// Copies a card file one-to-one (refusing to overwrite `to`).
pub fn copy_card(from: &Path, to: &Path) -> Result<backup::CardHeader, Failure> {
    Ok(backup::duplicate(
        &mut open_card(from),
        &mut open_card(to),
        WriteMode::CreateNew,
    )?)
}

fn copy_cmd(a: &CopyArgs) -> CmdResult {
    let (from, to) = (a.card.as_path(), a.new.as_path());
    let is_uri = |p: &Path| p.to_str().is_some_and(keyward_pkcs11::is_pkcs11_uri);
    let header = if is_uri(from) || is_uri(to) {
        copy_through_pin(a)?
    } else {
        copy_card(from, to)?
    };
    io::note(&format!(
        "keyward: {} copied to {} ({}, KCV {})",
        from.display(),
        to.display(),
        header.label,
        header.kcv
    ))?;
    Ok(())
}

/// A copy that involves a token: unlock the source, write the share to the
/// target, read it back (`backup::copy_share`).
fn copy_through_pin(a: &CopyArgs) -> Result<backup::CardHeader, Failure> {
    let mut opener = crate::card_location::Opener::new(Some(&a.module), &a.wait);
    let mut pins = PinSource::new(None)?;
    let mut from = opener.open(&a.card, 1, 2, None)?.store;
    let header = from.read_header()?;
    let pin =
        crate::card_location::pin_for(&*from, &format!("PIN of {}", header.label), &mut |p| {
            pins.next_token_pin(p)
        })?;
    let mut to = opener
        .open(&a.new, 2, 2, Some(&mut |p| pins.next_token_pin(p)))?
        .store;
    let mut salt = [0u8; backup::SALT_LEN];
    keyward_core::rand_core::Rng::fill_bytes(&mut keyward_core::os_rng(), &mut salt);
    Ok(backup::copy_share(
        &mut from,
        pin.as_deref().map(Vec::as_slice),
        &mut to,
        keyward::superpin::Argon2Params::OWASP,
        salt,
        WriteMode::CreateNew,
    )?)
}

fn info_cmd(a: &CardPathArgs) -> CmdResult {
    let mut card = open_one(&a.card, &a.module, &a.wait)?.store;
    let h = card.read_header()?;
    // Info reads no PIN: a test card is shown, with the warning.
    warn_about(&h, None, true)?;
    io::out(&format!("label: {}", h.label))?;
    io::out(&format!("set id: {:04X}", h.set_id))?;
    io::out(&format!(
        "card: {} of {} ({} needed)",
        h.number, h.shares, h.threshold
    ))?;
    io::out(&format!("KCV: {}", h.kcv))?;
    io::out(&format!("tries left: {}", h.tries_left))?;
    if let Some(p) = h.argon2 {
        io::out(&format!(
            "argon2id: m={} KiB, t={}, p={}{}",
            p.m_cost_kib,
            p.t_cost,
            p.p_cost,
            if h.weak_argon2 { " (test card)" } else { "" }
        ))?;
    } else {
        // A token: its user PIN is the card PIN, counted by the token.
        io::out(&format!("token: {}", card.describe()))?;
        io::out(&format!(
            "PIN: {}",
            match card.pin_entry() {
                backup::PinEntry::PinPad => "the token's user PIN, typed on the reader's PIN pad",
                _ => "the token's user PIN",
            }
        ))?;
    }
    match h.default_pin {
        Some(true) => io::out("default PIN: yes (change it)")?,
        Some(false) => io::out("default PIN: no")?,
        None => {}
    }
    Ok(())
}
