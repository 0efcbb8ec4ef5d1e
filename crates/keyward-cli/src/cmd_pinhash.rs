//! `keyward pin hash|verify`: PIN and password hashes peppered by the site
//! HashKey (keyward-pinhash).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyward_pinhash::{
    Error, PasswordPolicy, Pepper, PepperSet, PinHasher, PinPolicy, RehashReason, Verified,
};

use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Hash the PIN read from stdin (one line); prints the PHC string.
    Hash(HashArgs),
    /// Verify a PIN against a hash. Stdin: the PIN on line 1, the PHC
    /// string on line 2. Exit 0 on a match, 1 otherwise.
    ///
    /// Under HashKey derivation 2 (the default), a hash made under derivation 1
    /// of the same HashKey (or of a retired one) also verifies, and asks for a
    /// rehash.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// File holding the site HashKey (32 characters on the first line).
    #[arg(long, value_name = "FILE")]
    hash_key_file: PathBuf,
    /// Treat the input as a password (NFKC-normalised, 8 to 128 characters)
    /// instead of a PIN (digits only).
    #[arg(long)]
    password: bool,
    /// The user the hash belongs to (bytes of the id as given, e.g. the
    /// account name): the hash is bound to it and verifies for it only.
    #[arg(long, value_name = "ID")]
    user: String,
}

#[derive(Debug, Args)]
pub struct HashArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// Accept trivial PINs (0000, 1234, 4321, …).
    #[arg(long)]
    allow_trivial: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// A retired HashKey whose hashes still verify (and need a rehash);
    /// may be given several times.
    #[arg(long, value_name = "FILE")]
    retired_hash_key_file: Vec<PathBuf>,
}

fn fail(e: Error) -> Failure {
    Failure::Input(e.to_string())
}

pub fn run(cmd: PinCommand) -> CmdResult {
    match cmd {
        PinCommand::Hash(a) => hash(&a),
        PinCommand::Verify(a) => verify(&a),
    }
}

fn hash(a: &HashArgs) -> CmdResult {
    let key = io::read_hash_key_file(&a.key.hash_key_file)?;
    if key.is_builtin_default() {
        io::note("keyward: warning: this is the public built-in default HashKey")?;
    }
    let hasher = PinHasher::from_hash_key(&key);
    let what = if a.key.password {
        "the password"
    } else {
        "the PIN"
    };
    let input = io::read_stdin_secret_line(what)?;
    let mut rng = keyward_core::os_rng();
    let phc = if a.key.password {
        hasher.hash_password(
            &PasswordPolicy::DEFAULT,
            a.key.user.as_bytes(),
            io::first_line_only(&input, what)?,
            &mut rng,
        )
    } else {
        let policy = if a.allow_trivial {
            PinPolicy::DEFAULT.allow_trivial()
        } else {
            PinPolicy::DEFAULT
        };
        hasher.hash_pin(
            &policy,
            a.key.user.as_bytes(),
            io::single_line(&input, what)?,
            &mut rng,
        )
    }
    .map_err(fail)?;
    io::note(&format!(
        "keyward: hashed under the HashKey with key id {} (keyid in the string is its B64)",
        key.key_id()
    ))?;
    io::out(phc.as_str())
}

/// One line describing a successful verification.
pub(crate) fn describe(v: &Verified) -> &'static str {
    match v.reason {
        None => "match",
        Some(RehashReason::RetiredPepper) => {
            "match; needs rehash: made under a retired HashKey or HashKey derivation 1 (hash the PIN again and store the new hash)"
        }
        Some(RehashReason::WeakerParams) => {
            "match; needs rehash: weaker Argon2 parameters than current (hash the PIN again)"
        }
        Some(RehashReason::NotBoundToUser) => {
            "match; needs rehash: not bound to its user (made without a user id; hash the PIN again with --user)"
        }
        Some(_) => "match; needs rehash (hash the PIN again)",
    }
}

/// `set` with `key`'s derivation-1 pepper added as retired, when `key` is
/// under a later derivation.
fn with_derivation_1(set: PepperSet, key: &keyward_core::HashKey) -> Result<PepperSet, Failure> {
    if key.derivation() == keyward_core::Derivation::V1 {
        return Ok(set);
    }
    let v1 = io::derive_hash_key(key, keyward_core::Derivation::V1)?;
    set.with_retired(Pepper::from_hash_key(&v1)).map_err(fail)
}

fn verify(a: &VerifyArgs) -> CmdResult {
    let current = io::read_hash_key_file(&a.key.hash_key_file)?;
    let mut set = PepperSet::new(Pepper::from_hash_key(&current));
    // Under derivation 2, hashes made under derivation 1 of the same HashKey
    // (before derivation 2 existed) name its derivation-1 key id: they verify
    // and ask for a rehash, so a site moves to derivation 2 at its users'
    // next logins. The same holds for each retired HashKey.
    set = with_derivation_1(set, &current)?;
    for path in &a.retired_hash_key_file {
        let retired = io::read_hash_key_file(path)?;
        set = set
            .with_retired(Pepper::from_hash_key(&retired))
            .map_err(fail)?;
        set = with_derivation_1(set, &retired)?;
    }
    let hasher = PinHasher::new(set);
    let what = if a.key.password {
        "the password, then the hash"
    } else {
        "the PIN, then the hash"
    };
    let input = io::read_stdin_secret(what)?;
    let mut lines = input.lines();
    let secret = lines.next().unwrap_or("");
    let phc = lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| {
            Failure::Input("expected the PHC string on line 2 of stdin, found nothing".into())
        })?;
    let verified = if a.key.password {
        hasher.verify_password(a.key.user.as_bytes(), secret, phc)
    } else {
        hasher.verify(a.key.user.as_bytes(), secret.trim().as_bytes(), phc)
    }
    .map_err(fail)?;
    io::out(describe(&verified))
}
