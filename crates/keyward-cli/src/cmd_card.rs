//! `keyward card change-pin|copy|info`: one backup-key card file at a time
//! (`keyward::backup::FileCard`). The card file itself counts PIN tries
//! (before the PIN is checked); this command only opens it and reads PINs.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, CardStore, WriteMode};
use subtle::ConstantTimeEq;

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
    /// The card file.
    card: PathBuf,
    /// Tests and demos only: accept a test card (Argon2id below the floor),
    /// with a warning; `change-pin` refuses one without it.
    #[arg(long)]
    weak_argon2_for_tests: bool,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CopyArgs {
    /// The card file to copy.
    card: PathBuf,
    /// The new card file (must not exist).
    new: PathBuf,
}

pub fn run(cmd: CardCommand) -> CmdResult {
    match cmd {
        CardCommand::ChangePin(a) => change_pin_cmd(&a.card, a.weak_argon2_for_tests),
        CardCommand::Copy(a) => copy_cmd(&a.card, &a.new),
        CardCommand::Info(a) => info_cmd(&a.card),
    }
}

fn change_pin_cmd(path: &Path, allow_weak: bool) -> CmdResult {
    let mut card = open_card(path);
    let header = card.read_header()?;
    warn_about(&header, None, allow_weak)?;
    let mut pins = PinSource::new(None)?;
    let old = pins.next(&format!(
        "current PIN of {} ({})",
        header.label,
        path.display()
    ))?;
    let new = pins.next(&format!("new PIN of {} (6 to 16 digits)", header.label))?;
    if pins.is_terminal() {
        let again = pins.next(&format!("new PIN of {}, again", header.label))?;
        if !bool::from(again.as_slice().ct_eq(new.as_slice())) {
            return Err(Failure::Input(
                "the two new PINs differ: PIN not changed, no try spent".into(),
            ));
        }
    }
    let mut rng = keyward_core::os_rng();
    card.change_pin(Some(old.as_slice()), Some(new.as_slice()), &mut rng)?;
    io::note(&format!("keyward: PIN of {} changed", header.label))?;
    Ok(())
}

/// Copies a card file one-to-one (refusing to overwrite `to`).
pub fn copy_card(from: &Path, to: &Path) -> Result<backup::CardHeader, Failure> {
    Ok(backup::duplicate(
        &mut open_card(from),
        &mut open_card(to),
        WriteMode::CreateNew,
    )?)
}

fn copy_cmd(from: &Path, to: &Path) -> CmdResult {
    let header = copy_card(from, to)?;
    io::note(&format!(
        "keyward: {} copied to {} ({}, KCV {})",
        from.display(),
        to.display(),
        header.label,
        header.kcv
    ))?;
    Ok(())
}

fn info_cmd(path: &Path) -> CmdResult {
    let h = open_card(path).read_header()?;
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
    }
    match h.default_pin {
        Some(true) => io::out("default PIN: yes (change it)")?,
        Some(false) => io::out("default PIN: no")?,
        None => {}
    }
    Ok(())
}
