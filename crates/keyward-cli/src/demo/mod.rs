//! `keyward demo`: every ceremony that exists, on built-in defaults.
//!
//! A runner over [`SCENARIOS`], one story per file of this folder. Each story
//! prints what an operator would see and checks its results through
//! [`Demo`]; the demo ends with one summary line
//! `demo: N checks passed, M failed` (CI reads it) and fails (exit 1) if any
//! check fails. Stories call the library, and the command modules' file
//! helpers where the story is about files; no command module depends on the
//! demo.

mod blob;
mod ceremony;
mod components;
mod hashkey;
mod hashkey_migration;
mod kcv;
mod pinhash;
mod shamir;
mod superpin;

use std::fmt;
use std::io::Write;

use crate::io::{CmdResult, Failure};

/// Prints one line of a story: `say!(d, "  format", args…)`.
macro_rules! say {
    ($d:expr, $($arg:tt)*) => {
        $d.say(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// A story of the demo: its heading and the function that tells it.
struct Scenario {
    title: &'static str,
    run: fn(&mut Demo) -> CmdResult,
}

/// The stories, in the order they are told.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "Key check values (RFC 4493 keys)",
        run: kcv::run,
    },
    Scenario {
        title: "Key component ceremony (3 custodians)",
        run: components::run,
    },
    Scenario {
        title: "Site HashKey",
        run: hashkey::run,
    },
    Scenario {
        title: "Backup key on smart cards (SLIP-0039, 2 of 3)",
        run: shamir::run,
    },
    Scenario {
        title: "Backup-key ceremony on PIN-protected cards (2 of 3)",
        run: ceremony::run,
    },
    Scenario {
        title: "BLOB sealing (derive vector, AES-256-SIV)",
        run: blob::run,
    },
    Scenario {
        title: "Super PIN",
        run: superpin::run,
    },
    Scenario {
        title: "PIN hashing under the site HashKey (Argon2id, OWASP m=19456 KiB, t=2, p=1)",
        run: pinhash::run,
    },
    Scenario {
        title: "HashKey migration (built-in default -> site HashKey)",
        run: hashkey_migration::run,
    },
];

/// The checked writer of the demo and its tally.
///
/// Printing never panics: the first write error on stdout is kept, later
/// lines are dropped, and [`run`] returns it as [`Failure::Output`] once the
/// current story ends.
pub(crate) struct Demo {
    passed: usize,
    failed: usize,
    out: std::io::StdoutLock<'static>,
    broken: Option<std::io::Error>,
}

impl fmt::Debug for Demo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Demo")
            .field("passed", &self.passed)
            .field("failed", &self.failed)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Demo {
    fn new() -> Self {
        Self {
            passed: 0,
            failed: 0,
            out: std::io::stdout().lock(),
            broken: None,
        }
    }

    /// Prints one line (use the [`say!`] macro).
    pub(crate) fn say(&mut self, line: fmt::Arguments<'_>) {
        if self.broken.is_none() {
            if let Err(e) = writeln!(self.out, "{line}") {
                self.broken = Some(e);
            }
        }
    }

    /// Counts a check and prints `ok` or `FAIL` with what was checked.
    pub(crate) fn check(&mut self, what: &str, ok: bool) {
        if ok {
            self.passed += 1;
            self.say(format_args!("  ok    {what}"));
        } else {
            self.failed += 1;
            self.say(format_args!("  FAIL  {what}"));
        }
    }

    /// The first write error, if stdout failed.
    fn take_broken(&mut self) -> CmdResult {
        let flushed = self.out.flush();
        match self.broken.take() {
            Some(e) => Err(Failure::Output(e)),
            None => flushed.map_err(Failure::Output),
        }
    }
}

/// `keyward demo`.
///
/// # Errors
/// [`Failure::Input`] when a check failed; [`Failure::Output`] when stdout
/// cannot be written.
pub fn run() -> CmdResult {
    let mut d = Demo::new();
    for scenario in SCENARIOS {
        say!(d, "== {} ==", scenario.title);
        // A story that stops on an unexpected error is one failed check; the
        // other stories still run.
        if let Err(e) = (scenario.run)(&mut d) {
            if let Failure::Output(_) = e {
                return Err(e);
            }
            d.check(&format!("{} stopped early: {e}", scenario.title), false);
        }
        d.take_broken()?;
    }
    say!(d, "");
    let (passed, failed) = (d.passed, d.failed);
    say!(d, "demo: {passed} checks passed, {failed} failed");
    d.take_broken()?;
    if d.failed == 0 {
        Ok(())
    } else {
        Err(Failure::Input(format!("demo: {} checks failed", d.failed)))
    }
}
