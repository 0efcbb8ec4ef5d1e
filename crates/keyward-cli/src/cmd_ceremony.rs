//! `keyward ceremony backup|recover`: the backup-key ceremony on
//! PIN-protected card files (`keyward::backup`). The command opens the card
//! files as stores (`FileCard`) and hands them to the facade, which writes,
//! reads back and recovers over the card-storage trait; each card file counts
//! its own PIN tries. `keyward card ...` is in `cmd_card.rs`.
//!
//! PINs are never taken from the command line: `--pin-file` (one line per
//! card) or stdin. On a terminal, stdin is read with echo off (`stty -echo`,
//! restored afterwards); otherwise one line per PIN is read from stdin.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward::backup::{self, BackupOptions, CardRecovery, CardStore, FileCard};
use keyward::superpin::Argon2Params;
use keyward_core::zeroize::Zeroizing;

use crate::io::{self, CmdResult, Failure};

impl From<backup::Error> for Failure {
    fn from(e: backup::Error) -> Self {
        Self(e.to_string())
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

pub fn run(cmd: CeremonyCommand) -> CmdResult {
    match cmd {
        CeremonyCommand::Backup(a) => backup_cmd(&a),
        CeremonyCommand::Recover(a) => recover_cmd(&a),
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
                .ok_or_else(|| Failure(format!("the PIN file has no line for {prompt}"))),
            Self::Stdin => {
                let mut line = Zeroizing::new(String::new());
                std::io::stdin().lock().read_line(&mut line)?;
                if line.is_empty() {
                    return Err(Failure(format!(
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

fn card_paths(dir: &Path, n: u8) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| dir.join(format!("card-{i}.kwcard")))
        .collect()
}

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
        .map_err(|e| Failure(format!("Argon2 parameters: {e}")))?;
    let paths = card_paths(&a.out, a.shares);
    // Checked for all cards before any is written (each write refuses too).
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    std::fs::create_dir_all(&a.out)
        .map_err(|e| Failure(format!("creating {}: {e}", a.out.display())))?;
    let mut stores: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
    let mut rng = keyward_core::os_rng();
    // Writes each card file, then reads every k-subset back from the files.
    let made = backup::create_on(&opts, &mut stores, &mut rng)?;
    eprintln!(
        "keyward: {} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        a.shares, a.threshold, made.subsets, a.threshold
    );
    eprintln!("keyward: every card has PIN 123456: change it with `keyward card change-pin CARD`");
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, path) in (1..=a.shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    Ok(())
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    let mut pins = PinSource::new(a.pin_file.as_ref())?;
    let mut rec = CardRecovery::new();
    for path in &a.cards {
        let no = rec.next_number();
        if rec.progress().is_complete() {
            eprintln!(
                "keyward: card {no} ({}) not needed: enough cards read",
                path.display()
            );
            rec.skip();
            continue;
        }
        let mut card = FileCard::new(path);
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        eprintln!(
            "keyward: card {no}: {} (set {:04X})",
            header.label, header.set_id
        );
        let pin = pins.next(&format!("PIN for card {no} ({})", header.label))?;
        let progress = rec.add(&mut card, Some(pin.as_bytes()))?;
        eprintln!("keyward: {progress}");
    }
    let key = rec.finish()?;
    io::out(&key.expose_hex())?;
    eprintln!("KCV {}", key.kcv());
    Ok(())
}

// ---- demo ----

/// The backup-key ceremony on card files in a temporary directory. Uses
/// `backup::TEST_ARGON2` (64 KiB, t = 1) so the demo stays fast: demo only,
/// real cards use OWASP's parameters.
pub fn demo(d: &mut crate::cmd_demo::Demo) -> CmdResult {
    println!("== Backup-key ceremony on PIN-protected cards (2 of 3) ==");
    println!("  (demo Argon2id parameters 64 KiB, t = 1; real cards use OWASP's)");
    let dir = std::env::temp_dir().join(format!("keyward-demo-cards-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let r = demo_in(d, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn demo_in(d: &mut crate::cmd_demo::Demo, dir: &Path) -> CmdResult {
    let pin = Some(backup::DEFAULT_PIN);
    let mut rng = keyward_core::os_rng();
    let mut opts = BackupOptions::new(2, 3)?;
    opts.argon2 = backup::TEST_ARGON2;
    let paths = card_paths(dir, 3);
    let mut cards: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
    let made = backup::create_on(&opts, &mut cards, &mut rng)?;
    println!("  new AES-256 backup key, KCV {}", made.kcv);
    for card in &mut cards {
        let h = card.read_header()?;
        println!(
            "  wrote {}: {}, set {:04X}, KCV {}",
            card.path()
                .file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
            h.label,
            h.set_id,
            h.kcv
        );
    }
    d.check(
        &format!(
            "read-back from the files: all {} pairs rebuild the key (KCV matches)",
            made.subsets
        ),
        made.subsets == 3,
    );
    let [c1, c2, c3] = &mut cards[..] else {
        return Err(Failure("expected three cards".into()));
    };

    // Recovery in another order: card 3, then card 1.
    let mut rec = CardRecovery::new();
    let p = rec.add(c3, pin)?;
    println!("  read card 3: {p}");
    let p = rec.add(c1, pin)?;
    println!("  read card 1: {p}");
    let back = rec.finish()?;
    println!("  rebuilt key, KCV {}", back.kcv());
    d.check("cards 3 then 1 rebuild the key", back == made.key);

    // The same card twice.
    let mut rec = CardRecovery::new();
    rec.add(c2, pin)?;
    let e = rec.add(c2, pin);
    print_err(&e);
    d.check(
        "card 2 read twice is named as the same card",
        matches!(e, Err(backup::Error::SameCard { card, first }) if card.get() == 2 && first.get() == 1),
    );

    // A card from another set (another appliance).
    let mut other = backup::create(&opts, &mut rng)?;
    let e = match other.cards.first_mut() {
        Some(foreign) => rec.add(foreign, pin),
        None => return Err(Failure("no card".into())),
    };
    print_err(&e);
    d.check(
        "a card of another set is refused as foreign",
        matches!(e, Err(backup::Error::ForeignCard { .. })),
    );

    // Wrong PINs: counted in the card file before the PIN is checked.
    let e = c1.unlock(Some(b"000000"));
    if let Err(e) = &e {
        println!("  operator sees: {e}");
    }
    let left = FileCard::new(c1.path()).read_header()?.tries_left;
    d.check(
        "a wrong PIN says 2 tries left and the counter is saved in the card file",
        matches!(
            e,
            Err(backup::StoreError::WrongPin {
                tries_left: backup::TriesLeft::Count(2)
            })
        ) && left == backup::TriesLeft::Count(2),
    );
    let _ = c1.unlock(Some(b"000001"));
    let e = c1.unlock(Some(b"000002"));
    if let Err(e) = &e {
        println!("  operator sees: {e}");
    }
    let e = c1.unlock(pin);
    if let Err(e) = &e {
        println!("  operator sees: {e}");
    }
    d.check(
        "after three wrong PINs the card is blocked, even for the right PIN",
        matches!(e, Err(backup::StoreError::Blocked { .. })),
    );

    // Change the PIN of card 2, copy card 3, recover from the two.
    c2.change_pin(pin, Some(b"802514"), &mut rng)?;
    println!("  card 2: PIN changed");
    let copy_path = dir.join("card-3-copy.kwcard");
    crate::cmd_card::copy_card(c3.path(), &copy_path)?;
    println!("  card 3 copied one-to-one to card-3-copy.kwcard");
    let mut copy = FileCard::new(&copy_path);
    let mut rec = CardRecovery::new();
    println!(
        "  recovery: card 2 with the old PIN, again with the new one, then the copy of card 3"
    );
    let old_pin = rec.add(c2, pin);
    print_err(&old_pin);
    rec.add(c2, Some(b"802514"))?;
    rec.add(&mut copy, pin)?;
    let back = rec.finish()?;
    d.check(
        "the old PIN no longer opens card 2; its new PIN and the copy of card 3 rebuild the key",
        matches!(
            old_pin,
            Err(backup::Error::Card {
                error: backup::StoreError::WrongPin { .. },
                ..
            })
        ) && back == made.key,
    );
    Ok(())
}

fn print_err<T>(r: &Result<T, backup::Error>) {
    if let Err(e) = r {
        println!("  operator sees: {e}");
    }
}
