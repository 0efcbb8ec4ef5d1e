//! `keyward pin hash|verify`: PIN and password hashes peppered by the site
//! HashKey (keyward-pinhash), and the PIN steps of `keyward demo`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyward_core::HashKey;
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
    Failure(e.to_string())
}

/// The first line of `text` without its terminator.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
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
        eprintln!("keyward: warning: this is the public built-in default HashKey");
    }
    let hasher = PinHasher::from_hash_key(&key);
    let what = if a.key.password {
        "the password"
    } else {
        "the PIN"
    };
    let input = io::read_stdin_secret(what)?;
    let mut rng = keyward_core::os_rng();
    let phc = if a.key.password {
        hasher.hash_password(
            &PasswordPolicy::DEFAULT,
            a.key.user.as_bytes(),
            first_line(&input),
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
    eprintln!(
        "keyward: hashed under the HashKey with key id {} (keyid in the string is its B64)",
        key.key_id()
    );
    io::out(phc.as_str())
}

/// One line describing a successful verification.
pub(crate) fn describe(v: &Verified) -> &'static str {
    match v.reason {
        None => "match",
        Some(RehashReason::RetiredPepper) => {
            "match; needs rehash: made under a retired HashKey (hash the PIN again and store the new hash)"
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

fn verify(a: &VerifyArgs) -> CmdResult {
    let mut set = PepperSet::new(Pepper::from_hash_key(&io::read_hash_key_file(
        &a.key.hash_key_file,
    )?));
    for path in &a.retired_hash_key_file {
        set = set
            .with_retired(Pepper::from_hash_key(&io::read_hash_key_file(path)?))
            .map_err(fail)?;
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
            Failure("expected the PHC string on line 2 of stdin, found nothing".into())
        })?;
    let verified = if a.key.password {
        hasher.verify_password(a.key.user.as_bytes(), secret, phc)
    } else {
        hasher.verify(a.key.user.as_bytes(), secret.trim().as_bytes(), phc)
    }
    .map_err(fail)?;
    io::out(describe(&verified))
}

/// `keyward demo`: hash, verify, wrong PIN, trivial PIN, retired and
/// removed HashKey — at the default (OWASP) Argon2 parameters.
pub fn demo(d: &mut crate::cmd_demo::Demo) -> CmdResult {
    println!("== PIN hashing under the site HashKey (Argon2id, OWASP m=19456 KiB, t=2, p=1) ==");
    let mut rng = keyward_core::os_rng();
    let old = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    let hasher = PinHasher::from_hash_key(&old);
    let phc = hasher
        .hash_pin(&PinPolicy::DEFAULT, b"alice", "483920", &mut rng)
        .map_err(fail)?;
    println!("  PIN 483920 -> {phc}");
    d.check(
        "the PHC string names the HashKey's key id",
        keyward_pinhash::ParsedHash::parse(phc.as_str()).is_ok_and(|p| p.keyid == old.key_id()),
    );
    let ok = hasher.verify(b"alice", b"483920", phc.as_str());
    d.check(
        "the right PIN verifies (no rehash needed)",
        ok.is_ok_and(|v| !v.needs_rehash),
    );
    let wrong = hasher.verify(b"alice", b"483921", phc.as_str());
    if let Err(e) = &wrong {
        println!("  wrong PIN: {e}");
    }
    d.check(
        "a wrong PIN is a plain mismatch",
        wrong == Err(Error::Mismatch),
    );
    let copied = hasher.verify(b"bob", b"483920", phc.as_str());
    d.check(
        "alice's hash copied into bob's row does not verify",
        copied == Err(Error::Mismatch),
    );
    let trivial = hasher.hash_pin(&PinPolicy::DEFAULT, b"alice", "123456", &mut rng);
    if let Err(e) = &trivial {
        println!("  PIN 123456 refused: {e}");
    }
    d.check("a trivial PIN is refused at enrolment", trivial.is_err());

    // The site moves to a new HashKey and keeps the old one as retired.
    let new = HashKey::new("Next-HashKey/rotated:2027-01-01!")?;
    let set = PepperSet::new(Pepper::from_hash_key(&new))
        .with_retired(Pepper::from_hash_key(&old))
        .map_err(fail)?;
    let rotated = PinHasher::new(set);
    let v = rotated.verify(b"alice", b"483920", phc.as_str());
    if let Ok(v) = &v {
        println!("  after rotation: {}", describe(v));
    }
    d.check(
        "a hash under the retired HashKey verifies and asks for a rehash",
        v.is_ok_and(|v| v.reason == Some(RehashReason::RetiredPepper)),
    );
    let rehashed = rotated
        .hash_pin(&PinPolicy::DEFAULT, b"alice", "483920", &mut rng)
        .map_err(fail)?;
    d.check(
        "the rehashed PIN verifies under the new HashKey",
        PinHasher::from_hash_key(&new)
            .verify(b"alice", b"483920", rehashed.as_str())
            .is_ok_and(|v| !v.needs_rehash),
    );
    // The old HashKey is gone: its hashes cannot be migrated.
    let gone = PinHasher::from_hash_key(&new).verify(b"alice", b"483920", phc.as_str());
    if let Err(e) = &gone {
        println!("  old HashKey removed: {e}");
    }
    d.check(
        "a hash under a removed HashKey says the user must re-enrol",
        gone == Err(Error::UnknownPepper {
            keyid: old.key_id(),
        }),
    );
    Ok(())
}
