//! `keyward components split|combine`.

use clap::{Args, Subcommand};
use keyward_core::components::{self, ComponentInput};
use keyward_core::{AesKey, Error, ExpectedKcv, KcvMethod};

use crate::cmd_key::Method;
use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum ComponentsCommand {
    /// Split the key read from stdin (hex) into N components.
    ///
    /// Prints N lines `HEX KCV`, one per custodian, then `KCV <combined>`.
    Split(SplitArgs),
    /// Combine components read from stdin, one per line as `HEX [KCV]`.
    ///
    /// A line `KCV XXXXXX` gives the expected KCV of the combined key. Prints
    /// the combined key as hex; its KCV goes to stderr.
    Combine(CombineArgs),
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Number of components (2 to 16).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=16))]
    count: u8,
    /// KCV method.
    #[arg(long, value_enum, default_value_t = Method::Cmac)]
    method: Method,
}

#[derive(Debug, Args)]
pub struct CombineArgs {
    /// KCV method.
    #[arg(long, value_enum, default_value_t = Method::Cmac)]
    method: Method,
}

pub fn run(cmd: ComponentsCommand) -> CmdResult {
    match cmd {
        ComponentsCommand::Split(args) => split(&args),
        ComponentsCommand::Combine(args) => combine(&args),
    }
}

fn split(args: &SplitArgs) -> CmdResult {
    let method: KcvMethod = args.method.into();
    let input = io::read_stdin_secret("the AES key as hex")?;
    let key = AesKey::from_hex(io::single_line(&input, "the AES key as hex")?)?;
    let parts = components::split(&key, usize::from(args.count), &mut keyward_core::os_rng())?;
    for part in parts.iter() {
        let hex = part.expose_hex();
        io::out(&format!("{} {}", hex.to_uppercase(), part.kcv_with(method)))?;
    }
    io::out(&format!("KCV {}", key.kcv_with(method)))
}

/// One parsed input line: a component with its line number, or the combined KCV.
enum Line {
    Component { line: usize, input: ComponentInput },
    Combined(ExpectedKcv),
}

/// Parses `HEX [KCV]` where HEX may itself be split in groups. The last token
/// is a KCV when it has 6, 8 or 10 digits and the digits before it make an AES
/// key length; no key length plus a KCV length is another key length, so the
/// reading is unambiguous.
fn parse_line(text: &str, line: usize) -> Result<Option<Line>, Failure> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let at = |e: Error| Failure(format!("line {line}: {e}"));
    if let Some(rest) = trimmed
        .strip_prefix("KCV ")
        .or_else(|| trimmed.strip_prefix("kcv "))
    {
        return ExpectedKcv::parse(rest)
            .map(|k| Some(Line::Combined(k)))
            .map_err(at);
    }
    let digits = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
    let total = digits(trimmed);
    let (key_part, kcv_part) = match trimmed.rsplit_once(char::is_whitespace) {
        Some((head, last))
            if matches!(digits(last), 6 | 8 | 10)
                && matches!(total - digits(last), 32 | 48 | 64) =>
        {
            (head, Some(last))
        }
        _ => (trimmed, None),
    };
    let key = AesKey::from_hex(key_part).map_err(at)?;
    let expected_kcv = kcv_part.map(ExpectedKcv::parse).transpose().map_err(at)?;
    Ok(Some(Line::Component {
        line,
        input: ComponentInput { key, expected_kcv },
    }))
}

fn combine(args: &CombineArgs) -> CmdResult {
    let method: KcvMethod = args.method.into();
    let input = io::read_stdin_secret("the components, one per line")?;
    let key = combine_text(&input, method)?;
    io::out(&key.expose_hex())?;
    eprintln!("KCV {}", key.kcv_with(method));
    Ok(())
}

/// Combines the components of `input` in the form `split` prints (one
/// `HEX [KCV]` per line, an optional `KCV XXXXXX` line), checking every KCV;
/// errors name the failing line. Also used by `pkcs11 import-components`.
pub(crate) fn combine_text(input: &str, method: KcvMethod) -> Result<AesKey, Failure> {
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    let mut combined_kcv = None;
    for (number, text) in (1usize..).zip(input.lines()) {
        match parse_line(text, number)? {
            Some(Line::Component { line, input }) => {
                inputs.push(input);
                lines.push(line);
            }
            Some(Line::Combined(kcv)) => combined_kcv = Some((number, kcv)),
            None => {}
        }
    }
    let expected = combined_kcv.as_ref().map(|(_, kcv)| kcv);
    components::combine(&inputs, method, expected).map_err(|e| {
        let line_of = |c: usize| lines.get(c.wrapping_sub(1)).copied().unwrap_or(0);
        match e {
            Error::ComponentKcv { component, .. } | Error::ComponentLength { component, .. } => {
                Failure(format!("line {}: {e}", line_of(component)))
            }
            Error::CombinedKcv { .. } => match combined_kcv {
                Some((line, _)) => Failure(format!("line {line}: {e}")),
                None => Failure(e.to_string()),
            },
            other => Failure(other.to_string()),
        }
    })
}
