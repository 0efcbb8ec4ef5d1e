//! `keyward ceremony backup|recover|reshare`: the backup-key ceremony on
//! PIN-protected cards (`keyward::backup`): card files (`FileCard`) and
//! PKCS#11 tokens (`card_location.rs`). The command opens the cards as
//! stores and hands them to the facade, which writes, reads back and
//! recovers over the card-storage trait; each card file counts its own PIN
//! tries, a token counts them itself. `keyward card ...` is in `cmd_card.rs`,
//! `reshare` in `cmd_reshare.rs`.
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
    /// With --card CARD (repeated; N = their number) the cards are named
    /// instead: card file paths and pkcs11: URIs of tokens, mixed as needed.
    /// A token holds one share, behind its own user PIN (counted by the
    /// token); a token named twice, or any card already holding a share
    /// (unless --replace), is refused before anything is written. Card files
    /// named by --card get their PINs as above.
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
    ///
    /// With --card CARD (repeated; N = their number) the new set goes onto
    /// named cards instead of DIR: card file paths and pkcs11: URIs of
    /// tokens, mixed as needed, checked as `ceremony backup --card` checks
    /// them, and never a card of the old set.
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
    #[command(flatten)]
    module: crate::card_location::ModuleArg,
    #[command(flatten)]
    wait: crate::card_location::WaitArgs,
    /// Label prefix: cards are labelled "PREFIX card i of N" (printable
    /// ASCII; the whole label at most 64 bytes).
    #[arg(long, default_value = "backup", value_parser = parse_label_prefix)]
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
    /// File with one PIN per line in card order: the new PIN of each card
    /// file, and the user PIN of each token card whose URI has no
    /// pin-source= (token cards with one take no line).
    #[arg(long, conflicts_with = "default_pin")]
    pin_file: Option<PathBuf>,
    /// Give every card file the appliance default PIN 123456 (to be changed
    /// with `keyward card change-pin`); `ceremony recover` and `card info`
    /// warn while a card has it. Token cards keep their user PIN.
    #[arg(long)]
    default_pin: bool,
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
        CeremonyCommand::Reshare(a) => crate::cmd_reshare::run(&a),
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

/// Opens the card file named by a command-line argument (`card copy`'s
/// one-to-one file copy, the demo); cards that may be tokens are opened by
/// `card_location::Opener`.
pub fn open_card(arg: &Path) -> FileCard {
    FileCard::new(arg)
}

// ---- commands ----

/// The floor check and the Argon2 options of a new set: `--argon2-*`, the
/// floor unless `--weak-argon2-for-tests` (then marked test cards, with a
/// warning).
/// What a new set takes from the command line: shared by `ceremony backup`
/// and `ceremony reshare` (`cmd_reshare.rs`), so both set the new cards'
/// PINs and costs the same way.
pub(crate) struct NewSet<'a> {
    pub threshold: u8,
    pub label: &'a str,
    pub argon2_memory: Option<u32>,
    pub argon2_passes: Option<u32>,
    pub weak_argon2_for_tests: bool,
    pub pin_file: Option<&'a Path>,
    pub default_pin: bool,
}

impl BackupArgs {
    fn new_set(&self) -> NewSet<'_> {
        NewSet {
            threshold: self.threshold,
            label: &self.label,
            argon2_memory: self.argon2_memory,
            argon2_passes: self.argon2_passes,
            weak_argon2_for_tests: self.weak_argon2_for_tests,
            pin_file: self.pin_file.as_deref(),
            default_pin: self.default_pin,
        }
    }
}

pub(crate) fn new_set_options(a: &NewSet<'_>, n: u8) -> Result<BackupOptions, Failure> {
    let mut opts = BackupOptions::new(a.threshold, n).map_err(|e| Failure::Usage(e.to_string()))?;
    a.label.clone_into(&mut opts.label_prefix);
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
        .map_err(|e| Failure::Usage(argon2_args_error(&opts.argon2, &e)))?;
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
    Ok(opts)
}

