//! Reading secrets and writing results: the CLI contract.
//!
//! Every command returns a [`CmdResult`]; its [`Failure`] decides the exit
//! code. Output goes through [`out`] and [`note`], which report a closed or
//! full stdout/stderr as [`Failure::Output`] instead of panicking as
//! `println!` does.

use std::fmt;
use std::io::{IsTerminal, Read, Write};

use keyward_core::zeroize::Zeroizing;

/// Why a command failed; [`Failure::exit_code`] is its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input or failed verification: one line `keyward: error: …` on
    /// stderr, exit 1.
    Input(String),
    /// A usage mistake that only shows at run time (clap refuses the others
    /// before a command runs): one line on stderr, exit 2.
    Usage(String),
    /// stdout or stderr could not be written (closed pipe, full disk): exit 1.
    /// A closed pipe is not reported (the reader chose to stop reading).
    Output(std::io::Error),
}

impl Failure {
    /// The process exit code of this failure: 2 for usage mistakes, 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Input(_) | Self::Output(_) => 1,
        }
    }

    /// Whether the failure is worth a line on stderr (a reader closing the
    /// pipe early is not).
    #[must_use]
    pub fn is_reported(&self) -> bool {
        !matches!(self, Self::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(m) | Self::Usage(m) => f.write_str(m),
            Self::Output(e) => write!(f, "writing the output: {e}"),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Output(e) => Some(e),
            Self::Input(_) | Self::Usage(_) => None,
        }
    }
}

impl From<keyward_core::Error> for Failure {
    fn from(e: keyward_core::Error) -> Self {
        Self::Input(e.to_string())
    }
}

/// An i/o error on a file or on stdin (not on the output streams, which
/// [`out`] and [`note`] map to [`Failure::Output`]).
impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::Input(format!("i/o: {e}"))
    }
}

/// `Result` of a command.
pub type CmdResult = Result<(), Failure>;

/// Reads a secret of one or more lines from stdin into a zeroizing string.
///
/// On a terminal, each line is read with echo off (after a prompt on the
/// terminal) until an empty line or end of input; otherwise all of stdin is
/// read.
///
/// # Errors
/// [`Failure::Input`] when stdin or the terminal cannot be read, or is not
/// UTF-8; the text names `what`, never the input.
pub fn read_stdin_secret(what: &str) -> Result<Zeroizing<String>, Failure> {
    if std::io::stdin().is_terminal() {
        let mut text = Zeroizing::new(String::new());
        let mut prompt = format!("keyward: enter {what} (echo off; an empty line ends): ");
        loop {
            let line = prompt_no_echo(&prompt, what)?;
            if line.trim().is_empty() {
                return Ok(text);
            }
            text.push_str(&line);
            text.push('\n');
            prompt = String::from("keyward: next line (an empty line ends): ");
        }
    }
    read_all_stdin(what)
}

/// Reads a one-line secret from stdin into a zeroizing string.
///
/// On a terminal, one line is read with echo off after a prompt; otherwise
/// all of stdin is read (so that [`single_line`] can refuse extra lines).
///
/// # Errors
/// As [`read_stdin_secret`].
pub fn read_stdin_secret_line(what: &str) -> Result<Zeroizing<String>, Failure> {
    if std::io::stdin().is_terminal() {
        let line = prompt_no_echo(&format!("keyward: enter {what} (echo off): "), what)?;
        return Ok(line);
    }
    read_all_stdin(what)
}

/// Prompts on the terminal and reads one line from it with echo off
/// (`rpassword`); the line comes without its terminator.
///
/// # Errors
/// [`Failure::Input`] when the terminal cannot be read or echo cannot be
/// switched off (the line is then not read at all).
pub fn prompt_no_echo(prompt: &str, what: &str) -> Result<Zeroizing<String>, Failure> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| Failure::Input(format!("reading {what} from the terminal: {e}")))
}

fn read_all_stdin(what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut buf = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|e| Failure::Input(format!("reading {what} from stdin: {e}")))?;
    Ok(buf)
}

