//! `keyward ceremony backup|recover` and `keyward card change-pin|copy|info`:
//! the backup-key ceremony on PIN-protected card files (`keyward::backup`).
//!
//! PINs are never taken from the command line: `--pin-file` (one line per
//! card) or stdin. On a terminal, stdin is read with echo off (`stty -echo`,
//! restored afterwards); otherwise one line per PIN is read from stdin.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, BackupOptions, Card, CardRecovery};
use keyward::superpin::Argon2Params;
use keyward_core::zeroize::Zeroizing;

use crate::io::{self, CmdResult, Failure};

impl From<backup::Error> for Failure {
    fn from(e: backup::Error) -> Self {
        Self::Input(e.to_string())
    }
}

/// Exit codes, shared by every subcommand here.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 bad input, wrong PIN, blocked, damaged or \
foreign card, failed read-back or KCV mismatch (one line `keyward: error: ...` on stderr); \
2 usage error.";

#[derive(Debug, Subcommand)]
pub enum CeremonyCommand {
    /// Generate a backup key, split it k-of-n onto card files, read them back.
    ///
    /// Writes DIR/card-1.kwcard .. DIR/card-N.kwcard (refuses to overwrite),
    /// every card with PIN 123456 (change it with `keyward card change-pin`).
    /// Right after writing, every set of K cards is read back and must rebuild
    /// the key with the same KCV. Prints on stdout `KCV XXXXXX`, then one line
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
    /// off, otherwise one line per card. A wrong PIN is written back into
    /// the card file (its counter); three in a row block the card. Prints the
    /// key as lowercase hex on stdout and `KCV XXXXXX` on stderr.
    ///
    /// Exit codes: 0 success; 1 wrong PIN, blocked, damaged or foreign card,
    /// the same card twice, too few cards, KCV mismatch (one line
    /// `keyward: error: ...` on stderr); 2 usage error.
    Recover(RecoverArgs),
}

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Change a card's PIN (re-seals its share under the new PIN).
    ///
    /// Reads the old PIN, then the new PIN, from stdin (one line each), or on
    /// a terminal prompts with echo off (new PIN twice). The new PIN has 6 to
    /// 16 digits and is not trivial (not 123456, 111111, 654321 ...). A wrong
    /// old PIN counts as a try and is written back into the card file.
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
    /// Argon2id memory of the PIN key in KiB (default OWASP's; lower only
    /// for tests).
    #[arg(long, default_value_t = Argon2Params::OWASP.m_cost_kib)]
    argon2_memory: u32,
    /// Argon2id passes (default OWASP's).
    #[arg(long, default_value_t = Argon2Params::OWASP.t_cost)]
    argon2_passes: u32,
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
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CardPathArgs {
    /// The card file.
    card: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CopyArgs {
    /// The card file to copy.
    card: PathBuf,
    /// The new card file (must not exist).
    new: PathBuf,
}

pub fn run_ceremony(cmd: CeremonyCommand) -> CmdResult {
    match cmd {
        CeremonyCommand::Backup(a) => backup_cmd(&a),
        CeremonyCommand::Recover(a) => recover_cmd(&a),
    }
}

pub fn run_card(cmd: CardCommand) -> CmdResult {
    match cmd {
        CardCommand::ChangePin(a) => change_pin_cmd(&a.card),
        CardCommand::Copy(a) => copy_cmd(&a.card, &a.new),
        CardCommand::Info(a) => info_cmd(&a.card),
    }
}

// ---- files ----

pub(crate) fn read_card(path: &Path, no: usize) -> Result<Card, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Input(format!("reading card {}: {e}", path.display())))?;
    Ok(backup::parse_numbered(&bytes, no)?)
}

