//! `keyward shamir split|combine`: SLIP-0039 shares of a master secret.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use keyward_core::zeroize::Zeroizing;
use keyward_core::{Kcv, KcvMethod, KeyLength};
use keyward_shamir::Error;
use keyward_shamir::slip39::{self, GroupSpec, Params, Recovery};

use crate::age_delivery;
use crate::io::{self, CmdResult, Failure};

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Input(e.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum ShamirCommand {
    /// Split the master secret read from stdin (hex) into SLIP-0039 shares.
    ///
    /// Prints one share per line, a blank line between groups. With
    /// `--group`, each `--group K/N` adds a group (after the one given by
    /// `--threshold`/`--shares`, if any).
    Split(SplitArgs),
    /// Recover the master secret from shares read from stdin, one per line
    /// (words or hex of the bytes form; blank lines ignored).
    ///
    /// Prints the secret as lowercase hex, then `KCV XXXXXX` when it has an
    /// AES key length. Shares are numbered in errors from 1 in input order.
    Combine(CombineArgs),
}

/// Output form of the shares.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    /// SLIP-0039 mnemonic words.
    #[default]
    Words,
    /// The packed bytes form for smart cards, as lowercase hex.
    Hex,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("layout").required(true).multiple(true).args(["threshold", "groups"])))]
pub struct SplitArgs {
    /// Member shares needed (of the single group, or of the first group).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=16), requires = "shares")]
    threshold: Option<u8>,
    /// Member shares made (of the single group, or of the first group).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=16), requires = "threshold")]
    shares: Option<u8>,
    /// Groups needed to recover (with --group).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    group_threshold: u8,
    /// A group as K/N (K of N member shares); repeat for each group.
    #[arg(long = "group", value_name = "K/N", value_parser = parse_group)]
    groups: Vec<GroupSpec>,
    /// File holding the passphrase (printable ASCII; one trailing newline is
    /// ignored). Without it the passphrase is empty.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// PBKDF2 work factor e: 10000 x 2^e iterations.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=15))]
    iteration_exponent: u8,
    /// Output form.
    #[arg(long, value_enum, default_value_t = Format::Words)]
    format: Format,
    /// Generate a random master secret of this many bytes instead of reading
    /// stdin (16 to 32, even); its KCV, if any, goes to stderr.
    #[arg(long, value_parser = parse_generate)]
    generate: Option<u8>,
    /// Seal share i to the i-th recipient instead of printing it: an age
    /// X25519 recipient (age1…) or an SSH public key (ssh-ed25519 …), one
    /// per share, in share order. Needs --out.
    #[arg(long = "recipient", value_name = "RECIPIENT", requires = "out")]
    recipients: Vec<String>,
    /// File of recipients, one per line in share order (blank lines and
    /// `#` comments skipped). Needs --out.
    #[arg(
        long,
        value_name = "FILE",
        requires = "out",
        conflicts_with = "recipients"
    )]
    recipients_file: Option<PathBuf>,
    /// Directory for the sealed shares DIR/share-1.age … DIR/share-N.age
    /// (created 0700 if missing; existing files are not overwritten). stdout
    /// lists each file with its recipient.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CombineArgs {
    /// File holding the passphrase (as for split).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Refuse shares whose iteration exponent is above this (0..=15; each
    /// step doubles the PBKDF2 work, and the shares' author chooses it).
    #[arg(long, default_value_t = slip39::DEFAULT_MAX_ITERATION_EXPONENT,
          value_parser = clap::value_parser!(u8).range(0..=15))]
    max_iteration_exponent: u8,
    /// An age identity file (AGE-SECRET-KEY-1… lines) or an unencrypted
    /// OpenSSH private key; repeat for several custodians. With it the
    /// shares come from the SEALED files instead of stdin.
    #[arg(long = "identity", value_name = "FILE", requires = "sealed")]
    identities: Vec<PathBuf>,
    /// Sealed share files (share-i.age), opened with the --identity files.
    #[arg(value_name = "SEALED", requires = "identities")]
    sealed: Vec<PathBuf>,
}