/// Reads a secret file into a zeroizing string.
///
/// # Errors
/// [`Failure::Input`] naming the file when it cannot be read or is not UTF-8.
pub fn read_secret_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, Failure> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| Failure::Input(format!("reading {what} from {}: {e}", path.display())))?,
    );
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Failure::Input(format!("{what} in {} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// How commands read HashKeys: the options `--hashkey-derivation` and
/// `--accept-weak-hashkey` of the `hashkey`, `blob` and `pin` groups, set once
/// by `main` before the command runs.
#[derive(Debug, Clone, Copy)]
pub struct HashKeyOptions {
    /// The derivation HashKeys read from files are used under.
    pub derivation: keyward_core::Derivation,
    /// Use a HashKey below the strength floor (with a warning) instead of
    /// refusing it.
    pub accept_weak: bool,
}

static HASH_KEY_OPTIONS: std::sync::OnceLock<HashKeyOptions> = std::sync::OnceLock::new();

/// Sets the HashKey options for the rest of the process (the first call wins).
pub fn set_hash_key_options(options: HashKeyOptions) {
    let _ = HASH_KEY_OPTIONS.set(options);
}

/// The HashKey options: as set by `main`; otherwise derivation 2, weak
/// keys refused.
pub fn hash_key_options() -> HashKeyOptions {
    HASH_KEY_OPTIONS.get().copied().unwrap_or(HashKeyOptions {
        derivation: keyward_core::Derivation::V2,
        accept_weak: false,
    })
}

/// Reads a HashKey from the first line of a file (only the line terminator is
/// removed: spaces are characters of the key and are reported), checks its
/// strength (`crate::hashkey_strength`) and derives it under the
/// `--hashkey-derivation` in force. Errors name the file, never the key.
///
/// # Errors
/// [`Failure::Input`] when the file cannot be read, holds no valid HashKey,
/// or holds a weak one and `--accept-weak-hashkey` was not given.
pub fn read_hash_key_file(path: &std::path::Path) -> Result<keyward_core::HashKey, Failure> {
    read_hash_key_file_as(path, hash_key_options().derivation)
}

/// [`read_hash_key_file`] under the given derivation.
///
/// # Errors
/// As [`read_hash_key_file`].
pub fn read_hash_key_file_as(
    path: &std::path::Path,
    derivation: keyward_core::Derivation,
) -> Result<keyward_core::HashKey, Failure> {
    let text = read_secret_file(path, "the HashKey")?;
    let line = text.lines().next().unwrap_or("");
    let key = keyward_core::HashKey::new(line)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    check_hash_key_strength(&key, &format!("the HashKey in {}", path.display()))?;
    derive_hash_key(&key, derivation)
}

/// Refuses a HashKey below the strength floor unless `--accept-weak-hashkey`
/// was given; then warns on stderr, every time. `what` names the key's
/// source (a file, stdin), never the key.
///
/// # Errors
/// [`Failure::Input`] for a weak key without `--accept-weak-hashkey`.
pub fn check_hash_key_strength(key: &keyward_core::HashKey, what: &str) -> CmdResult {
    use crate::hashkey_strength::{MIN_LOG10_GUESSES, is_strong};
    if is_strong(key) {
        return Ok(());
    }
    let default = if key.is_builtin_default() {
        " (it is the public built-in default HashKey)"
    } else {
        ""
    };
    if hash_key_options().accept_weak {
        note(&format!(
            "keyward: warning: {what} is weak{default}: below the strength floor of \
             10^{MIN_LOG10_GUESSES} guesses; used because of --accept-weak-hashkey \
             (replace it with one from `keyward hashkey generate`)"
        ))
    } else {
        Err(Failure::Input(format!(
            "{what} is weak{default}: below the strength floor of 10^{MIN_LOG10_GUESSES} \
             guesses, so a stored key id would let anyone test guesses of it; generate one with \
             `keyward hashkey generate` (or pass --accept-weak-hashkey to use it anyway)"
        )))
    }
}

/// `key` under `derivation` (derivation 2 runs one Argon2id of 64 MiB).
///
/// # Errors
/// [`Failure::Input`] if Argon2 fails.
pub fn derive_hash_key(
    key: &keyward_core::HashKey,
    derivation: keyward_core::Derivation,
) -> Result<keyward_core::HashKey, Failure> {
    match derivation {
        keyward_core::Derivation::V1 => Ok(keyward_core::HashKey::new(key.expose_secret())?),
        keyward_core::Derivation::V2 => keyward_pinhash::stretch_hash_key(key)
            .map_err(|e| Failure::Input(format!("HashKey derivation 2: {e}"))),
        other => Err(Failure::Input(format!(
            "HashKey {other} is not supported by this keyward"
        ))),
    }
}

/// Writes one line to stdout.
///
/// # Errors
/// [`Failure::Output`] when stdout is closed or cannot be written.
pub fn out(line: &str) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(Failure::Output)
}

/// Writes bytes to stdout as they are.
///
/// # Errors
/// [`Failure::Output`] when stdout is closed or cannot be written.
pub fn out_bytes(bytes: &[u8]) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(Failure::Output)
}

/// Writes one message line to stderr (progress, warnings, a KCV).
///
/// # Errors
/// [`Failure::Output`] when stderr is closed or cannot be written.
pub fn note(line: &str) -> CmdResult {
    writeln!(std::io::stderr().lock(), "{line}").map_err(Failure::Output)
}

/// The single line of a one-line secret input (trailing newline and
/// surrounding whitespace removed); more than one non-empty line is an error.
///
/// # Errors
/// [`Failure::Input`] when the input has no non-empty line or several.
pub fn single_line<'a>(text: &'a str, what: &str) -> Result<&'a str, Failure> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| Failure::Input(format!("expected {what} on stdin, found nothing")))?;
    if lines.next().is_some() {
        return Err(Failure::Input(format!(
            "expected {what} on one line of stdin, found several lines"
        )));
    }
    Ok(first)
}
