//! Reading secrets and writing results: the CLI contract.

use std::fmt;
use std::io::{IsTerminal, Read, Write};

use keyward_core::zeroize::Zeroizing;

/// A failure reported as one line on stderr with exit code 1.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<keyward_core::Error> for Failure {
    fn from(e: keyward_core::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self(format!("i/o: {e}"))
    }
}

/// `Result` of a command.
pub type CmdResult = Result<(), Failure>;

/// Reads all of stdin into a zeroizing string, prompting on stderr when stdin
/// is a terminal.
pub fn read_stdin_secret(what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("keyward: enter {what}, then Ctrl-D:");
    }
    let mut buf = Zeroizing::new(String::new());
    stdin
        .read_to_string(&mut buf)
        .map_err(|e| Failure(format!("reading {what} from stdin: {e}")))?;
    Ok(buf)
}

/// Reads a secret file into a zeroizing string.
pub fn read_secret_file(path: &std::path::Path, what: &str) -> Result<Zeroizing<String>, Failure> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| Failure(format!("reading {what} from {}: {e}", path.display())))?,
    );
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Failure(format!("{what} in {} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Reads a HashKey from the first line of a file (only the line terminator is
/// removed: spaces are characters of the key and are reported). Errors name
/// the file, never the key.
pub fn read_hash_key_file(path: &std::path::Path) -> Result<keyward_core::HashKey, Failure> {
    let text = read_secret_file(path, "the HashKey")?;
    let line = text.lines().next().unwrap_or("");
    keyward_core::HashKey::new(line).map_err(|e| Failure(format!("{}: {e}", path.display())))
}

/// Writes one line to stdout; a closed pipe is not an error worth a panic.
pub fn out(line: &str) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    Ok(())
}

/// The single line of a one-line secret input (trailing newline and
/// surrounding whitespace removed); more than one non-empty line is an error.
pub fn single_line<'a>(text: &'a str, what: &str) -> Result<&'a str, Failure> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| Failure(format!("expected {what} on stdin, found nothing")))?;
    if lines.next().is_some() {
        return Err(Failure(format!(
            "expected {what} on one line of stdin, found several lines"
        )));
    }
    Ok(first)
}
