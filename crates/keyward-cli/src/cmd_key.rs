//! `keyward key generate` and `keyward kcv`.

use clap::{Args, Subcommand, ValueEnum};
use keyward_core::{AesKey, KcvMethod, KeyLength};

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

/// A KCV method as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Method {
    /// AES-CMAC of one zero block (default).
    #[default]
    Cmac,
    /// Legacy: AES-ECB of one zero block.
    Ecb,
}

impl From<Method> for KcvMethod {
    fn from(m: Method) -> Self {
        match m {
            Method::Cmac => Self::Cmac,
            Method::Ecb => Self::Ecb,
        }
    }
}

#[derive(Debug, Args)]
pub struct KcvArgs {
    /// KCV method.
    #[arg(long, value_enum, default_value_t = Method::Cmac)]
    pub method: Method,
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
            io::out(&key.expose_hex())?;
            eprintln!("KCV {}", key.kcv());
            Ok(())
        }
    }
}

pub fn kcv(args: &KcvArgs) -> CmdResult {
    let input = io::read_stdin_secret("the AES key as hex")?;
    let key = AesKey::from_hex(io::single_line(&input, "the AES key as hex")?)?;
    io::out(&key.kcv_with(args.method.into()).to_string())
}
