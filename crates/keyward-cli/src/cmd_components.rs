//! `keyward components split|combine`.

use clap::{Args, Subcommand};
use keyward_core::components::{self, ComponentInput};
use keyward_core::zeroize::Zeroizing;
use keyward_core::{AesKey, Error, ExpectedKcv, KcvMethod};

use crate::cmd_kcv::Method;
use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum ComponentsCommand {
    /// Split the key read from stdin (hex) into N components.
    ///
    /// Prints N lines `HEX KCV`, one per custodian, then the combined key's
    /// KCV line, which records the KCV method: `KCV XXXXXX` for AES-CMAC,
    /// `KCV-ECB XXXXXX` for the legacy ECB method.
    Split(SplitArgs),
    /// Combine components read from stdin, one per line as `HEX [KCV]`.
    ///
    /// A line `KCV XXXXXX` (AES-CMAC; also `KCV-CMAC XXXXXX`) or
    /// `KCV-ECB XXXXXX` gives the expected KCV of the combined key and the
    /// method of every KCV in the input. Without such a line the method is
    /// --method (default cmac). Prints the combined key as hex; its KCV goes
    /// to stderr, in the form's line syntax.
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
    /// KCV method when the input has no `KCV`/`KCV-ECB` line (default
    /// cmac); with such a line it must agree with it.
    #[arg(long, value_enum)]
    method: Option<Method>,
}

/// The label of the combined-KCV line (`docs/formats.md`, "XOR key
/// components"): it records the KCV method of every KCV in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// `KCV`: AES-CMAC, unless `--method ecb` says the form is a legacy ECB
    /// form printed before the method was recorded.
    Plain,
    /// `KCV-CMAC`: AES-CMAC, explicitly.
    Cmac,
    /// `KCV-ECB`: the legacy AES-ECB method.
    Ecb,
}

impl Label {
    /// The label `split` writes for a method.
    fn written_for(method: Method) -> Self {
        match method {
            Method::Cmac => Self::Plain,
            Method::Ecb => Self::Ecb,
        }
    }

    /// The label a word of the input is, if it is one (case-insensitive).
    fn parse(word: &str) -> Option<Self> {
        [Self::Plain, Self::Cmac, Self::Ecb]
            .into_iter()
            .find(|l| word.eq_ignore_ascii_case(l.as_str()))
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "KCV",
            Self::Cmac => "KCV-CMAC",
            Self::Ecb => "KCV-ECB",
        }
    }

    /// The method this label records explicitly (`KCV` records none).
    fn method(self) -> Option<Method> {
        match self {
            Self::Plain => None,
            Self::Cmac => Some(Method::Cmac),
            Self::Ecb => Some(Method::Ecb),
        }
    }
}

/// The method's name as given to --method.
fn method_name(method: Method) -> &'static str {
    match method {
        Method::Cmac => "cmac",
        Method::Ecb => "ecb",
    }
}

pub fn run(cmd: ComponentsCommand) -> CmdResult {
    match cmd {
        ComponentsCommand::Split(args) => split(&args),
        ComponentsCommand::Combine(args) => combine(&args),
    }
}

fn split(args: &SplitArgs) -> CmdResult {
    let input = io::read_stdin_secret_line("the AES key as hex")?;
    let key = AesKey::from_hex(io::single_line(&input, "the AES key as hex")?)?;
    let form = split_form(
        &key,
        usize::from(args.count),
        args.method,
        &mut keyward_core::os_rng(),
    )?;
    io::out_secret_bytes(form.as_bytes())
}

/// The components form of `key` split into `count` components: one
/// `HEX KCV` line per component, then the labelled combined-KCV line.
pub(crate) fn split_form(
    key: &AesKey,
    count: usize,
    method: Method,
    rng: &mut impl keyward_core::rand_core::CryptoRng,
) -> Result<Zeroizing<String>, Failure> {
    let kcv_method: KcvMethod = method.into();
    let parts = components::split(key, count, rng)?;
    // KCVs first (not secret), so that the form's buffer is allocated once
    // at its final size: growing it would free copies of the components.
    let mut kcvs: Vec<String> = Vec::with_capacity(count);
    kcvs.extend(parts.iter().map(|p| p.kcv_with(kcv_method).to_string()));
    let label = Label::written_for(method).as_str();
    let combined = key.kcv_with(kcv_method).to_string();
    let hex_len = key.length().bytes().saturating_mul(2);
    let size = kcvs
        .iter()
        .map(|k| hex_len + 1 + k.len() + 1)
        .sum::<usize>()
        + label.len()
        + 1
        + combined.len()
        + 1;
    let mut form = Zeroizing::new(String::with_capacity(size));
    // Each component's hex on the stack, wiped on drop.
    let mut hex = Zeroizing::new([0u8; 64]);
    for (part, kcv) in parts.iter().zip(&kcvs) {
        form.push_str(keyward_core::hex::encode_upper(
            part.expose_secret(),
            hex.as_mut_slice(),
        )?);
        form.push(' ');
        form.push_str(kcv);
        form.push('\n');
    }
    form.push_str(label);
    form.push(' ');
    form.push_str(&combined);
    form.push('\n');
    debug_assert_eq!(form.len(), size, "the form's size is computed exactly");
    Ok(form)
}