/// `--generate N`: an even number of bytes, 16 to 32 (a SLIP-0039 master
/// secret has an even length).
fn parse_generate(s: &str) -> Result<u8, String> {
    match s.trim().parse::<u8>() {
        Ok(n) if (16..=32).contains(&n) && n % 2 == 0 => Ok(n),
        _ => Err(format!(
            "expected an even number of bytes from 16 to 32, found {s:?}"
        )),
    }
}

fn parse_group(s: &str) -> Result<GroupSpec, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("expected K/N, found {s:?}"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u8>()
            .map_err(|_| format!("expected K/N with numbers 1 to 16, found {s:?}"))
    };
    Ok(GroupSpec {
        threshold: num(k)?,
        count: num(n)?,
    })
}

pub fn run(cmd: ShamirCommand) -> CmdResult {
    match cmd {
        ShamirCommand::Split(args) => split(&args),
        ShamirCommand::Combine(args) => combine(&args),
    }
}

fn read_passphrase(path: Option<&PathBuf>) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let Some(path) = path else {
        return Ok(Zeroizing::new(Vec::new()));
    };
    let text = io::read_secret_file(path, "the passphrase")?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let bytes = Zeroizing::new(line.as_bytes().to_vec());
    slip39::check_passphrase(&bytes)?;
    Ok(bytes)
}

/// Parses the master secret: hex, at least 16 bytes, even number of bytes.
fn parse_secret(text: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let digits = text.chars().filter(|c| !c.is_whitespace()).count();
    if digits % 2 != 0 {
        return Err(Failure::Input(format!(
            "expected an even number of hex digits, found {digits}"
        )));
    }
    let mut secret = Zeroizing::new(vec![0u8; digits / 2]);
    keyward_core::hex::decode_into(text, &mut secret)?;
    if secret.len() < 16 || secret.len() % 2 != 0 {
        return Err(Error::SecretLength {
            found: secret.len(),
        }
        .into());
    }
    Ok(secret)
}

fn kcv_of(secret: &[u8]) -> Option<Kcv> {
    KeyLength::from_bytes(secret.len())
        .and_then(|_| Kcv::of_key_bytes(secret, KcvMethod::Cmac).ok())
}

