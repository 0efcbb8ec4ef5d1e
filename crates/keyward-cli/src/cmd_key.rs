//! `keyward key generate`.

use clap::{Args, Subcommand};
use keyward_core::{AesKey, KeyLength};

use crate::io::{self, CmdResult};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a random AES key: hex on stdout, its KCV on stderr.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Key length in bytes.
    #[arg(long, default_value = "32", value_parser = ["16", "24", "32"])]
    bytes: String,
}

pub fn run(cmd: KeyCommand) -> CmdResult {
    match cmd {
        KeyCommand::Generate(args) => {
            let length = match args.bytes.as_str() {
                "16" => KeyLength::Aes128,
                "24" => KeyLength::Aes192,
                _ => KeyLength::Aes256,
            };
            let key = AesKey::generate(length, &mut keyward_core::os_rng());
            io::out_secret(&key.expose_hex())?;
            io::note(&format!("KCV {}", key.kcv()))?;
            Ok(())
        }
    }
}
