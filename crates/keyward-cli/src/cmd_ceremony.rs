//! `keyward ceremony backup|recover`: the backup-key ceremony on
//! PIN-protected card files (`keyward::backup`). The command opens the card
//! files as stores (`FileCard`) and hands them to the facade, which writes,
//! reads back and recovers over the card-storage trait; each card file counts
//! its own PIN tries. `keyward card ...` is in `cmd_card.rs`.
//!
//! PINs are never taken from the command line: `--pin-file` (one line per
//! card) or stdin; on a terminal, a prompt per PIN with echo off
//! (`card_pin.rs`, which also refuses what cannot be a PIN before a card
//! counts a try). `ceremony backup` writes the set into a staging directory
//! and moves it into place after the read-back (`staging.rs`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, BackupOptions, CardRecovery, CardStore, FileCard};
use keyward::superpin::Argon2Params;
use subtle::ConstantTimeEq;

use crate::card_pin::{Pin, PinSource};
use crate::io::{self, CmdResult, Failure};
use crate::staging::Staging;

impl From<backup::Error> for Failure {
    fn from(e: backup::Error) -> Self {
        Self::Input(e.to_string())
    }
}

/// Exit codes, shared by every subcommand here and in `cmd_card.rs`.
pub const EXIT_CODES: &str = "Exit codes: 0 success; 1 bad input, wrong PIN, blocked, damaged or \
foreign card, failed read-back or KCV mismatch (one line `keyward: error: ...` on stderr); \
2 usage error.";

