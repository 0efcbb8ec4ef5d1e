//! Card PINs for `ceremony backup|recover` and `card change-pin`: one PIN
//! per line of a `--pin-file`, of stdin, or typed at a terminal prompt with
//! echo off. Every PIN is checked for its shape
//! (`keyward::backup::check_pin_shape`: 6 to 16 digits) before a card sees
//! it, so an empty line, end of input, letters, a byte-order mark or a very
//! long line are refused naming the card, and no try is spent.
//!
//! Reads are bounded: a PIN file of at most [`PIN_FILE_CAP`] bytes, a stdin
//! line of at most `PIN_LINE_CAP` bytes (the rest of a longer line is never
//! read). Stdin is read unbuffered, one byte at a time, into a zeroizing
//! buffer allocated once, so no copy of a PIN is left in a stdio buffer.

use std::fs::File;
use std::io::{ErrorKind, IsTerminal, Read};
use std::path::Path;

use keyward::backup::{PIN_LINE_CAP, PinShape, check_pin_shape};
use keyward_core::zeroize::Zeroizing;

use crate::io::{self, Failure};

/// Largest PIN file read: 16 cards' lines of at most `PIN_LINE_CAP` bytes
/// each, with room to spare.
pub const PIN_FILE_CAP: u64 = 4096;

/// One checked PIN: 6 to 16 ASCII digits, zeroized on drop.
pub type Pin = Zeroizing<Vec<u8>>;

/// Where PINs come from: a file's lines, stdin's lines, or the terminal.
pub enum PinSource {
    /// The lines of a PIN file, read whole (bounded) at the start.
    File {
        text: Zeroizing<Vec<u8>>,
        at: usize,
        path: String,
    },
    /// Lines of stdin (not a terminal), read unbuffered one at a time.
    Stdin(Box<dyn Read>),
    /// A terminal: a prompt per PIN, echo off.
    Terminal,
}

impl std::fmt::Debug for PinSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::File { .. } => "PinSource::File",
            Self::Stdin(_) => "PinSource::Stdin",
            Self::Terminal => "PinSource::Terminal",
        })
    }
}

impl PinSource {
    /// PINs from `pin_file` if given, else from stdin.
    ///
    /// # Errors
    /// [`Failure::Input`] naming the PIN file when it is not a regular file,
    /// is larger than [`PIN_FILE_CAP`] or cannot be read.
    pub fn new(pin_file: Option<&Path>) -> Result<Self, Failure> {
        if let Some(path) = pin_file {
            return Ok(Self::File {
                text: read_pin_file(path)?,
                at: 0,
                path: path.display().to_string(),
            });
        }
        if std::io::stdin().is_terminal() {
            return Ok(Self::Terminal);
        }
        Ok(Self::Stdin(unbuffered_stdin()?))
    }

    /// Whether PINs are typed at a terminal (then new PINs are asked twice).
    pub const fn is_terminal(&self) -> bool {
        matches!(self, Self::Terminal)
    }

    /// The next PIN, for `what` (e.g. "PIN for card 2 (backup card 2 of 3)"),
    /// checked for its shape.
    ///
    /// # Errors
    /// [`Failure::Input`] naming `what` when no line is left (end of the
    /// file or of stdin, Ctrl-D at a prompt: the command stops) or the line
    /// cannot be a card PIN; the message says no PIN was tried.
    pub fn next(&mut self, what: &str) -> Result<Pin, Failure> {
        let line = self.line(what)?;
        let pin = check_pin_shape(&line).map_err(|shape| refused(what, shape))?;
        Ok(Zeroizing::new(pin.to_vec()))
    }

    /// The next line as a token's user PIN: a token sets its own PIN rules
    /// (and counts its own tries), so only an empty line or a line ending
    /// in `\r` is trimmed and an empty PIN refused; the line length cap
    /// holds.
    ///
    /// # Errors
    /// As [`PinSource::next`], and an empty line.
    pub fn next_token_pin(&mut self, what: &str) -> Result<Pin, Failure> {
        let mut line = self.line(what)?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() {
            return Err(Failure::Input(format!(
                "{what}: expected the token's user PIN, found an empty line: no PIN was tried"
            )));
        }
        Ok(line)
    }

