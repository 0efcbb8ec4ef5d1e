//! `keyward superpin recovery-url new-key|issue|redeem`: the registration
//! server's side of the Recovery URL (`keyward_superpin::RecoveryUrlKey`).
//! The server key is a file of 64 hex digits (0600); the URL to redeem is
//! read from stdin (it is a one-use credential, so never in argv).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyward_core::zeroize::Zeroizing;
use keyward_superpin::{AccountKeys, RecoveryUrlKey, Repository, UsedTokens};

use crate::cmd_superpin_sheet::{read_server_key, unix_now, utc_date};
use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum RecoveryUrlCommand {
    /// Create a new random server key in FILE (64 hex digits, 0600; never
    /// overwrites).
    NewKey(NewKeyArgs),
    /// Issue a Recovery URL for an account: prints BASE?account=…&token=….
    Issue(IssueArgs),
    /// Redeem a Recovery URL read from stdin: checks it (forged, another
    /// account, expired, already used: each named, exit 1), records the
    /// token as used, issues a one-time Recovery Code into the account's
    /// record through the escrow repository, and prints the code on stdout.
    Redeem(RedeemArgs),
}

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    /// The key file to create.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The server key file.
    #[arg(long, value_name = "FILE")]
    server_key: PathBuf,
    /// The account the URL is for.
    #[arg(long)]
    account: String,
    /// Base of the URL (https://…, no query).
    #[arg(long, value_name = "URL")]
    recovery_url_base: String,
    /// Days the URL stays valid (it works once).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=1826))]
    valid_days: u64,
}

#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// The server key file.
    #[arg(long, value_name = "FILE")]
    server_key: PathBuf,
    /// The used-token record (created if missing; replaced atomically
    /// before the Recovery Code is made).
    #[arg(long, value_name = "FILE")]
    used_tokens: PathBuf,
    /// The account's `AccountKeys` record (`docs/formats.md`); the new
    /// Recovery Code slot is written back to it.
    #[arg(long, value_name = "FILE")]
    account_keys: PathBuf,
    /// The Super PIN escrow repository record.
    #[arg(long, value_name = "FILE")]
    repository: PathBuf,
    /// File holding the repository's Master Password (first line).
    #[arg(long, value_name = "FILE")]
    master_password_file: PathBuf,
}

pub fn run(cmd: RecoveryUrlCommand) -> CmdResult {
    match cmd {
        RecoveryUrlCommand::NewKey(a) => new_key(&a),
        RecoveryUrlCommand::Issue(a) => issue(&a),
        RecoveryUrlCommand::Redeem(a) => redeem(&a),
    }
}

fn new_key(a: &NewKeyArgs) -> CmdResult {
    let key = RecoveryUrlKey::generate(&mut keyward_core::os_rng());
    let mut line = keyward_core::hex::to_lower_zeroizing(key.expose_secret());
    line.push('\n');
    crate::age_delivery::write_new_file(&a.out, line.as_bytes())?;
    io::note(&format!(
        "keyward: Recovery URL server key written to {}",
        a.out.display()
    ))
}

fn issue(a: &IssueArgs) -> CmdResult {
    let key = read_server_key(&a.server_key)?;
    let now = unix_now()?;
    let token = key.issue(
        a.account.as_bytes(),
        now,
        a.valid_days.saturating_mul(86_400),
        &mut keyward_core::os_rng(),
    )?;
    let url = keyward_superpin::recovery_url(&a.recovery_url_base, &a.account, &token)?;
    io::out(&url)?;
    io::note(&format!(
        "keyward: valid until {} (UTC), once",
        utc_date(token.expires_at())
    ))
}

fn read_record(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::Input(format!("reading {what} {}: {e}", path.display())))
}

fn redeem(a: &RedeemArgs) -> CmdResult {
    let key = read_server_key(&a.server_key)?;
    let input = io::read_stdin_secret_line("the Recovery URL")?;
    let (_, account, token) =
        keyward_superpin::parse_recovery_url(io::single_line(&input, "the Recovery URL")?)?;
    let mut used = if a.used_tokens.exists() {
        UsedTokens::from_bytes(&read_record(&a.used_tokens, "the used-token record")?)
            .map_err(|e| Failure::Input(format!("{}: {e}", a.used_tokens.display())))?
    } else {
        UsedTokens::new()
    };
    let mut keys = AccountKeys::from_bytes(&read_record(&a.account_keys, "the account record")?)
        .map_err(|e| Failure::Input(format!("{}: {e}", a.account_keys.display())))?;
    if keys.account_id() != account.as_bytes() {
        // The URL's token is checked against the URL's account; the record
        // must be that account's too.
        return Err(Failure::Input(format!(
            "{} is the record of another account than the one the Recovery URL names",
            a.account_keys.display()
        )));
    }
    let mut repo = Repository::from_bytes(&read_record(&a.repository, "the repository")?)
        .map_err(|e| Failure::Input(format!("{}: {e}", a.repository.display())))?;
    let pw = io::read_secret_file(&a.master_password_file, "the Master Password")?;
    let pw = Zeroizing::new(pw.lines().next().unwrap_or("").to_owned());
    let now = unix_now()?;
    // The token is consumed and the used-token record persisted before the
    // Recovery Code exists.
    key.redeem(&token, account.as_bytes(), now, &mut used)?;
    keyward_superpin::write_private_file(&a.used_tokens, &used.to_bytes())
        .map_err(|e| Failure::Input(format!("writing {}: {e}", a.used_tokens.display())))?;
    let open = repo.open(&pw)?;
    let code = open.issue_recovery_code(&mut keys, &mut keyward_core::os_rng())?;
    keyward_superpin::write_private_file(&a.account_keys, &keys.to_bytes())
        .map_err(|e| Failure::Input(format!("writing {}: {e}", a.account_keys.display())))?;
    io::note(&format!(
        "keyward: Recovery URL redeemed for {account}; send this one-time Recovery Code to the account's e-mail address"
    ))?;
    io::out(&code.to_zeroizing_string())
}
