//! `keyward ceremony reshare`: K cards of an existing set rebuild the backup
//! key, which is written as a new set (new set id, new K and N) onto new
//! card files, read back, and its KCV compared with the old set's. Every
//! step is the facade's (`keyward::backup`: `CardRecovery`,
//! `write_cards_with_pins`, `verify_read_back_with_pins`); this file only
//! orders them. The new set's options and PINs are `ceremony backup`'s
//! (`cmd_ceremony.rs`: `NewSet`, `new_set_options`, `new_pin`); the new set
//! is written into a staging directory (`staging.rs`) and moved into place
//! only after the read-back. Old cards are opened by
//! `card_location::Opener` (files and `pkcs11:` tokens). With `--card` the
//! new set goes onto named cards instead, files and tokens, opened and
//! checked by `cmd_ceremony::open_named_cards` as `ceremony backup --card`
//! does (never onto a card of the old set).
//!
//! The old set is not touched and still rebuilds the key: only rotating the
//! key itself retires it.

use std::path::{Path, PathBuf};

use clap::Args;
use keyward::backup::{self, BackupOptions, CardStore, FileCard, WriteMode};

use crate::card_pin::{Pin, PinSource};
use crate::cmd_ceremony::{
    EXIT_CODES, NewSet, ReadSet, named_card_count, new_pin, new_set_options, open_named_cards,
    parse_label_prefix, print_named_cards, read_cards,
};
use crate::io::{self, CmdResult, Failure};
use crate::staging::Staging;

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct ReshareArgs {
    /// Cards of the existing set, read in the order given until K are
    /// read: card file paths or pkcs11: URIs naming tokens (as `ceremony
    /// recover`).
    #[arg(required = true)]
    cards: Vec<PathBuf>,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
    /// File with one PIN per line for the old cards read, in their order
    /// (as `ceremony recover`). Without it: a prompt per card with echo off
    /// on a terminal, otherwise one line per card on stdin.
    #[arg(long)]
    pin_file: Option<PathBuf>,
    /// Cards needed to rebuild the key from the new set (K).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    threshold: u8,
    /// Cards in the new set (N, K..=16).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16),
          required_unless_present = "card", conflicts_with = "card", requires = "out")]
    shares: Option<u8>,
    /// Directory for the new card files DIR/card-1.kwcard .. DIR/card-N.kwcard
    /// (created if missing; refuses to overwrite). The new set is written
    /// into a private staging directory, read back there, and moved into
    /// DIR only then.
    #[arg(long, required_unless_present = "card", conflicts_with = "card")]
    out: Option<PathBuf>,
    /// A new card, instead of --shares/--out: a card file path or a pkcs11:
    /// URI naming a token (one share per token; files and tokens may be
    /// mixed; never a card of the old set). Repeat for each new card: N is
    /// the number of --card. A token keeps its user PIN (from its URI's
    /// pin-source=, else a line of --new-pin-file or stdin, in --card order).
    #[arg(long, value_name = "CARD")]
    card: Vec<PathBuf>,
    /// With --card: replace the share a new card already holds. Without it
    /// a new card holding a share is refused, naming it, before any is
    /// written.
    #[arg(long, requires = "card")]
    replace: bool,
    #[command(flatten)]
    module: crate::card_location::ModuleArg,
    /// Label prefix of the new cards: "PREFIX card i of N" (printable
    /// ASCII; the whole label at most 64 bytes).
    #[arg(long, default_value = "backup", value_parser = parse_label_prefix)]
    label: String,
    /// Argon2id memory of the new cards' PIN key in KiB [default: 19456,
    /// OWASP's, also the least allowed without --weak-argon2-for-tests].
    #[arg(long)]
    argon2_memory: Option<u32>,
    /// Argon2id passes of the new cards [default: 2, OWASP's, also the
    /// least allowed without --weak-argon2-for-tests].
    #[arg(long)]
    argon2_passes: Option<u32>,
    /// Tests and demos only: read old test cards and allow the new cards'
    /// Argon2id below the floor (default then 64 KiB, 1 pass); the new cards
    /// are marked as test cards, with a warning.
    #[arg(long)]
    weak_argon2_for_tests: bool,
    /// File with one new PIN per line, one per new card in order (6 to 16
    /// digits, not trivial). Without it and without --default-pin: typed
    /// twice per card on a terminal (echo off), otherwise one line per new
    /// card from --pin-file's source or stdin, after the old cards' lines.
    #[arg(long, conflicts_with = "default_pin")]
    new_pin_file: Option<PathBuf>,
    /// Give every new card the appliance default PIN 123456 (to be changed
    /// with `keyward card change-pin`).
    #[arg(long)]
    default_pin: bool,
}

