//! `keyward superpin generate` and `keyward superpin check`.

use clap::{Args, Subcommand};
use keyward_superpin::{Error, RecoveryCode, SuperPin};

use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum SuperpinCommand {
    /// Generate a new Super PIN (9 groups of 6 characters) on stdout.
    Generate,
    /// Check a Super PIN (or Recovery Code) read from stdin: prints `OK`, or
    /// names every group that fails its check (exit 1).
    Check(CheckArgs),
    /// Write the printable recovery sheet of a Super PIN read from stdin:
    /// the account, the Super PIN in its 9 groups, the date and a QR code of
    /// a one-use Recovery URL (PNG or SVG by --out's extension, or
    /// --terminal).
    Export(crate::cmd_superpin_sheet::ExportArgs),
    /// Recovery URLs, the server side: new server key, issue, redeem.
    #[command(subcommand)]
    RecoveryUrl(crate::cmd_superpin_url::RecoveryUrlCommand),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The input is a one-time Recovery Code (5 groups), not a Super PIN.
    #[arg(long)]
    recovery_code: bool,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Input(e.to_string())
    }
}

pub fn run(cmd: SuperpinCommand) -> CmdResult {
    match cmd {
        SuperpinCommand::Export(a) => crate::cmd_superpin_sheet::run(&a),
        SuperpinCommand::RecoveryUrl(c) => crate::cmd_superpin_url::run(c),
        SuperpinCommand::Generate => {
            let pin = SuperPin::generate(&mut keyward_core::os_rng());
            io::out_secret(&pin.to_zeroizing_string())
        }
        SuperpinCommand::Check(args) => {
            let what = if args.recovery_code {
                "the Recovery Code"
            } else {
                "the Super PIN"
            };
            let input = io::read_stdin_secret_line(what)?;
            // Separators inside the code are ignored by the parser; only
            // blank lines around it are dropped here.
            let line = io::single_line(&input, what)?;
            if args.recovery_code {
                RecoveryCode::parse(line)?;
            } else {
                SuperPin::parse(line)?;
            }
            io::out("OK")
        }
    }
}
