//! Secrets typed at the terminal: one line read with echo off, the terminal's
//! settings put back afterwards — also when SIGINT, SIGTERM, SIGHUP or
//! SIGQUIT arrive while the prompt waits.
//!
//! The line is read from `/dev/tty` one byte at a time, without a buffering
//! reader, into a buffer allocated once with a fixed capacity: no copy of it
//! is left in a freed or reused buffer, and nothing after the line is read
//! ahead. Echo is switched off with `tcsetattr` (rustix, no `stty` child).
//!
//! Signals: while a prompt is shown, the settings it changed are kept in
//! [`SAVED`]. A thread of [`signal_hook`] receives the terminating signals;
//! it restores those settings, then runs the signal's default action, so the
//! process still dies of the signal (a shell sees `SIGINT`, exit status 130)
//! with the terminal as it found it. Under shells that do not restore the
//! terminal themselves (`dash`) the terminal would otherwise stay `-echo`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::{Mutex, OnceLock, PoisonError};

use keyward_core::zeroize::{Zeroize, Zeroizing};
use rustix::termios::{self, LocalModes, OptionalActions, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

/// The signals after which the terminal is restored before the process ends.
const RESTORED_ON: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// The terminal and its settings before a prompt switched echo off, while
/// that prompt is shown.
static SAVED: Mutex<Option<(File, Termios)>> = Mutex::new(None);

/// Whether the signal thread runs (started by the first prompt).
static RESTORER: OnceLock<io::Result<()>> = OnceLock::new();

/// Why a line could not be read from the terminal.
#[derive(Debug)]
pub enum ReadError {
    /// The terminal could not be opened, read or set up.
    Io(io::Error),
    /// End of input (Ctrl-D) before the end of the line.
    Eof,
    /// The line is longer than the capacity given.
    TooLong(usize),
    /// The line is not UTF-8 text.
    NotUtf8,
}

/// Puts the saved settings back on the terminal (a prompt ended, or a signal
/// arrived during it: then `newline` ends the prompt's line, as the Enter
/// that was not typed would have).
fn restore_saved(newline: bool) {
    let saved = SAVED.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some((tty, settings)) = saved {
        // Nothing more can be done if the terminal refuses (it is gone).
        let _ = termios::tcsetattr(&tty, OptionalActions::Now, &settings);
        if newline {
            let _ = (&tty).write_all(b"\n");
        }
    }
}

/// Starts the thread that restores the terminal on a terminating signal
/// (once per process).
fn start_restorer() -> io::Result<()> {
    let started = RESTORER.get_or_init(|| {
        let mut signals = signal_hook::iterator::Signals::new(RESTORED_ON)?;
        std::thread::Builder::new()
            .name("keyward-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    restore_saved(true);
                    // The default action of these four signals ends the
                    // process; exit with the shell's convention if it did not.
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128_i32.saturating_add(signal));
                }
            })
            .map(drop)
    });
    match started {
        Ok(()) => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

/// Restores the terminal when a prompt ends, whichever way it ends.
struct EchoOff;

impl Drop for EchoOff {
    fn drop(&mut self) {
        restore_saved(false);
    }
}

/// Shows `prompt` on the terminal and reads one line with echo off, into a
/// buffer of `cap` bytes allocated once. The line comes without its
/// terminator (`\n`, and a `\r` before it).
///
/// # Errors
/// [`ReadError::Io`] when there is no terminal or it cannot be set up (the
/// line is then not read at all); [`ReadError::Eof`] on Ctrl-D before the
/// end of the line; [`ReadError::TooLong`] when the line has more than `cap`
/// bytes (the terminal's pending input is then discarded, so that the rest
/// of the line does not reach the shell); [`ReadError::NotUtf8`].
pub fn read_line_no_echo(prompt: &str, cap: usize) -> Result<Zeroizing<String>, ReadError> {
    start_restorer().map_err(ReadError::Io)?;
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(ReadError::Io)?;
    let original = termios::tcgetattr(&tty).map_err(|e| ReadError::Io(e.into()))?;
    let mut quiet = original.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    // The Enter that ends the line still moves to the next line.
    quiet.local_modes.insert(LocalModes::ECHONL);
    (&tty)
        .write_all(prompt.as_bytes())
        .and_then(|()| (&tty).flush())
        .map_err(ReadError::Io)?;
    *SAVED.lock().unwrap_or_else(PoisonError::into_inner) =
        Some((tty.try_clone().map_err(ReadError::Io)?, original));
    let guard = EchoOff;
    termios::tcsetattr(&tty, OptionalActions::Now, &quiet).map_err(|e| ReadError::Io(e.into()))?;
    let line = read_line(&mut &tty, cap);
    if matches!(line, Err(ReadError::TooLong(_))) {
        // The rest of the line must not reach the shell after we exit.
        let _ = termios::tcflush(&tty, termios::QueueSelector::IFlush);
    }
    drop(guard);
    let mut bytes = line?;
    if bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    into_string(bytes)
}

/// Reads bytes from `reader` up to a `\n` (not kept) into a buffer of `cap`
/// bytes allocated once, one byte per read so that nothing after the line is
/// consumed.
///
/// # Errors
/// [`ReadError::Eof`] when the input ends before a `\n` (a terminal's
/// Ctrl-D); [`ReadError::TooLong`] as soon as byte `cap + 1` of the line is
/// read (the rest is left unread); [`ReadError::Io`].
pub fn read_line(reader: &mut impl Read, cap: usize) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut line = Zeroizing::new(Vec::with_capacity(cap));
    let mut byte = Zeroizing::new([0u8; 1]);
    loop {
        let read = reader.read(byte.as_mut_slice());
        let [b] = *byte;
        match read {
            Ok(0) => return Err(ReadError::Eof),
            Ok(_) if b == b'\n' => return Ok(line),
            // Within the capacity: `push` never reallocates.
            Ok(_) if line.len() < cap => line.push(b),
            Ok(_) => return Err(ReadError::TooLong(cap)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
}

/// The bytes as a zeroizing string, in the same allocation (no copy).
///
/// # Errors
/// [`ReadError::NotUtf8`]; the bytes are wiped.
pub fn into_string(mut bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<String>, ReadError> {
    match String::from_utf8(core::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(ReadError::NotUtf8)
        }
    }
}