impl ReshareArgs {
    fn new_set(&self) -> NewSet<'_> {
        NewSet {
            threshold: self.threshold,
            label: &self.label,
            argon2_memory: self.argon2_memory,
            argon2_passes: self.argon2_passes,
            weak_argon2_for_tests: self.weak_argon2_for_tests,
            pin_file: self.new_pin_file.as_deref(),
            default_pin: self.default_pin,
        }
    }
}

/// The new cards' PINs, as `ceremony backup` sets them (`--default-pin`,
/// `--new-pin-file`, else the source the old PINs came from: stdin or the
/// terminal, each PIN checked as it is entered and typed twice on a
/// terminal).
fn new_card_pins(
    a: &ReshareArgs,
    shares: u8,
    opts: &BackupOptions,
    old_source: &mut PinSource,
) -> Result<Vec<Pin>, Failure> {
    if a.default_pin {
        return Ok((0..shares)
            .map(|_| Pin::new(backup::DEFAULT_PIN.to_vec()))
            .collect());
    }
    let mut file_source;
    let source = match a.new_pin_file.as_deref() {
        Some(f) => {
            file_source = PinSource::new(Some(f))?;
            &mut file_source
        }
        None => old_source,
    };
    (1..=shares)
        .map(|i| {
            new_pin(
                source,
                &format!("new PIN for new card {i} ({})", opts.label(i)),
            )
        })
        .collect()
}

