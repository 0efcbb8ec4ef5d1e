//! `keyward ceremony backup|recover`: the backup-key ceremony on
//! PIN-protected card files (`keyward::backup`). The command opens the card
//! files as stores (`FileCard`) and hands them to the facade, which writes,
//! reads back and recovers over the card-storage trait; each card file counts
//! its own PIN tries. `keyward card ...` is in `cmd_card.rs`.
//!
//! PINs are never taken from the command line: `--pin-file` (one line per
//! card) or stdin. On a terminal, stdin is read with echo off (`io::prompt_no_echo`); otherwise one line per PIN is read from stdin.

use std::io::IsTerminal;
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
    /// With --card CARD (repeated; N = their number) the cards are named
    /// instead: card file paths and pkcs11: URIs of tokens, mixed as needed.
    /// A token holds one share, behind its own user PIN (counted by the
    /// token); a token named twice, or any card already holding a share
    /// (unless --replace), is refused before anything is written.
    ///
    /// Exit codes: 0 success; 1 bad input or failed read-back (one line
    /// `keyward: error: ...` on stderr); 2 usage error.
    Backup(BackupArgs),
    /// Rebuild the backup key from cards (files or pkcs11: token URIs),
    /// reading each with its PIN.
    ///
    /// Cards are read in the order given (numbered from 1 in messages) until
    /// K cards are read; progress goes to stderr ("card 2 of 3 read; 1 more
    /// needed"). PINs come from --pin-file (one line per card, in the order of
    /// the cards) or from stdin: on a terminal a prompt per card with echo
    /// off, otherwise one line per card. A token card whose URI has
    /// pin-source= takes its PIN from there (no line), one on a PIN-pad
    /// reader from the pad; a token counts its own tries. Each card file
    /// counts the try before its PIN is checked; three wrong PINs in a row
    /// block it. Prints the
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
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16),
          required_unless_present = "card", conflicts_with = "card", requires = "out")]
    shares: Option<u8>,
    /// Directory for the card files (created if missing).
    #[arg(long, required_unless_present = "card", conflicts_with = "card")]
    out: Option<PathBuf>,
    /// A card to write, instead of --shares/--out: a card file path or a
    /// pkcs11: URI naming a token (one share per token; files and tokens may
    /// be mixed). Repeat for each card: N is the number of --card.
    #[arg(long, value_name = "CARD")]
    card: Vec<PathBuf>,
    /// With --card: replace the share a card already holds (a token gets
    /// the new share object before the old one is deleted). Without it a
    /// card holding a share is refused, naming it, before any is written.
    #[arg(long, requires = "card")]
    replace: bool,
    /// With --card: user PINs of the token cards whose URI has no
    /// pin-source=, one line per such token in --card order. Without it,
    /// stdin (a prompt with echo off on a terminal).
    #[arg(long, value_name = "FILE", requires = "card")]
    pin_file: Option<PathBuf>,
    #[command(flatten)]
    module: crate::card_location::ModuleArg,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
    /// Label prefix: cards are labelled "PREFIX card i of N" (printable
    /// ASCII; the whole label at most 64 bytes).
    #[arg(long, default_value = "backup", value_parser = parse_label_prefix)]
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
    /// Cards, in the order they are read: card file paths or pkcs11: URIs
    /// naming tokens (library from module-path=, else
    /// $KEYWARD_PKCS11_MODULE; PIN from pin-source=, else --pin-file/stdin).
    #[arg(required = true)]
    cards: Vec<PathBuf>,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
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
                let line = io::read_stdin_line(prompt)?.ok_or_else(|| {
                    Failure::Input(format!("expected {prompt} on stdin, found nothing"))
                })?;
                Ok(Zeroizing::new(line.trim().to_owned()))
            }
            Self::Terminal => read_no_echo(prompt),
        }
    }
}