#[derive(Debug, Subcommand)]
pub enum CeremonyCommand {
    /// Generate a backup key, split it k-of-n onto card files, read them back.
    ///
    /// Writes DIR/card-1.kwcard .. DIR/card-N.kwcard (refuses to overwrite),
    /// files mode 0600, a directory it creates 0700. Each card gets its own
    /// PIN as it is written: typed twice per card at a terminal (echo off),
    /// or one line per card from --pin-file (or stdin); 6 to 16 digits, not
    /// trivial. The appliance default 123456 on every card only with
    /// --default-pin. The set is written into a private staging directory,
    /// every set of K cards is read back there and must rebuild the key with
    /// the same KCV, and only then are the cards moved into DIR; on any
    /// failure nothing is left. Prints on stdout `KCV XXXXXX`, then one line
    /// per card: its path, a tab, its label. The key itself is not printed.
    ///
    /// Exit codes: 0 success; 1 bad input or failed read-back (one line
    /// `keyward: error: ...` on stderr); 2 usage error.
    Backup(BackupArgs),
    /// Rebuild the backup key from card files, reading each with its PIN.
    ///
    /// Cards are read in the order given (numbered from 1 in messages) until
    /// K cards are read; progress goes to stderr ("card 2 of 3 read; 1 more
    /// needed"). PINs come from --pin-file (one line per card, in the order of
    /// the cards) or from stdin: on a terminal a prompt per card with echo
    /// off, otherwise one line per card. Each card file counts the try before
    /// its PIN is checked; three wrong PINs in a row block it. Prints the
    /// key as lowercase hex on stdout and `KCV XXXXXX` on stderr.
    ///
    /// With --into URI the key is created in that PKCS#11 token instead
    /// (non-extractable unless --extractable): the token is opened and the
    /// label checked before any card is read, the token-computed KCV must
    /// equal the cards' KCV, stdout gets `KCV XXXXXX` and the key is never
    /// printed.
    ///
    /// Exit codes: 0 success; 1 wrong PIN, blocked, damaged or foreign card,
    /// the same card twice, too few cards, KCV mismatch (one line
    /// `keyward: error: ...` on stderr); 2 usage error.
    Recover(RecoverArgs),
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct BackupArgs {
    /// Cards needed to rebuild the key (K).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    threshold: u8,
    /// Cards written (N, K..=16).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    shares: u8,
    /// Directory for the card files (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Label prefix: cards are labelled "PREFIX card i of N".
    #[arg(long, default_value = "backup")]
    label: String,
    /// Argon2id memory of the PIN key in KiB [default: 19456, OWASP's, also
    /// the least allowed without --weak-argon2-for-tests].
    #[arg(long)]
    argon2_memory: Option<u32>,
    /// Argon2id passes [default: 2, OWASP's, also the least allowed without
    /// --weak-argon2-for-tests].
    #[arg(long)]
    argon2_passes: Option<u32>,
    /// Tests and demos only: allow Argon2id below the floor (default then
    /// 64 KiB, 1 pass). Every card written is marked as a test card, a
    /// warning is printed, and reading such a card needs this flag again.
    #[arg(long)]
    weak_argon2_for_tests: bool,
    /// File with one new PIN per line, card 1 first.
    #[arg(long, conflicts_with = "default_pin")]
    pin_file: Option<PathBuf>,
    /// Give every card the appliance default PIN 123456 (to be changed with
    /// `keyward card change-pin`); `ceremony recover` and `card info` warn
    /// while a card has it.
    #[arg(long)]
    default_pin: bool,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct RecoverArgs {
    /// Card files, in the order they are read.
    #[arg(required = true)]
    cards: Vec<PathBuf>,
    /// File with one PIN per line, in the order of the cards.
    #[arg(long)]
    pin_file: Option<PathBuf>,
    /// Tests and demos only: read test cards (Argon2id below the floor),
    /// with a warning per card; refused without it.
    #[arg(long)]
    weak_argon2_for_tests: bool,
    #[command(flatten)]
    into: crate::cmd_pkcs11::IntoToken,
}

pub fn run(cmd: CeremonyCommand) -> CmdResult {
    match cmd {
        CeremonyCommand::Backup(a) => backup_cmd(&a),
        CeremonyCommand::Recover(a) => recover_cmd(&a),
    }
}

/// Warns about a card's header (`card` is its number in a recovery): a
/// card that still has the default PIN, and a test card (Argon2id below the
/// floor). A test card is refused unless `allow_weak` (the recovery
/// refuses it too; this names the flag).
///
/// # Errors
/// [`Failure::Input`] for a test card without `allow_weak`;
/// [`Failure::Output`] when stderr cannot be written.
pub fn warn_about(h: &backup::CardHeader, card: Option<usize>, allow_weak: bool) -> CmdResult {
    let name = card.map_or_else(
        || format!("the card ({})", h.label),
        |n| format!("card {n} ({})", h.label),
    );
    if h.weak_argon2 {
        let p = h.argon2.unwrap_or(Argon2Params::OWASP);
        let what = format!(
            "{name} is a test card: Argon2id {} KiB, {} pass(es), below the floor of {} KiB and {} passes",
            p.m_cost_kib,
            p.t_cost,
            backup::CARD_ARGON2_FLOOR.m_cost_kib,
            backup::CARD_ARGON2_FLOOR.t_cost
        );
        if !allow_weak {
            return Err(Failure::Input(format!(
                "{what}: refused (tests only: --weak-argon2-for-tests); no PIN was tried"
            )));
        }
        io::note(&format!("keyward: warning: {what}"))?;
    }
    if h.default_pin == Some(true) {
        io::note(&format!(
            "keyward: warning: {name} still has the default PIN 123456: change it with `keyward card change-pin CARD`"
        ))?;
    }
    Ok(())
}

/// Opens the card named by a command-line argument (a card file). Every
/// command that takes a card goes through here.
pub fn open_card(arg: &Path) -> FileCard {
    FileCard::new(arg)
}

// ---- commands ----

/// The new PINs of the `n` cards of a backup, each checked against the new
/// PIN rule as it is entered (asked twice at a terminal), before any card is
/// written.
fn new_pins(a: &BackupArgs, opts: &BackupOptions) -> Result<Vec<Pin>, Failure> {
    let n = a.shares;
    if a.default_pin {
        return Ok((0..n)
            .map(|_| Pin::new(backup::DEFAULT_PIN.to_vec()))
            .collect());
    }
    let mut source = PinSource::new(a.pin_file.as_deref())?;
    let mut pins = Vec::with_capacity(usize::from(n));
    for i in 1..=n {
        let what = format!("new PIN for card {i} ({})", opts.label(i));
        let pin = source.next(&what)?;
        let text = std::str::from_utf8(&pin).unwrap_or_default();
        backup::NEW_PIN_POLICY
            .check(text)
            .map_err(|e| Failure::Input(format!("{what}: {e}: no card was written")))?;
        if source.is_terminal() {
            let again = source.next(&format!("{what}, again"))?;
            if !bool::from(again.as_slice().ct_eq(pin.as_slice())) {
                return Err(Failure::Input(format!(
                    "{what}: the two entries differ: no card was written"
                )));
            }
        }
        pins.push(pin);
    }
    Ok(pins)
}

fn backup_cmd(a: &BackupArgs) -> CmdResult {
    let mut opts =
        BackupOptions::new(a.threshold, a.shares).map_err(|e| Failure::Usage(e.to_string()))?;
    opts.label_prefix.clone_from(&a.label);
    let base = if a.weak_argon2_for_tests {
        opts.clone().weak_argon2_for_tests()
    } else {
        opts.clone()
    };
    opts.argon2 = Argon2Params {
        m_cost_kib: a.argon2_memory.unwrap_or(base.argon2.m_cost_kib),
        t_cost: a.argon2_passes.unwrap_or(base.argon2.t_cost),
        p_cost: 1,
    };
    opts.allow_weak_argon2 = a.weak_argon2_for_tests;
    opts.argon2
        .validate()
        .map_err(|e| Failure::Input(format!("Argon2 parameters: {e}")))?;
    if !backup::meets_card_floor(&opts.argon2) {
        if !a.weak_argon2_for_tests {
            return Err(Failure::Usage(format!(
                "{} (--weak-argon2-for-tests)",
                backup::Error::Argon2Floor { found: opts.argon2 }
            )));
        }
        io::note(&format!(
            "keyward: warning: test cards: Argon2id {} KiB, {} pass(es) is below the floor of {} KiB and {} passes; a copy of such a card falls to a search of every 6-digit PIN in minutes. Never hand these cards out.",
            opts.argon2.m_cost_kib,
            opts.argon2.t_cost,
            backup::CARD_ARGON2_FLOOR.m_cost_kib,
            backup::CARD_ARGON2_FLOOR.t_cost
        ))?;
    }
    let names: Vec<String> = (1..=a.shares).map(|i| format!("card-{i}.kwcard")).collect();
    // Checked for all cards before any PIN is asked (the move into place
    // refuses too).
    if let Some(p) = names
        .iter()
        .map(|n| a.out.join(n))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
    {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    let pins = new_pins(a, &opts)?;
    let (staging, abandoned) = Staging::new(&a.out).map_err(|e| Failure::Input(e.to_string()))?;
    for dir in abandoned {
        io::note(&format!(
            "keyward: removed {}, left by a backup that did not finish (its cards were never handed out)",
            dir.display()
        ))?;
    }
    let mut stores: Vec<FileCard> = names
        .iter()
        .map(|n| FileCard::new(staging.path().join(n)))
        .collect();
    let mut rng = keyward_core::os_rng();
    let pin_refs: Vec<&[u8]> = pins.iter().map(|p| p.as_slice()).collect();
    // Writes each card file, then reads every k-subset back from the files.
    let made = backup::create_on_with_pins(&opts, &mut stores, &pin_refs, &mut rng)?;
    drop(stores);
    let paths = staging
        .commit(&names)
        .map_err(|e| Failure::Input(format!("{e}: no card was written")))?;
    io::note(&format!(
        "keyward: {} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        a.shares, a.threshold, made.subsets, a.threshold
    ))?;
    if a.default_pin {
        io::note(
            "keyward: warning: every card has the default PIN 123456: change it with `keyward card change-pin CARD`",
        )?;
    }
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, path) in (1..=a.shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    Ok(())
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    // The token first: a missing token or a taken label costs no card try.
    let into = a.into.open()?;
    let mut pins = PinSource::new(a.pin_file.as_deref())?;
    let mut rec = CardRecovery::new();
    if a.weak_argon2_for_tests {
        rec.allow_weak_argon2_for_tests();
    }
    let mut cards_kcv = None;
    for path in &a.cards {
        let no = rec.next_number();
        if rec.progress().is_complete() {
            io::note(&format!(
                "keyward: card {no} ({}) not needed: enough cards read",
                path.display()
            ))?;
            rec.skip();
            continue;
        }
        let mut card = open_card(path);
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        io::note(&format!(
            "keyward: card {no}: {} (set {:04X})",
            header.label, header.set_id
        ))?;
        warn_about(&header, Some(no.get()), a.weak_argon2_for_tests)?;
        cards_kcv.get_or_insert(header.kcv);
        let pin = pins.next(&format!("PIN for card {no} ({})", header.label))?;
        let progress = rec.add(&mut card, Some(pin.as_slice()))?;
        io::note(&format!("keyward: {progress}"))?;
    }
    let key = rec.finish()?;
    if let (Some(into), Some(kcv)) = (into, cards_kcv) {
        return into.create(&keyward_core::AesKey::from(key), kcv);
    }
    io::out(&key.expose_hex())?;
    io::note(&format!("KCV {}", key.kcv()))?;
    Ok(())
}