/// Reads the old cards in order until K are read (`ceremony recover`'s
/// reading: card files and tokens).
fn read_old_set(a: &ReshareArgs, pins: &mut PinSource) -> Result<ReadSet, Failure> {
    read_cards(
        &a.cards,
        pins,
        Some(&a.module),
        &a.wait,
        a.weak_argon2_for_tests,
        "old card",
    )
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
    let (Some(shares), Some(out)) = (a.shares, a.out.as_deref()) else {
        return onto_named_cards(a);
    };
    let opts = new_set_options(&a.new_set(), shares)?;
    let names: Vec<String> = (1..=shares).map(|i| format!("card-{i}.kwcard")).collect();
    let paths = card_paths(out, shares);
    // Checked before any old card is read (the move into place refuses too).
    if let Some(p) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
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
    let old = read_old_set(a, &mut pins)?;
    let new_pins = new_card_pins(a, shares, &opts, &mut pins)?;
    let pin_refs: Vec<&[u8]> = new_pins.iter().map(|p| p.as_slice()).collect();
    let (staging, abandoned) = Staging::new(out).map_err(|e| Failure::Input(e.to_string()))?;
    for dir in abandoned {
        io::note(&format!(
            "keyward: removed {}, left by a ceremony that did not finish (its cards were never handed out)",
            dir.display()
        ))?;
    }
    let staged: Vec<PathBuf> = names.iter().map(|n| staging.path().join(n)).collect();
    let mut rng = keyward_core::os_rng();
    let mut attempt = 0;
    let (new_set_id, subsets) = loop {
        attempt += 1;
        let mut stores: Vec<FileCard> = staged.iter().map(FileCard::new).collect();
        backup::write_cards_with_pins(&old.key, &opts, &mut stores, &pin_refs, &mut rng)?;
        let header = stores
            .first_mut()
            .map(CardStore::read_header)
            .transpose()
            .map_err(|error| backup::Error::Card { card: None, error })?
            .ok_or_else(|| Failure::Input("no new card was written".to_owned()))?;
        if header.set_id == old.set_id {
            for p in &staged {
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
        let typed: Vec<Option<&[u8]>> = pin_refs.iter().map(|p| Some(*p)).collect();
        let subsets = backup::verify_read_back_with_pins(&mut stores, &typed)?;
        break (header.set_id, subsets);
    };
    // write_cards stamps the key's own KCV; the read-back compared every
    // subset with it. The old set's KCV must be the same key's.
    let new_kcv = same_kcv(&old)?;
    let paths = staging
        .commit(&names)
        .map_err(|e| Failure::Input(format!("{e}: no new card was written")))?;
    done_notes(a, &old, new_set_id, shares, subsets, "new card")?;
    io::out(&format!("KCV {new_kcv}"))?;
    for (i, path) in (1..=shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    Ok(())
}

/// The key's KCV, which must be the old set's: `write_cards` stamps the
/// key's own KCV and the read-back compared every subset with it.
fn same_kcv(old: &ReadSet) -> Result<keyward_core::Kcv, Failure> {
    let new_kcv = old.key.kcv();
    if new_kcv.bytes() != old.kcv.bytes() {
        return Err(Failure::Input(format!(
            "KCV mismatch: the old cards say {}, the rebuilt key has {new_kcv}",
            old.kcv
        )));
    }
    Ok(new_kcv)
}

/// The closing lines on stderr: the new set, the default-PIN warning, and
/// that the old set still rebuilds the key.
fn done_notes(
    a: &ReshareArgs,
    old: &ReadSet,
    new_set_id: u16,
    shares: u8,
    subsets: usize,
    default_pin_cards: &str,
) -> CmdResult {
    io::note(&format!(
        "keyward: set {:04X} reshared as set {new_set_id:04X}: {shares} cards written, {} needed; \
         read-back ok: all {subsets} sets of {} cards rebuild the key",
        old.set_id, a.threshold, a.threshold
    ))?;
    if a.default_pin {
        io::note(&format!(
            "keyward: warning: every {default_pin_cards} has the default PIN 123456: change it with `keyward card change-pin CARD`"
        ))?;
    }
    io::note(&format!(
        "keyward: the old set {:04X} still rebuilds the same key: destroy its cards, or rotate the key to retire it",
        old.set_id
    ))
}

/// `reshare --card CARD...`: the new set onto named cards (files and
/// tokens), each opened and checked before any is written (as `ceremony
/// backup --card`), none of them a card of the old set. The cards are
/// written in place (a token cannot be staged), then every K-subset is
/// read back.
fn onto_named_cards(a: &ReshareArgs) -> CmdResult {
    let n = named_card_count(&a.card)?;
    let mut opts = new_set_options(&a.new_set(), n)?;
    if a.replace {
        opts.write_mode = WriteMode::Replace;
    }
    if let Some(c) = a.card.iter().find(|c| a.cards.contains(c)) {
        return Err(Failure::Usage(format!(
            "{} is both an old card and a new card",
            c.display()
        )));
    }
    let mut pins = PinSource::new(a.pin_file.as_deref())?;
    let old = read_old_set(a, &mut pins)?;
    let mut file_source;
    let source = match a.new_pin_file.as_deref() {
        Some(f) => {
            file_source = PinSource::new(Some(f))?;
            &mut file_source
        }
        None => &mut pins,
    };
    let mut named = open_named_cards(
        &a.card,
        &a.module,
        &a.wait,
        &opts,
        a.default_pin,
        source,
        &old.identities,
    )?;
    let pin_refs: Vec<&[u8]> = named.pins.iter().map(|p| p.as_slice()).collect();
    let mut rng = keyward_core::os_rng();
    let mut attempt = 0;
    let (new_set_id, subsets) = loop {
        attempt += 1;
        backup::write_cards_with_pins(&old.key, &opts, &mut named.stores, &pin_refs, &mut rng)?;
        let header = named
            .stores
            .first_mut()
            .map(|s| s.read_header())
            .transpose()
            .map_err(|error| backup::Error::Card { card: None, error })?
            .ok_or_else(|| Failure::Input("no new card was written".to_owned()))?;
        if header.set_id == old.set_id {
            // The cards now hold this attempt's share: the next one replaces it.
            opts.write_mode = WriteMode::Replace;
            if attempt < MAX_WRITES {
                continue;
            }
            return Err(Failure::Input(format!(
                "the new set got the old set id {:04X} {MAX_WRITES} times: the new cards hold \
                 an unusable set; run the reshare again with --replace",
                old.set_id
            )));
        }
        let typed: Vec<Option<&[u8]>> = pin_refs.iter().map(|p| Some(*p)).collect();
        let subsets = backup::verify_read_back_with_pins(&mut named.stores, &typed)?;
        break (header.set_id, subsets);
    };
    let new_kcv = same_kcv(&old)?;
    done_notes(a, &old, new_set_id, n, subsets, "new card file")?;
    io::out(&format!("KCV {new_kcv}"))?;
    print_named_cards(&a.card, &named.stores, &opts)
}