/// Writes a card file through a temporary file and a rename.
pub(crate) fn save_card(path: &Path, card: &Card) -> CmdResult {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, card.to_bytes())
        .map_err(|e| Failure::Input(format!("writing card {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| Failure::Input(format!("writing card {}: {e}", path.display())))?;
    Ok(())
}

pub(crate) fn create_new(path: &Path, bytes: &[u8]) -> CmdResult {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::Input(format!("creating {}: {e}", path.display())))?;
    f.write_all(bytes)?;
    Ok(())
}

// ---- PINs ----

/// Where PINs come from: a file's lines, stdin's lines, or the terminal.
enum PinSource {
    Lines(std::vec::IntoIter<Zeroizing<String>>),
    Stdin,
    Terminal,
}

impl PinSource {
    fn new(pin_file: Option<&PathBuf>) -> Result<Self, Failure> {
        if let Some(path) = pin_file {
            let text = io::read_secret_file(path, "the PIN file")?;
            let lines: Vec<Zeroizing<String>> = text
                .lines()
                .map(|l| Zeroizing::new(l.trim().to_owned()))
                .collect();
            return Ok(Self::Lines(lines.into_iter()));
        }
        if std::io::stdin().is_terminal() {
            Ok(Self::Terminal)
        } else {
            Ok(Self::Stdin)
        }
    }

    fn next(&mut self, prompt: &str) -> Result<Zeroizing<String>, Failure> {
        match self {
            Self::Lines(it) => it
                .next()
                .ok_or_else(|| Failure::Input(format!("the PIN file has no line for {prompt}"))),
            Self::Stdin => {
                let mut line = Zeroizing::new(String::new());
                std::io::stdin().lock().read_line(&mut line)?;
                if line.is_empty() {
                    return Err(Failure::Input(format!(
                        "expected {prompt} on stdin, found nothing"
                    )));
                }
                Ok(Zeroizing::new(line.trim().to_owned()))
            }
            Self::Terminal => read_no_echo(prompt),
        }
    }
}

/// Prompts on stderr and reads one line from the terminal with echo off.
/// `stty` (POSIX) switches echo; if it is missing the line is read with echo
/// and a warning is printed.
fn read_no_echo(prompt: &str) -> Result<Zeroizing<String>, Failure> {
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("{prompt}: ");
    let silent = stty("-echo");
    if !silent {
        eprint!("(warning: echo could not be turned off) ");
    }
    let mut line = Zeroizing::new(String::new());
    let r = std::io::stdin().lock().read_line(&mut line);
    if silent {
        stty("echo");
        eprintln!();
    }
    r?;
    Ok(Zeroizing::new(line.trim().to_owned()))
}

// ---- commands ----

fn backup_cmd(a: &BackupArgs) -> CmdResult {
    let mut opts = BackupOptions::new(a.threshold, a.shares)?;
    opts.label_prefix.clone_from(&a.label);
    opts.argon2 = Argon2Params {
        m_cost_kib: a.argon2_memory,
        t_cost: a.argon2_passes,
        p_cost: 1,
    };
    opts.argon2
        .validate()
        .map_err(|e| Failure::Input(format!("Argon2 parameters: {e}")))?;
    let paths: Vec<PathBuf> = (1..=a.shares)
        .map(|i| a.out.join(format!("card-{i}.kwcard")))
        .collect();
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    let mut rng = keyward_core::os_rng();
    let made = backup::create(&opts, &mut rng)?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure::Input(format!("creating {}: {e}", a.out.display())))?;
    for (path, card) in paths.iter().zip(&made.cards) {
        create_new(path, &card.to_bytes())?;
    }
    // Read back from the files themselves, as written.
    let mut from_files = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        from_files.push(read_card(path, i + 1)?);
    }
    let subsets = backup::verify_read_back(&from_files, backup::DEFAULT_PIN)?;
    eprintln!(
        "keyward: {} cards written, {} needed; read-back ok: all {subsets} sets of {} cards rebuild the key",
        a.shares, a.threshold, a.threshold
    );
    eprintln!("keyward: every card has PIN 123456: change it with `keyward card change-pin CARD`");
    io::out(&format!("KCV {}", made.kcv))?;
    for (path, card) in paths.iter().zip(&made.cards) {
        io::out(&format!("{}\t{}", path.display(), card.label()))?;
    }
    Ok(())
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    let mut pins = PinSource::new(a.pin_file.as_ref())?;
    let mut rec = CardRecovery::new();
    for (i, path) in a.cards.iter().enumerate() {
        let no = i + 1;
        if rec.progress().needed > 0 && rec.progress().is_complete() {
            eprintln!(
                "keyward: card {no} ({}) not needed: enough cards read",
                path.display()
            );
            continue;
        }
        let mut card = read_card(path, no)?;
        eprintln!(
            "keyward: card {no}: {} (set {:04X})",
            card.label(),
            card.set_id()
        );
        let pin = pins.next(&format!("PIN for card {no} ({})", card.label()))?;
        let before = card.wrong_pins();
        let r = rec.add(&mut card, pin.as_bytes());
        if card.wrong_pins() != before {
            save_card(path, &card)?;
        }
        let progress = r?;
        eprintln!("keyward: {progress}");
    }
    let key = rec.finish()?;
    io::out(&key.expose_hex())?;
    eprintln!("KCV {}", key.kcv());
    Ok(())
}

fn change_pin_cmd(path: &Path) -> CmdResult {
    let mut card = read_card(path, 0)?;
    let terminal = std::io::stdin().is_terminal();
    let mut pins = PinSource::new(None)?;
    let old = pins.next(&format!("current PIN of {}", card.label()))?;
    let new = pins.next("new PIN (6 to 16 digits)")?;
    if terminal {
        let again = pins.next("new PIN again")?;
        if *again != *new {
            return Err(Failure::Input(
                "the two new PINs differ: PIN not changed".into(),
            ));
        }
    }
    let before = card.wrong_pins();
    let mut rng = keyward_core::os_rng();
    let r = card.change_pin(old.as_bytes(), new.as_bytes(), &mut rng);
    if r.is_ok() || card.wrong_pins() != before {
        save_card(path, &card)?;
    }
    r?;
    eprintln!("keyward: PIN of {} changed", card.label());
    Ok(())
}

/// Copies a card file one-to-one after checking it parses.
pub(crate) fn copy_card(from: &Path, to: &Path) -> Result<Card, Failure> {
    let card = read_card(from, 0)?;
    create_new(to, &card.duplicate().to_bytes())?;
    Ok(card)
}

fn copy_cmd(from: &Path, to: &Path) -> CmdResult {
    let card = copy_card(from, to)?;
    eprintln!(
        "keyward: {} copied to {} ({}, KCV {})",
        from.display(),
        to.display(),
        card.label(),
        card.kcv_hex()
    );
    Ok(())
}

fn info_cmd(path: &Path) -> CmdResult {
    let card = read_card(path, 0)?;
    let p = card.argon2();
    io::out(&format!("label: {}", card.label()))?;
    io::out(&format!("set id: {:04X}", card.set_id()))?;
    io::out(&format!(
        "card: {} of {} ({} needed)",
        card.number(),
        card.shares(),
        card.threshold()
    ))?;
    io::out(&format!("KCV: {}", card.kcv_hex()))?;
    io::out(&format!(
        "tries left: {}{}",
        card.tries_left(),
        if card.is_blocked() { " (blocked)" } else { "" }
    ))?;
    io::out(&format!(
        "argon2id: m={} KiB, t={}, p={}",
        p.m_cost_kib, p.t_cost, p.p_cost
    ))?;
    Ok(())
}