/// Prompts on the terminal and reads one line with echo off (`io::prompt_no_echo`).
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
    let (Some(shares), Some(out)) = (a.shares, a.out.as_ref()) else {
        return backup_onto_cards(a);
    };
    let mut opts =
        BackupOptions::new(a.threshold, shares).map_err(|e| Failure::Usage(e.to_string()))?;
    opts.label_prefix.clone_from(&a.label);
    opts.argon2 = Argon2Params {
        m_cost_kib: a.argon2_memory,
        t_cost: a.argon2_passes,
        p_cost: 1,
    };
    opts.argon2
        .validate()
        .map_err(|e| Failure::Usage(argon2_args_error(a, &e)))?;
    let paths = card_paths(out, shares);
    // Checked for all cards before any is written (each write refuses too).
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    let delivery = a.seal_to.prepare(out, paths.len())?;
    std::fs::create_dir_all(out)
        .map_err(|e| Failure::Input(format!("creating {}: {e}", out.display())))?;
    let mut stores: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
    let mut rng = keyward_core::os_rng();
    // Writes each card file, then reads every k-subset back from the files.
    let made = backup::create_on(&opts, &mut stores, &mut rng)?;
    io::note(&format!(
        "keyward: {} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        shares, a.threshold, made.subsets, a.threshold
    ))?;
    io::note("keyward: every card has PIN 123456: change it with `keyward card change-pin CARD`")?;
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, path) in (1..=shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    if let Some(d) = delivery {
        d.deliver(&mut stores, backup::DEFAULT_PIN)?;
    }
    Ok(())
}

/// Longest `--label` prefix: the label "PREFIX card 16 of 16" must fit the
/// card's 64 printable ASCII bytes.
const MAX_LABEL_PREFIX: usize = 64 - " card 16 of 16".len();

/// `--label`: printable ASCII of at most [`MAX_LABEL_PREFIX`] bytes; a
/// character that is not names its position (in characters, from 1).
fn parse_label_prefix(s: &str) -> Result<String, String> {
    if let Some((position, c)) = (1usize..)
        .zip(s.chars())
        .find(|(_, c)| !(' '..='~').contains(c))
    {
        let class = if c.is_ascii() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return Err(format!(
            "character {position} is {class}: card labels are printable ASCII (U+0020..U+007E)"
        ));
    }
    if s.is_empty() || s.len() > MAX_LABEL_PREFIX {
        return Err(format!(
            "expected 1 to {MAX_LABEL_PREFIX} characters (the label \"PREFIX card i of N\" is at most 64), found {}",
            s.len()
        ));
    }
    Ok(s.to_owned())
}

/// `--argon2-memory`/`--argon2-passes` refused: the allowed range of the
/// option at fault, given the other one (memory × passes has a budget).
fn argon2_args_error(a: &BackupArgs, e: &keyward_pinhash::Error) -> String {
    let budget = keyward_pinhash::Limits::DEFAULT.max_work;
    let (m, t) = (a.argon2_memory, a.argon2_passes);
    let max_m = budget / u64::from(t.max(1));
    let max_t = budget / u64::from(m.max(1));
    match e {
        keyward_pinhash::Error::CostOutOfRange {
            part: keyward_pinhash::PhcPart::TimeCost,
            min,
            ..
        } => format!(
            "--argon2-passes out of range: expected {min}..={max_t} with --argon2-memory {m}, found {t}"
        ),
        keyward_pinhash::Error::CostOutOfRange {
            part: keyward_pinhash::PhcPart::MemoryCost,
            min,
            ..
        } => format!(
            "--argon2-memory out of range: expected {min}..={max_m} KiB with --argon2-passes {t}, found {m}"
        ),
        keyward_pinhash::Error::CostOverBudget { .. } => format!(
            "--argon2-memory {m} KiB × --argon2-passes {t} is over the budget of {budget} KiB·passes: \
             with --argon2-passes {t}, --argon2-memory may be 8..={max_m} KiB; \
             with --argon2-memory {m}, --argon2-passes may be 1..={max_t}"
        ),
        e => format!("Argon2 parameters: {e}"),
    }
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    // The token first: a missing token or a taken label costs no card try.
    let into = a.into.open()?;
    let mut pins = PinSource::new(a.pin_file.as_ref())?;
    let mut opener = crate::card_location::Opener::new(None, &a.wait);
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
        let mut card = opener.open(path, no.get(), a.cards.len(), None)?.store;
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        io::note(&format!(
            "keyward: card {no}: {} (set {:04X})",
            header.label, header.set_id
        ))?;
        cards_kcv.get_or_insert(header.kcv);
        let pin = crate::card_location::pin_for(
            &*card,
            &format!("PIN for card {no} ({})", header.label),
            &mut |p| pins.next(p),
        )?;
        let progress = rec.add(&mut card, pin.as_deref().map(Vec::as_slice))?;
        io::note(&format!("keyward: {progress}"))?;
    }
    let key = rec.finish()?;
    if let (Some(into), Some(kcv)) = (into, cards_kcv) {
        return into.create(&keyward_core::AesKey::from(key), kcv);
    }
    io::out_secret(&key.expose_hex())?;
    io::note(&format!("KCV {}", key.kcv()))?;
    Ok(())
}