    /// The next raw line (bounded), without its `\n`.
    fn line(&mut self, what: &str) -> Result<Pin, Failure> {
        Ok(match self {
            Self::File { text, at, path } => {
                let rest = text.get(*at..).unwrap_or_default();
                if rest.is_empty() {
                    return Err(Failure::Input(format!(
                        "{what}: the PIN file {path} has no line left: no PIN was tried"
                    )));
                }
                let end = rest.iter().position(|&b| b == b'\n');
                let line = rest.get(..end.unwrap_or(rest.len())).unwrap_or_default();
                *at = at.saturating_add(end.map_or(rest.len(), |e| e.saturating_add(1)));
                if line.len() > PIN_LINE_CAP {
                    return Err(refused(what, PinShape::TooLong { found: None }));
                }
                Zeroizing::new(line.to_vec())
            }
            Self::Stdin(r) => read_line(r.as_mut(), what)?,
            Self::Terminal => {
                let typed = io::prompt_no_echo(&format!("{what}: "), what)?;
                Zeroizing::new(typed.as_bytes().to_vec())
            }
        })
    }
}

fn refused(what: &str, shape: PinShape) -> Failure {
    Failure::Input(format!("{what}: {shape}: no PIN was tried"))
}

/// Reads one line (up to `\n` or end of input) of at most `PIN_LINE_CAP`
/// bytes, one byte per read so nothing after the line is consumed.
fn read_line(r: &mut dyn Read, what: &str) -> Result<Pin, Failure> {
    let mut line = Zeroizing::new(Vec::with_capacity(PIN_LINE_CAP));
    let mut byte = Zeroizing::new([0u8; 1]);
    let mut any = false;
    loop {
        match r.read(byte.as_mut_slice()) {
            Ok(0) => break,
            Ok(_) => {
                any = true;
                let b = byte.first().copied().unwrap_or(b'\n');
                if b == b'\n' {
                    break;
                }
                if line.len() == PIN_LINE_CAP {
                    return Err(refused(what, PinShape::TooLong { found: None }));
                }
                line.push(b);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Failure::Input(format!(
                    "{what}: reading stdin: {e}: no PIN was tried"
                )));
            }
        }
    }
    if !any {
        return Err(Failure::Input(format!(
            "{what}: expected a line on stdin, found the end of input: no PIN was tried"
        )));
    }
    Ok(line)
}

/// Stdin as an unbuffered reader (a duplicate of file descriptor 0), so a
/// PIN never sits in the standard library's stdin buffer.
#[cfg(unix)]
fn unbuffered_stdin() -> Result<Box<dyn Read>, Failure> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Failure::Input(format!("opening stdin: {e}")))?;
    Ok(Box::new(File::from(fd)))
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn unbuffered_stdin() -> Result<Box<dyn Read>, Failure> {
    Ok(Box::new(std::io::stdin()))
}

/// Reads a PIN file whole into a buffer allocated once: a regular file of
/// at most [`PIN_FILE_CAP`] bytes.
fn read_pin_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let name = path.display();
    let failed = |e: std::io::Error| Failure::Input(format!("reading the PIN file {name}: {e}"));
    let file = crate::private_file::open_regular(path).map_err(failed)?;
    let len = file.metadata().map_err(failed)?.len();
    if len > PIN_FILE_CAP {
        return Err(Failure::Input(format!(
            "the PIN file {name}: expected at most {PIN_FILE_CAP} bytes (one PIN per line), found {len} bytes"
        )));
    }
    let mut text = Zeroizing::new(Vec::with_capacity(
        usize::try_from(PIN_FILE_CAP)
            .unwrap_or(4096)
            .saturating_add(1),
    ));
    file.take(PIN_FILE_CAP.saturating_add(1))
        .read_to_end(&mut text)
        .map_err(failed)?;
    if text.len() > usize::try_from(PIN_FILE_CAP).unwrap_or(usize::MAX) {
        return Err(Failure::Input(format!(
            "the PIN file {name}: expected at most {PIN_FILE_CAP} bytes (one PIN per line), found more"
        )));
    }
    Ok(text)
}
