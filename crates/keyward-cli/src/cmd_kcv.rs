//! `keyward kcv`: the key check value of an AES key, and the KCV method as a
//! command-line value (also used by `keyward components`).

use clap::{Args, ValueEnum};
use keyward_core::{AesKey, KcvMethod};

use crate::io::{self, CmdResult};

/// A KCV method as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
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

/// `keyward kcv`: reads one key (hex) from stdin, prints its KCV.
///
/// # Errors
/// [`crate::io::Failure::Input`] when the input is not one AES key in hex.
pub fn run(args: &KcvArgs) -> CmdResult {
    let input = io::read_stdin_secret_line("the AES key as hex")?;
    let key = AesKey::from_hex(io::single_line(&input, "the AES key as hex")?)?;
    io::out(&key.kcv_with(args.method.into()).to_string())
}