fn split(args: &SplitArgs) -> CmdResult {
    // clap makes --threshold and --shares go together, and requires them or
    // a --group.
    let mut groups = Vec::new();
    if let (Some(threshold), Some(count)) = (args.threshold, args.shares) {
        groups.push(GroupSpec { threshold, count });
    }
    groups.extend(args.groups.iter().copied());
    // Thresholds above the counts are usage mistakes, named by the library.
    let mut params =
        Params::groups(args.group_threshold, &groups).map_err(|e| Failure::Usage(e.to_string()))?;
    params.iteration_exponent = args.iteration_exponent;
    let sealing = !args.recipients.is_empty() || args.recipients_file.is_some();
    if args.out.is_some() && !sealing {
        return Err(Failure::Usage(
            "--out writes sealed shares only: give --recipient (one per share) or --recipients-file"
                .to_owned(),
        ));
    }
    // Recipients are checked before any share exists.
    let custodians = if sealing {
        let c = age_delivery::custodians(&args.recipients, args.recipients_file.as_deref())?;
        let total: usize = groups.iter().map(|g| usize::from(g.count)).sum();
        age_delivery::check_count(&c, total)?;
        Some(c)
    } else {
        None
    };
    let passphrase = read_passphrase(args.passphrase_file.as_ref())?;
    let mut rng = keyward_core::os_rng();
    let secret = match args.generate {
        Some(n) => {
            let mut s = Zeroizing::new(vec![0u8; usize::from(n)]);
            keyward_core::rand_core::Rng::fill_bytes(&mut rng, &mut s);
            s
        }
        None => {
            let input = io::read_stdin_secret_line("the master secret as hex")?;
            parse_secret(io::single_line(&input, "the master secret as hex")?)?
        }
    };
    let shares = slip39::split(&secret, &passphrase, &params, &mut rng)?;
    if let (Some(custodians), Some(dir)) = (custodians, args.out.as_deref()) {
        let lines: Vec<Zeroizing<String>> = shares
            .iter()
            .flatten()
            .map(|share| match args.format {
                Format::Words => share.to_mnemonic(),
                Format::Hex => keyward_core::hex::to_lower_zeroizing(&share.to_bytes()),
            })
            .map(|line| age_delivery::with_newline(&line))
            .collect();
        let paths = age_delivery::sealed_paths(dir, "share", lines.len());
        age_delivery::prepare_dir(dir, &paths)?;
        let items: Vec<_> = paths.iter().cloned().zip(lines).collect();
        age_delivery::write_sealed(&items, &custodians)?;
        for (path, c) in paths.iter().zip(&custodians) {
            io::out(&format!("{}\t{}", path.display(), c.text))?;
        }
        if let Some(kcv) = kcv_of(&secret) {
            io::note(&format!("KCV {kcv}"))?;
        }
        return Ok(());
    }
    for (g, group) in shares.iter().enumerate() {
        if g > 0 {
            io::out("")?;
        }
        for share in group {
            match args.format {
                Format::Words => io::out_secret(&share.to_mnemonic())?,
                Format::Hex => {
                    io::out_secret(&keyward_core::hex::to_lower_zeroizing(&share.to_bytes()))?
                }
            }
        }
    }
    if let Some(kcv) = kcv_of(&secret) {
        io::note(&format!("KCV {kcv}"))?;
    }
    Ok(())
}

/// Whether a line is the hex of a bytes form: only hex digits (a mnemonic
/// always has spaces between its 20 or more words).
fn is_hex_line(line: &str) -> bool {
    line.chars().all(|c| c.is_ascii_hexdigit())
}

fn add_line(recovery: &mut Recovery, line: &str) -> Result<(), Error> {
    if is_hex_line(line) {
        let digits = line.chars().filter(|c| !c.is_whitespace()).count();
        let number = recovery.next_number();
        if digits % 2 != 0 {
            return Err(Error::BytesFormat {
                share: number,
                found: digits / 2,
            });
        }
        let mut bytes = Zeroizing::new(vec![0u8; digits / 2]);
        if keyward_core::hex::decode_into(line, &mut bytes).is_err() {
            return Err(Error::BytesFormat {
                share: number,
                found: digits / 2,
            });
        }
        recovery.add_bytes(&bytes).map(|_| ())
    } else {
        recovery.add_mnemonic(line).map(|_| ())
    }
}

fn combine(args: &CombineArgs) -> CmdResult {
    let passphrase = read_passphrase(args.passphrase_file.as_ref())?;
    let input = if args.sealed.is_empty() {
        io::read_stdin_secret("the shares, one per line")?
    } else {
        let mut identities = Vec::new();
        for path in &args.identities {
            identities.extend(age_delivery::read_identities(path)?);
        }
        age_delivery::open_all(&args.sealed, &identities)?
    };
    let mut recovery = Recovery::new().with_max_iteration_exponent(args.max_iteration_exponent);
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        add_line(&mut recovery, line)?;
    }
    if !recovery.is_complete() {
        io::note(&format!("keyward: {}", recovery.progress()))?;
    }
    let secret = recovery.finish(&passphrase)?;
    io::out_secret(&keyward_core::hex::to_lower_zeroizing(
        secret.expose_secret(),
    ))?;
    if let Some(kcv) = kcv_of(secret.expose_secret()) {
        io::out(&format!("KCV {kcv}"))?;
    }
    Ok(())
}
