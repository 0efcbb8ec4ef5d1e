//! Reading secrets and writing results: the CLI contract.
//!
//! Every command returns a [`CmdResult`]; its [`Failure`] decides the exit
//! code. Output goes through [`out`] and [`note`], which report a closed or
//! full stdout/stderr as [`Failure::Output`] instead of panicking as
//! `println!` does.

use std::fmt;
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsFd;

use keyward_core::zeroize::Zeroizing;

use crate::terminal;

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

/// Most bytes of secret text read from stdin or a secret file (keys, PINs,
/// HashKeys, shares, components, passphrases, parameter lines): the buffer
/// is allocated once at this size, so it never grows by reallocation (which
/// would leave a freed copy of what was read so far).
pub const SECRET_TEXT_CAP: usize = 64 * 1024;

/// Most bytes of one line typed at the terminal or read from stdin as one
/// PIN (Linux's terminal line limit is 4095).
pub const SECRET_LINE_CAP: usize = 4096;

/// stdin as a file of its own (a duplicate of descriptor 0), read without
/// std's shared stdin buffer: that buffer would keep a copy of what went
/// through it for the rest of the process.
fn stdin_file() -> std::io::Result<File> {
    std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
}

/// Reads all of `reader` into a buffer of `cap` bytes allocated once.
///
/// # Errors
/// The i/o error, or `Ok(Err(cap))` when there are more than `cap` bytes.
pub(crate) fn read_capped(
    reader: &mut impl Read,
    cap: usize,
) -> std::io::Result<Result<Zeroizing<Vec<u8>>, usize>> {
    let mut buf = Zeroizing::new(vec![0u8; cap]);
    let mut len = 0usize;
    loop {
        let Some(free) = buf.get_mut(len..).filter(|f| !f.is_empty()) else {
            // Full: one more byte means the input is too long.
            let mut probe = Zeroizing::new([0u8; 1]);
            match reader.read(probe.as_mut_slice()) {
                Ok(0) => break,
                Ok(_) => return Ok(Err(cap)),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        match reader.read(free) {
            Ok(0) => break,
            Ok(n) => len = len.saturating_add(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // Shrinks the length only: the block stays the same (and is wiped whole
    // on drop, spare capacity included).
    buf.truncate(len);
    Ok(Ok(buf))
}

/// Reads all of `reader` (at most `cap` bytes) as UTF-8 text into one
/// zeroizing buffer; `source` names it in errors ("stdin", a path).
pub(crate) fn read_text(
    reader: &mut impl Read,
    cap: usize,
    what: &str,
    source: &str,
) -> Result<Zeroizing<String>, Failure> {
    let bytes = read_capped(reader, cap)
        .map_err(|e| Failure::Input(format!("reading {what} from {source}: {e}")))?
        .map_err(|cap| {
            Failure::Input(format!(
                "{what} from {source} is longer than {cap} bytes: not read"
            ))
        })?;
    terminal::into_string(bytes)
        .map_err(|_| Failure::Input(format!("{what} from {source} is not UTF-8 text")))
}

/// The message for a line that could not be read from the terminal.
fn terminal_failure(e: terminal::ReadError, what: &str) -> Failure {
    Failure::Input(match e {
        terminal::ReadError::Io(e) => format!("reading {what} from the terminal: {e}"),
        terminal::ReadError::Eof => {
            format!("reading {what} from the terminal: end of input (Ctrl-D): aborted")
        }
        terminal::ReadError::TooLong(cap) => {
            format!("{what} typed at the terminal is longer than {cap} bytes: not read")
        }
        terminal::ReadError::NotUtf8 => {
            format!("{what} typed at the terminal is not UTF-8 text")
        }
    })
}

/// Reads a secret of one or more lines from stdin into a zeroizing string.
///
/// On a terminal, each line is read with echo off (after a prompt on the
/// terminal) until an empty line; otherwise all of stdin is read (at most
/// [`SECRET_TEXT_CAP`] bytes).
///
/// # Errors
/// [`Failure::Input`] when stdin or the terminal cannot be read, the input
/// is too long or is not UTF-8, or Ctrl-D ends a line at the terminal; the
/// text names `what`, never the input.
pub fn read_stdin_secret(what: &str) -> Result<Zeroizing<String>, Failure> {
    if std::io::stdin().is_terminal() {
        // One allocation for all lines: pushing never reallocates.
        let mut text = Zeroizing::new(String::with_capacity(SECRET_TEXT_CAP));
        let mut prompt = format!("keyward: enter {what} (echo off; an empty line ends): ");
        loop {
            let line = prompt_no_echo(&prompt, what)?;
            if line.trim().is_empty() {
                return Ok(text);
            }
            if text.len().saturating_add(line.len()) >= SECRET_TEXT_CAP {
                return Err(Failure::Input(format!(
                    "{what} typed at the terminal is longer than {SECRET_TEXT_CAP} bytes: not read"
                )));
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

/// Prompts on the terminal and reads one line from it with echo off (at
/// most [`SECRET_LINE_CAP`] bytes); the line comes without its terminator.
/// The terminal's settings are restored afterwards, also when a signal ends
/// the process at the prompt (`terminal.rs`).
///
/// # Errors
/// [`Failure::Input`] when the terminal cannot be read or echo cannot be
/// switched off (the line is then not read at all), on Ctrl-D, or when the
/// line is too long or not UTF-8.
pub fn prompt_no_echo(prompt: &str, what: &str) -> Result<Zeroizing<String>, Failure> {
    terminal::read_line_no_echo(prompt, SECRET_LINE_CAP).map_err(|e| terminal_failure(e, what))
}

fn read_all_stdin(what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut stdin =
        stdin_file().map_err(|e| Failure::Input(format!("reading {what} from stdin: {e}")))?;
    read_text(&mut stdin, SECRET_TEXT_CAP, what, "stdin")
}

/// Reads all of stdin as bytes (at most `cap`) into a buffer allocated once.
/// A terminal is refused: these inputs are not typed.
///
/// # Errors
/// [`Failure::Input`] when stdin cannot be read or holds more than `cap`
/// bytes.
pub fn read_stdin_bytes(what: &str, cap: usize) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut stdin =
        stdin_file().map_err(|e| Failure::Input(format!("reading {what} from stdin: {e}")))?;
    read_capped(&mut stdin, cap)
        .map_err(|e| Failure::Input(format!("reading {what} from stdin: {e}")))?
        .map_err(|cap| {
            Failure::Input(format!(
                "{what} on stdin is longer than {cap} bytes: not read"
            ))
        })
}

/// Reads a secret file (at most [`SECRET_TEXT_CAP`] bytes) into a zeroizing
/// string allocated once.
///
/// # Errors
/// [`Failure::Input`] naming the file when it cannot be read, is too long or
/// is not UTF-8.
pub fn read_secret_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, Failure> {
    let source = path.display().to_string();
    let mut file = File::open(path)
        .map_err(|e| Failure::Input(format!("reading {what} from {source}: {e}")))?;
    read_text(&mut file, SECRET_TEXT_CAP, what, &source)
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

/// The first line of a one-line secret whose spaces are characters of the
/// secret (a HashKey, a password): only the line terminator is removed. Any
/// further non-empty line is refused, as [`single_line`] does, rather than
/// silently ignored (it may be the secret the operator meant).
///
/// # Errors
/// [`Failure::Input`] when a later line is not empty.
pub fn first_line_only<'a>(text: &'a str, what: &str) -> Result<&'a str, Failure> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(Failure::Input(format!(
            "expected {what} on one line of stdin, found several lines"
        )));
    }
    Ok(first)
}

/// Writes one line of secret output (a key, a share, a Super PIN) to stdout:
/// copied once into a zeroizing buffer of its exact size and written to
/// file descriptor 1 directly. std's stdout buffer would keep a copy of the
/// line for the rest of the process.
///
/// # Errors
/// [`Failure::Output`] when stdout is closed or cannot be written.
pub fn out_secret(line: &str) -> CmdResult {
    let mut buf = Zeroizing::new(Vec::with_capacity(line.len().saturating_add(1)));
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    out_secret_bytes(&buf)
}

/// Writes secret bytes to stdout as they are, directly to file descriptor 1
/// (after anything written through [`out`] before), without a copy in std's
/// stdout buffer.
///
/// # Errors
/// [`Failure::Output`] when stdout is closed or cannot be written.
pub fn out_secret_bytes(bytes: &[u8]) -> CmdResult {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.flush().map_err(Failure::Output)?;
    let mut fd = lock
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .map_err(Failure::Output)?;
    fd.write_all(bytes).map_err(Failure::Output)
}
