//! `keyward hashkey check`.

use clap::Subcommand;
use keyward_core::HashKey;

use crate::io::{self, CmdResult};

#[derive(Debug, Subcommand)]
pub enum HashkeyCommand {
    /// Check the HashKey read from stdin (one line) and print its key id.
    Check,
}

pub fn run(cmd: HashkeyCommand) -> CmdResult {
    match cmd {
        HashkeyCommand::Check => {
            let input = io::read_stdin_secret("the HashKey")?;
            // Only the line terminator is removed: spaces inside or around the
            // key are characters of the key and are reported.
            let line = input.lines().next().unwrap_or("");
            let key = HashKey::new(line)?;
            if key.is_builtin_default() {
                eprintln!("keyward: warning: this is the public built-in default HashKey");
            }
            io::out(&format!("valid HashKey, key id {}", key.key_id()))
        }
    }
}