/// The new PIN of card `i` of a backup, checked against the new PIN rule
/// as it is entered (asked twice at a terminal), before any card is written.
pub(crate) fn new_pin(source: &mut PinSource, what: &str) -> Result<Pin, Failure> {
    let pin = source.next(what)?;
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
    Ok(pin)
}

/// The new PINs of the `n` card files of a backup (`--default-pin`, else
/// `--pin-file`, stdin or the terminal).
pub(crate) fn new_pins(a: &NewSet<'_>, opts: &BackupOptions, n: u8) -> Result<Vec<Pin>, Failure> {
    if a.default_pin {
        return Ok((0..n)
            .map(|_| Pin::new(backup::DEFAULT_PIN.to_vec()))
            .collect());
    }
    let mut source = PinSource::new(a.pin_file)?;
    (1..=n)
        .map(|i| {
            new_pin(
                &mut source,
                &format!("new PIN for card {i} ({})", opts.label(i)),
            )
        })
        .collect()
}

fn backup_cmd(a: &BackupArgs) -> CmdResult {
    let (Some(shares), Some(out)) = (a.shares, a.out.as_ref()) else {
        return backup_onto_cards(a);
    };
    let opts = new_set_options(&a.new_set(), shares)?;
    let names: Vec<String> = (1..=shares).map(|i| format!("card-{i}.kwcard")).collect();
    // Checked for all cards before any PIN is asked (the move into place
    // refuses too).
    if let Some(p) = names
        .iter()
        .map(|n| out.join(n))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
    {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a card",
            p.display()
        )));
    }
    let delivery = a.seal_to.prepare(out, names.len())?;
    let pins = new_pins(&a.new_set(), &opts, shares)?;
    let (staging, abandoned) = Staging::new(out).map_err(|e| Failure::Input(e.to_string()))?;
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
        shares, a.threshold, made.subsets, a.threshold
    ))?;
    if a.default_pin {
        io::note(
            "keyward: warning: every card has the default PIN 123456: change it with `keyward card change-pin CARD`",
        )?;
    }
    io::out(&format!("KCV {}", made.kcv))?;
    for (i, path) in (1..=shares).zip(&paths) {
        io::out(&format!("{}\t{}", path.display(), opts.label(i)))?;
    }
    if let Some(d) = delivery {
        let mut cards: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
        d.deliver(&mut cards, &pin_refs)?;
    }
    Ok(())
}

/// Longest `--label` prefix: the label "PREFIX card 16 of 16" must fit the
/// card's 64 printable ASCII bytes.
const MAX_LABEL_PREFIX: usize = 64 - " card 16 of 16".len();

