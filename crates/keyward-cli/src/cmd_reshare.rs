//! `keyward ceremony reshare`: K cards of an existing set rebuild the backup
//! key, which is written as a new set (new set id, new K and N) onto new
//! card files, read back, and its KCV compared with the old set's. Every
//! step is the facade's (`keyward::backup`: `CardRecovery`, `write_cards`,
//! `verify_read_back`); this file only orders them.
//!
//! The old set is not touched and still rebuilds the key: only rotating the
//! key itself retires it.

use std::path::{Path, PathBuf};

use clap::Args;
use keyward::backup::{self, BackupOptions, CardRecovery, CardStore, FileCard};
use keyward::superpin::Argon2Params;
use keyward_core::Aes256Key;

use crate::card_pin::PinSource;
use crate::cmd_ceremony::EXIT_CODES;
use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct ReshareArgs {
    /// Card files of the existing set, read in the order given until K are
    /// read.
    #[arg(required = true)]
    cards: Vec<PathBuf>,
    /// File with one PIN per line for the cards read, in their order (as
    /// `ceremony recover`). Without it: a prompt per card with echo off on a
    /// terminal, otherwise one line per card on stdin.
    #[arg(long)]
    pin_file: Option<PathBuf>,
    /// Cards needed to rebuild the key from the new set (K).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    threshold: u8,
    /// Cards in the new set (N, K..=16).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    shares: u8,
    /// Directory for the new card files DIR/card-1.kwcard .. DIR/card-N.kwcard
    /// (created if missing; refuses to overwrite).
    #[arg(long)]
    out: PathBuf,
    /// Label prefix of the new cards: "PREFIX card i of N".
    #[arg(long, default_value = "backup")]
    label: String,
    #[command(flatten)]
    new_pins: NewCardPins,
}

/// How the new cards' PINs are set: as `ceremony backup` sets them. Kept in
/// this one place so that it follows `ceremony backup` when that changes.
#[derive(Debug, Args)]
pub struct NewCardPins {
    /// Argon2id memory of the new cards' PIN key in KiB (default OWASP's;
    /// lower only for tests).
    #[arg(long, default_value_t = Argon2Params::OWASP.m_cost_kib)]
    argon2_memory: u32,
    /// Argon2id passes of the new cards' PIN key (default OWASP's).
    #[arg(long, default_value_t = Argon2Params::OWASP.t_cost)]
    argon2_passes: u32,
}

impl NewCardPins {
    /// The backup options of the new set, and the PIN its cards are
    /// written and read back with (`ceremony backup`'s: the default PIN
    /// 123456, to be changed with `keyward card change-pin`).
    fn options(
        &self,
        threshold: u8,
        shares: u8,
        label: &str,
    ) -> Result<(BackupOptions, &'static [u8]), Failure> {
        let mut opts =
            BackupOptions::new(threshold, shares).map_err(|e| Failure::Usage(e.to_string()))?;
        opts.label_prefix = label.to_owned();
        opts.argon2 = Argon2Params {
            m_cost_kib: self.argon2_memory,
            t_cost: self.argon2_passes,
            p_cost: 1,
        };
        opts.argon2
            .validate()
            .map_err(|e| Failure::Input(format!("Argon2 parameters: {e}")))?;
        Ok((opts, backup::DEFAULT_PIN))
    }

    /// What the operator is told about the new cards' PINs.
    fn note() -> CmdResult {
        io::note(
            "keyward: every new card has PIN 123456: change it with `keyward card change-pin CARD`",
        )
    }
}

/// The old set as read: the key, its set id and KCV.
struct OldSet {
    key: Aes256Key,
    set_id: u16,
    kcv: keyward_core::Kcv,
}

/// Reads cards in order until K are read (as `ceremony recover`).
fn read_old_set(cards: &[PathBuf], pins: &mut PinSource) -> Result<OldSet, Failure> {
    let mut rec = CardRecovery::new();
    let mut first = None;
    for path in cards {
        let no = rec.next_number();
        if rec.progress().is_complete() {
            io::note(&format!(
                "keyward: card {no} ({}) not needed: enough cards read",
                path.display()
            ))?;
            rec.skip();
            continue;
        }
        let mut card = FileCard::new(path);
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        io::note(&format!(
            "keyward: old card {no}: {} (set {:04X})",
            header.label, header.set_id
        ))?;
        first.get_or_insert((header.set_id, header.kcv));
        let pin = pins.next(&format!("PIN for card {no} ({})", header.label))?;
        let progress = rec.add(&mut card, Some(pin.as_slice()))?;
        io::note(&format!("keyward: {progress}"))?;
    }
    let key = rec.finish()?;
    let (set_id, kcv) = first.ok_or_else(|| Failure::Input("no card was read".to_owned()))?;
    Ok(OldSet { key, set_id, kcv })
}

fn card_paths(dir: &Path, n: u8) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| dir.join(format!("card-{i}.kwcard")))
        .collect()
}

/// Writes attempts: a new set whose random SLIP-0039 identifier equals the
/// old one (probability 2^-15) is removed and written again.
const MAX_WRITES: usize = 4;

pub fn run(a: &ReshareArgs) -> CmdResult {
    let (opts, new_pin) = a.new_pins.options(a.threshold, a.shares, &a.label)?;
    let paths = card_paths(&a.out, a.shares);
    // Checked before any old card is read (and each write refuses too).
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    if let Some(old) = a.cards.iter().find(|c| paths.contains(c)) {
        return Err(Failure::Usage(format!(
            "{} is both an old card and a new card path",
            old.display()
        )));
    }
    let mut pins = PinSource::new(a.pin_file.as_deref())?;
    let old = read_old_set(&a.cards, &mut pins)?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure::Input(format!("creating {}: {e}", a.out.display())))?;
    let mut rng = keyward_core::os_rng();
    let mut attempt = 0;
    let (new_set_id, subsets) = loop {
        attempt += 1;
        let mut stores: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
        backup::write_cards(&old.key, &opts, &mut stores, &mut rng)?;
        let header = stores
            .first_mut()
            .map(CardStore::read_header)
            .transpose()
            .map_err(|error| backup::Error::Card { card: None, error })?
            .ok_or_else(|| Failure::Input("no new card was written".to_owned()))?;
        if header.set_id == old.set_id {
            for p in &paths {
                let _ = std::fs::remove_file(p);
            }
            if attempt < MAX_WRITES {
                continue;
            }
            return Err(Failure::Input(format!(
                "the new set got the old set id {:04X} {MAX_WRITES} times: not written",
                old.set_id
            )));
        }
        let subsets = backup::verify_read_back(&mut stores, Some(new_pin))?;
        break (header.set_id, subsets);
    };
    // write_cards stamps the key's own KCV; the read-back compared every
    // subset with it. The old set's KCV must be the same key's.
    let new_kcv = old.key.kcv();
    if new_kcv.bytes() != old.kcv.bytes() {
        return Err(Failure::Input(format!(
            "KCV mismatch: the old cards say {}, the rebuilt key has {new_kcv}",
            old.kcv
        )));
    }
    io::note(&format!(
        "keyward: set {:04X} reshared as set {new_set_id:04X}: {} cards written, {} needed; \
         read-back ok: all {subsets} sets of {} cards rebuild the key",
        old.set_id, a.shares, a.threshold, a.threshold
    ))?;
    NewCardPins::note()?;
    io::note(&format!(
        "keyward: the old set {:04X} still rebuilds the same key: destroy its cards, or rotate the key to retire it",
        old.set_id
    ))?;
    io::out(&format!("KCV {new_kcv}"))?;
    for (i, path) in (1..=a.shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    Ok(())
}