/// One parsed input line: a component with its line number, or the combined
/// KCV with the method its label records.
enum Line {
    Component { line: usize, input: ComponentInput },
    Combined(ExpectedKcv, Label),
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
    let at = |e: Error| Failure::Input(format!("line {line}: {e}"));
    if let Some((word, rest)) = trimmed.split_once(char::is_whitespace) {
        if let Some(label) = Label::parse(word) {
            return ExpectedKcv::parse(rest.trim())
                .map(|k| Some(Line::Combined(k, label)))
                .map_err(at);
        }
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
    let input = io::read_stdin_secret("the components, one per line")?;
    let (key, method) = combine_form(&input, args.method)?;
    io::out_secret(&key.expose_hex())?;
    io::note(&format!(
        "{} {}",
        Label::written_for(method).as_str(),
        key.kcv_with(method.into())
    ))
}

/// Reads a components form (`docs/formats.md`, "XOR key components") and
/// combines it: the key and the KCV method used. `given` is `--method`.
pub(crate) fn combine_form(
    input: &str,
    given: Option<Method>,
) -> Result<(AesKey, Method), Failure> {
    let mut inputs = Vec::new();
    let mut lines = Vec::new();
    // The combined KCV, its line's label and that line's number.
    let mut combined: Option<(ExpectedKcv, Label, usize)> = None;
    for (number, text) in (1usize..).zip(input.lines()) {
        match parse_line(text, number)? {
            Some(Line::Component { line, input }) => {
                inputs.push(input);
                lines.push(line);
            }
            Some(Line::Combined(kcv, label)) => {
                if let Some((_, first, at)) = &combined {
                    if *first != label {
                        return Err(Failure::Input(format!(
                            "line {number}: a {} line, but line {at} is a {} line: one KCV method per form",
                            label.as_str(),
                            first.as_str()
                        )));
                    }
                }
                combined = Some((kcv, label, number));
            }
            None => {}
        }
    }
    let recorded = combined
        .as_ref()
        .and_then(|(_, l, at)| Some((l.method()?, *l, *at)));
    let method = match (recorded, given) {
        (Some((rec, label, at)), Some(given)) if rec != given => {
            return Err(Failure::Input(format!(
                "line {at}: the {} line records KCV method {}, but --method {} was given",
                label.as_str(),
                method_name(rec),
                method_name(given)
            )));
        }
        (Some((rec, _, _)), _) => rec,
        (None, given) => given.unwrap_or_default(),
    };
    let kcv_method: KcvMethod = method.into();
    let expected = combined.as_ref().map(|(k, _, _)| k);
    let key = components::combine(&inputs, kcv_method, expected).map_err(|e| {
        let line_of = |c: usize| lines.get(c.wrapping_sub(1)).copied().unwrap_or(0);
        match e {
            Error::ComponentKcv { component, .. } | Error::ComponentLength { component, .. } => {
                let hint = if recorded.is_none()
                    && method == Method::Cmac
                    && matches!(e, Error::ComponentKcv { .. })
                    && components::combine(&inputs, KcvMethod::Ecb, None).is_ok()
                {
                    " (every component's KCV matches the legacy ECB method: give --method ecb)"
                } else {
                    ""
                };
                Failure::Input(format!("line {}: {e}{hint}", line_of(component)))
            }
            // The combined KCV's own line (only a form with one can fail so).
            Error::CombinedKcv { .. } => match &combined {
                Some((_, _, at)) => Failure::Input(format!("line {at}: {e}")),
                None => Failure::Input(e.to_string()),
            },
            other => Failure::Input(other.to_string()),
        }
    })?;
    Ok((key, method))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use proptest::prelude::*;

    use super::*;

    fn method() -> impl Strategy<Value = Method> {
        prop_oneof![Just(Method::Cmac), Just(Method::Ecb)]
    }

    fn key() -> impl Strategy<Value = AesKey> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 16),
            proptest::collection::vec(any::<u8>(), 24),
            proptest::collection::vec(any::<u8>(), 32),
        ]
        .prop_map(|b| AesKey::from_slice(&b).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A form read back gives the key and the method it was split with,
        /// without --method, with the agreeing --method, and in any line
        /// order; the other method is refused.
        #[test]
        fn split_form_combines_to_the_key(key in key(), count in 2usize..=16, m in method(), rot in 0usize..17) {
            let form = split_form(&key, count, m, &mut keyward_core::os_rng()).unwrap();
            let (back, used) = combine_form(&form, None).unwrap();
            prop_assert!(back == key);
            prop_assert_eq!(used, m);
            let mut lines: Vec<&str> = form.lines().collect();
            let n = lines.len();
            lines.rotate_left(rot % n);
            let shuffled = lines.join("\n");
            let (back, _) = combine_form(&shuffled, Some(m)).unwrap();
            prop_assert!(back == key);
            let other = if m == Method::Cmac { Method::Ecb } else { Method::Cmac };
            let refused = combine_form(&form, Some(other));
            // A plain `KCV` line (CMAC) read with --method ecb is the legacy
            // ECB form: its KCVs then fail; an explicit KCV-ECB line is refused
            // for --method cmac. Either way no key comes out.
            prop_assert!(refused.is_err());
        }
    }

    #[test]
    fn labels_parse_case_insensitively() {
        assert_eq!(Label::parse("kcv"), Some(Label::Plain));
        assert_eq!(Label::parse("Kcv-Cmac"), Some(Label::Cmac));
        assert_eq!(Label::parse("KCV-ECB"), Some(Label::Ecb));
        assert_eq!(Label::parse("KCV-DES"), None);
        assert_eq!(Label::written_for(Method::Cmac).as_str(), "KCV");
        assert_eq!(Label::written_for(Method::Ecb).as_str(), "KCV-ECB");
    }
}
