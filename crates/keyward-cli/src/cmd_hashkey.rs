//! `keyward hashkey check`.

use clap::Subcommand;
use keyward_core::HashKey;

use crate::io::{self, CmdResult};

#[derive(Debug, Subcommand)]
pub enum HashkeyCommand {
    /// Check the HashKey read from stdin (one line) and print its key id.
    Check,
    /// Switch to a new HashKey: re-seal templates, list users who must re-enrol.
    ///
    /// Re-seals every template of TEMPLATES from the old HashKey to the new one
    /// and lists the users whose PIN/password hashes (HASHES) were made under the
    /// old HashKey and must re-enrol. Refuses (exit 1, nothing written) while
    /// such hashes exist, unless --accept-reenrolment is given.
    ///
    /// TEMPLATES: one template per line, `USER<TAB>SLOT<TAB>BLOB` (BLOB in
    /// Base64; SLOT may be empty); blank lines and lines starting with `#` are
    /// ignored. HASHES: one hash per line, `USER PHC` (the PHC string is the
    /// last field). OUT receives every template in the same form and order:
    /// re-sealed, already current or — when it could not be opened — unchanged.
    /// Results on stdout (summary, then one `re-enrol: USER` line per user),
    /// progress and failures on stderr. Exit 0 when every template was migrated,
    /// 1 on refusal, bad input or any template left unchanged, 2 on usage errors.
    Migrate(crate::cmd_hashkey_ceremony::MigrateArgs),
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
        HashkeyCommand::Migrate(args) => crate::cmd_hashkey_ceremony::migrate(&args),
    }
}