/// `--label`: printable ASCII of at most [`MAX_LABEL_PREFIX`] bytes; a
/// character that is not names its position (in characters, from 1).
pub(crate) fn parse_label_prefix(s: &str) -> Result<String, String> {
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
fn argon2_args_error(p: &Argon2Params, e: &keyward_pinhash::Error) -> String {
    let budget = keyward_pinhash::Limits::DEFAULT.max_work;
    let (m, t) = (p.m_cost_kib, p.t_cost);
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

/// The set read from cards by [`read_cards`]: the rebuilt key and the first
/// card's set id and KCV.
pub(crate) struct ReadSet {
    pub key: keyward_core::Aes256Key,
    pub set_id: u16,
    pub kcv: keyward_core::Kcv,
    /// What makes each card read the same card (`card_location::Opened`).
    pub identities: Vec<String>,
}

/// Reads `cards` in order until K are read, as `ceremony recover` and
/// `ceremony reshare` do: card files and tokens through
/// `card_location::Opener`, each header shown (`what` names the card, e.g.
/// "card" or "old card") and warned about, each PIN from `pins` (a token's
/// by its own rules, a card file's checked for its shape), progress on
/// stderr.
pub(crate) fn read_cards(
    cards: &[PathBuf],
    pins: &mut PinSource,
    module: Option<&crate::card_location::ModuleArg>,
    wait: &crate::card_location::WaitArgs,
    allow_weak: bool,
    what: &str,
) -> Result<ReadSet, Failure> {
    let mut opener = crate::card_location::Opener::new(module, wait);
    let mut identities = Vec::new();
    let mut rec = CardRecovery::new();
    if allow_weak {
        rec.allow_weak_argon2_for_tests();
    }
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
        let opened = opener.open(path, no.get(), cards.len(), None)?;
        let token = opened.token;
        identities.push(opened.identity);
        let mut card = opened.store;
        let header = card.read_header().map_err(|error| backup::Error::Card {
            card: Some(no),
            error,
        })?;
        io::note(&format!(
            "keyward: {what} {no}: {} (set {:04X})",
            header.label, header.set_id
        ))?;
        warn_about(&header, Some(no.get()), allow_weak)?;
        first.get_or_insert((header.set_id, header.kcv));
        let pin = crate::card_location::pin_for(
            &*card,
            &format!("PIN for card {no} ({})", header.label),
            &mut |p| {
                if token {
                    pins.next_token_pin(p)
                } else {
                    pins.next(p)
                }
            },
        )?;
        let progress = rec.add(&mut card, pin.as_deref().map(Vec::as_slice))?;
        io::note(&format!("keyward: {progress}"))?;
    }
    let key = rec.finish()?;
    let (set_id, kcv) = first.ok_or_else(|| Failure::Input("no card was read".to_owned()))?;
    Ok(ReadSet {
        key,
        set_id,
        kcv,
        identities,
    })
}

fn recover_cmd(a: &RecoverArgs) -> CmdResult {
    // The token first: a missing token or a taken label costs no card try.
    let into = a.into.open()?;
    let mut pins = PinSource::new(a.pin_file.as_deref())?;
    let ReadSet { key, kcv, .. } = read_cards(
        &a.cards,
        &mut pins,
        None,
        &a.wait,
        a.weak_argon2_for_tests,
        "card",
    )?;
    if let Some(into) = into {
        return into.create(&keyward_core::AesKey::from(key), kcv);
    }
    io::out_secret(&key.expose_hex())?;
    io::note(&format!("KCV {}", key.kcv()))?;
    Ok(())
}

/// `backup --card CARD...`: one share per named card (files and tokens).
/// Every card is opened and checked (same token twice, a share already
/// there) before any is written; the facade writes and reads back. A card
/// file gets a new PIN as in `--out` mode; a token keeps its user PIN.
fn backup_onto_cards(a: &BackupArgs) -> CmdResult {
    if a.seal_to.is_set() {
        return Err(Failure::Usage(
            "--recipient/--recipients-file go with --shares/--out (card files), not --card".into(),
        ));
    }
    let n = named_card_count(&a.card)?;
    let mut opts = new_set_options(&a.new_set(), n)?;
    if a.replace {
        opts.write_mode = backup::WriteMode::Replace;
    }
    let mut pins = PinSource::new(a.pin_file.as_deref())?;
    let mut named = open_named_cards(
        &a.card,
        &a.module,
        &a.wait,
        &opts,
        a.default_pin,
        &mut pins,
        &[],
    )?;
    let mut rng = keyward_core::os_rng();
    let pin_refs: Vec<&[u8]> = named.pins.iter().map(|p| p.as_slice()).collect();
    let made = backup::create_on_with_pins(&opts, &mut named.stores, &pin_refs, &mut rng)?;
    io::note(&format!(
        "keyward: {n} cards written, {} needed; read-back ok: all {} sets of {} cards rebuild the key",
        a.threshold, made.subsets, a.threshold
    ))?;
    if named.files > 0 && a.default_pin {
        io::note(
            "keyward: warning: every card file has the default PIN 123456: change it with \
             `keyward card change-pin CARD`; token cards keep their user PIN",
        )?;
    }
    io::out(&format!("KCV {}", made.kcv))?;
    print_named_cards(&a.card, &named.stores, &opts)
}

/// N of a new set named by `--card`: 2 to 16 cards.
pub(crate) fn named_card_count(cards: &[PathBuf]) -> Result<u8, Failure> {
    u8::try_from(cards.len())
        .ok()
        .filter(|n| (2..=16).contains(n))
        .ok_or_else(|| Failure::Usage(format!("expected 2 to 16 --card, found {}", cards.len())))
}

/// The cards of a new set named by `--card` (`ceremony backup` and
/// `ceremony reshare`), opened and ready to be written.
pub(crate) struct NamedCards {
    /// One store per `--card`, in order.
    pub stores: Vec<Box<dyn CardStore>>,
    /// The PIN each card is written with: a card file's new PIN; empty for
    /// a token (its own user PIN is used, `CardStore::own_pin`).
    pub pins: Vec<Pin>,
    /// How many of them are card files.
    pub files: usize,
}

/// Opens the new cards `cards` and checks them before anything is written:
/// a card named twice, a card that is one of `taken` (identities of cards
/// that must not be written, e.g. the old set of a reshare), and, unless
/// `opts.write_mode` is `Replace`, a card that already holds a share are
/// refused, naming the card. A card file's new PIN comes from `pins` (or is
/// the default PIN), checked by the new PIN rule as it is entered; a token's
/// user PIN comes from its URI's pin-source, else from `pins`.
pub(crate) fn open_named_cards(
    cards: &[PathBuf],
    module: &crate::card_location::ModuleArg,
    wait: &crate::card_location::WaitArgs,
    opts: &BackupOptions,
    default_pin: bool,
    pins: &mut PinSource,
    taken: &[String],
) -> Result<NamedCards, Failure> {
    use keyward::backup::{StoreError, WriteMode};
    let mut opener = crate::card_location::Opener::new(Some(module), wait);
    let mut named = NamedCards {
        stores: Vec::with_capacity(cards.len()),
        pins: Vec::with_capacity(cards.len()),
        files: 0,
    };
    let mut seen: Vec<String> = Vec::new();
    for (i, name) in cards.iter().enumerate() {
        let no = i + 1;
        let opened = opener.open(name, no, cards.len(), Some(&mut |p| pins.next_token_pin(p)))?;
        if let Some(first) = seen.iter().position(|s| *s == opened.identity) {
            return Err(Failure::Input(format!(
                "card {no} ({}) is the same card as card {}: one share per card; nothing was written",
                opened.store.describe(),
                first + 1
            )));
        }
        if taken.contains(&opened.identity) {
            return Err(Failure::Input(format!(
                "card {no} ({}) is one of the old set's cards read: the new set goes onto other \
                 cards; nothing was written",
                opened.store.describe()
            )));
        }
        seen.push(opened.identity);
        if opened.token {
            named.pins.push(Pin::new(Vec::new()));
        } else {
            named.files += 1;
            let label = opts.label(u8::try_from(no).unwrap_or(opts.shares));
            named.pins.push(if default_pin {
                Pin::new(backup::DEFAULT_PIN.to_vec())
            } else {
                new_pin(pins, &format!("new PIN for card {no} ({label})"))?
            });
        }
        named.stores.push(opened.store);
    }
    if opts.write_mode != WriteMode::Replace {
        for (i, store) in named.stores.iter_mut().enumerate() {
            let no = i + 1;
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
    Ok(named)
}

/// One stdout line per card of a set named by `--card`: the card (the path
/// as given, or the token's description), a tab, its label.
pub(crate) fn print_named_cards(
    cards: &[PathBuf],
    stores: &[Box<dyn CardStore>],
    opts: &BackupOptions,
) -> CmdResult {
    for (i, (name, store)) in (1..=opts.shares).zip(cards.iter().zip(stores)) {
        let shown = if name.to_str().is_some_and(keyward_pkcs11::is_pkcs11_uri) {
            store.describe()
        } else {
            name.display().to_string()
        };
        io::out(&format!("{shown}\t{}", opts.label(i)))?;
    }
    Ok(())
}
