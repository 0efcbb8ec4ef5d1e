//! `keyward ceremony backup|recover`: the backup-key ceremony on
//! PIN-protected card files (`keyward::backup`). The command opens the card
//! files as stores (`FileCard`) and hands them to the facade, which writes,
//! reads back and recovers over the card-storage trait; each card file counts
//! its own PIN tries. `keyward card ...` is in `cmd_card.rs`.
//!
//! PINs are never taken from the command line: `--pin-file` (one line per
//! card) or stdin. On a terminal, stdin is read with echo off (`rpassword`);; otherwise one line per PIN is read from stdin.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, BackupOptions, CardRecovery, CardStore, FileCard};
use keyward::superpin::Argon2Params;
use keyward_core::zeroize::Zeroizing;

use crate::io::{self, CmdResult, Failure};

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
    /// Write a new set of the same backup key: K cards of the old set
    /// rebuild it, a new set (new set id, new K and N) is written to DIR
    /// and read back.
    ///
    /// Old cards are read as by `ceremony recover` (--pin-file or stdin);
    /// the new cards get their PINs as `ceremony backup` sets them. Prints on
    /// stdout `KCV XXXXXX` (the same key's), then one line per new card: its
    /// path, a tab, its label. The old set still rebuilds the key until the
    /// key itself is rotated.
    Reshare(crate::cmd_reshare::ReshareArgs),
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
    #[command(flatten)]
    seal_to: crate::age_delivery::SealTo,
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
    #[command(flatten)]
    into: crate::cmd_pkcs11::IntoToken,
}

pub fn run(cmd: CeremonyCommand) -> CmdResult {
    match cmd {
        CeremonyCommand::Backup(a) => backup_cmd(&a),
        CeremonyCommand::Recover(a) => recover_cmd(&a),
        CeremonyCommand::Reshare(a) => crate::cmd_reshare::run(&a),
    }
}

// ---- PINs ----

/// Where PINs come from: a file's lines, stdin's lines, or the terminal.
pub enum PinSource {
    Lines(std::vec::IntoIter<Zeroizing<String>>),
    Stdin,
    Terminal,
}

impl PinSource {
    pub fn new(pin_file: Option<&PathBuf>) -> Result<Self, Failure> {
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

    pub fn next(&mut self, prompt: &str) -> Result<Zeroizing<String>, Failure> {
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

/// Prompts on the terminal and reads one line with echo off (`rpassword`).
fn read_no_echo(prompt: &str) -> Result<Zeroizing<String>, Failure> {
    let line = io::prompt_no_echo(&format!("{prompt}: "), prompt)?;
    Ok(Zeroizing::new(line.trim().to_owned()))
}

// ---- commands ----

fn card_paths(dir: &Path, n: u8) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| dir.join(format!("card-{i}.kwcard")))
        .collect()
}

fn backup_cmd(a: &BackupArgs) -> CmdResult {
    let mut opts =
        BackupOptions::new(a.threshold, a.shares).map_err(|e| Failure::Usage(e.to_string()))?;
    opts.label_prefix.clone_from(&a.label);
    opts.argon2 = Argon2Params {
        m_cost_kib: a.argon2_memory,
        t_cost: a.argon2_passes,
        p_cost: 1,
    };
    opts.argon2
        .validate()
        .map_err(|e| Failure::Input(format!("Argon2 parameters: {e}")))?;
    let paths = card_paths(&a.out, a.shares);
    // Checked for all cards before any is written (each write refuses too).
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    let delivery = a.seal_to.prepare(&a.out, paths.len())?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure::Input(format!("creating {}: {e}", a.out.display())))?;
    let mut stores: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
    let mut rng = keyward_core::os_rng();
    // Writes each card file, then reads every k-subset back from the files.
    let made = backup::create_on(&opts, &mut stores, &mut rng)?;
    io::note(&format!(
        "keyward: {} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        a.shares, a.threshold, made.subsets, a.threshold
    ))?;
    io::note("keyward: every card has PIN 123456: change it with `keyward card change-pin CARD`")?;
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, path) in (1..=a.shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    if let Some(d) = delivery {
        d.deliver(&mut stores, backup::DEFAULT_PIN)?;
    }
    Ok(())
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    // The token first: a missing token or a taken label costs no card try.
    let into = a.into.open()?;
    let mut pins = PinSource::new(a.pin_file.as_ref())?;
    let mut rec = CardRecovery::new();
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
        let mut card = FileCard::new(path);
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        io::note(&format!(
            "keyward: card {no}: {} (set {:04X})",
            header.label, header.set_id
        ))?;
        cards_kcv.get_or_insert(header.kcv);
        let pin = pins.next(&format!("PIN for card {no} ({})", header.label))?;
        let progress = rec.add(&mut card, Some(pin.as_bytes()))?;
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