/// `backup --card CARD...`: one share per named card (files and tokens).
/// Every card is opened and checked (same token twice, a share already
/// there) before any is written; the facade writes and reads back.
fn backup_onto_cards(a: &BackupArgs) -> CmdResult {
    use keyward::backup::{StoreError, WriteMode};
    let n = u8::try_from(a.card.len())
        .ok()
        .filter(|n| *n <= 16)
        .ok_or_else(|| {
            Failure::Usage(format!("expected 2 to 16 --card, found {}", a.card.len()))
        })?;
    let mut opts = BackupOptions::new(a.threshold, n).map_err(|e| Failure::Usage(e.to_string()))?;
    opts.label_prefix.clone_from(&a.label);
    opts.argon2 = Argon2Params {
        m_cost_kib: a.argon2_memory,
        t_cost: a.argon2_passes,
        p_cost: 1,
    };
    opts.argon2
        .validate()
        .map_err(|e| Failure::Input(format!("Argon2 parameters: {e}")))?;
    if a.replace {
        opts.write_mode = WriteMode::Replace;
    }
    let mut pins = PinSource::new(a.pin_file.as_ref())?;
    let mut opener = crate::card_location::Opener::new(Some(&a.module), &a.wait);
    let mut stores = Vec::with_capacity(a.card.len());
    let mut seen: Vec<String> = Vec::new();
    let mut files = 0;
    for (i, name) in a.card.iter().enumerate() {
        let no = i + 1;
        let opened = opener.open(name, no, a.card.len(), Some(&mut |p| pins.next(p)))?;
        if let Some(first) = seen.iter().position(|s| *s == opened.identity) {
            return Err(Failure::Input(format!(
                "card {no} ({}) is the same card as card {}: one share per card; nothing was written",
                opened.store.describe(),
                first + 1
            )));
        }
        seen.push(opened.identity);
        files += usize::from(!opened.token);
        stores.push(opened.store);
    }
    for (i, store) in stores.iter_mut().enumerate() {
        let no = i + 1;
        if !a.replace {
            match store.read_header() {
                Err(StoreError::Empty { .. } | StoreError::Absent { .. }) => {}
                Ok(h) => {
                    return Err(Failure::Input(format!(
                        "card {no} ({}) already holds a share ({}, set {:04X}): refusing to \
                         overwrite it; give --replace to replace it (nothing was written)",
                        store.describe(),
                        h.label,
                        h.set_id
                    )));
                }
                Err(e) => {
                    return Err(Failure::Input(format!(
                        "card {no} holds something: {e}; refusing to overwrite it (nothing was written)"
                    )));
                }
            }
        }
    }
    let mut rng = keyward_core::os_rng();
    let made = backup::create_on(&opts, &mut stores, &mut rng)?;
    io::note(&format!(
        "keyward: {n} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        a.threshold, made.subsets, a.threshold
    ))?;
    if files > 0 {
        io::note(
            "keyward: every card file has PIN 123456: change it with `keyward card change-pin CARD`; \
             token cards keep their user PIN",
        )?;
    }
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, (name, store)) in (1..=n).zip(a.card.iter().zip(&stores)) {
        let shown = if name.to_str().is_some_and(keyward_pkcs11::is_pkcs11_uri) {
            store.describe()
        } else {
            name.display().to_string()
        };
        io::out(&format!("{shown}\t{}", opts.label(i)))?;
    }
    Ok(())
}
