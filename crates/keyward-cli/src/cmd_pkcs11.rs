//! `keyward pkcs11 list|kcv|import-components|export|import`: AES keys that
//! live in PKCS#11 tokens and HSMs (`keyward-pkcs11`).
//!
//! Tokens and keys are named by RFC 7512 URIs. The PKCS#11 library comes
//! from the URI's `module-path`, else `--pkcs11-module`, else
//! `KEYWARD_PKCS11_MODULE`; the user PIN from the URI's
//! `pin-source=file:PATH`, else `--pin-file`, else a prompt on the terminal
//! with echo off. A `pin-value` attribute is refused. Every KCV printed here
//! is computed by the token.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use keyward_core::{Kcv, KcvMethod};
use keyward_pkcs11::{KeyUsage, Modules, NewKey, PinSource, Pkcs11Uri, TokenSession, WrappedKey};

use crate::cmd_kcv::Method;
use crate::io::{self, CmdResult, Failure};

impl From<keyward_pkcs11::Error> for Failure {
    fn from(e: keyward_pkcs11::Error) -> Self {
        Self::Input(e.to_string())
    }
}

impl From<keyward_pkcs11::UriError> for Failure {
    fn from(e: keyward_pkcs11::UriError) -> Self {
        Self::Input(e.to_string())
    }
}

/// Where the module and the PINs come from (every subcommand).
#[derive(Debug, Args)]
pub struct Access {
    /// The PKCS#11 library, when the URI has no module-path= (default:
    /// $KEYWARD_PKCS11_MODULE).
    #[arg(long, value_name = "PATH")]
    pkcs11_module: Option<PathBuf>,
    /// User PINs for tokens whose URI has no pin-source=: one line per token
    /// in the order the tokens are named, or one line for all. Without it,
    /// a prompt on the terminal (echo off).
    #[arg(long, value_name = "FILE")]
    pin_file: Option<PathBuf>,
}

impl Access {
    fn modules(&self) -> Modules {
        Modules::from_flag_or_env(self.pkcs11_module.clone())
    }

    fn pins(&self) -> Result<PinSource, Failure> {
        match &self.pin_file {
            Some(path) => Ok(PinSource::file(path)?),
            None => Ok(PinSource::Prompt),
        }
    }
}

/// Usage attributes of a key keyward creates.
#[derive(Debug, Args)]
pub struct Creation {
    /// Set CKA_EXTRACTABLE (the key can then be exported wrapped); without
    /// it the key never leaves the token.
    #[arg(long)]
    extractable: bool,
    /// Replace a key with the same label: the new key is created and
    /// verified first, then the old one destroyed.
    #[arg(long)]
    replace: bool,
    /// The key is a transport key (CKA_WRAP/CKA_UNWRAP, no CKA_ENCRYPT),
    /// e.g. the key that --wrapping-key names.
    #[arg(long)]
    transport: bool,
}

impl Creation {
    fn apply(&self, spec: &mut NewKey) {
        spec.extractable = self.extractable;
        spec.replace = self.replace;
        spec.usage = if self.transport {
            KeyUsage::Transport
        } else {
            KeyUsage::Data
        };
    }
}

#[derive(Debug, Subcommand)]
pub enum Pkcs11Command {
    /// Slots and tokens; with a URI naming a token, its secret keys (label,
    /// type and size, KCV computed by the token where it allows).
    List(ListArgs),
    /// The KCV of each key, computed by the token (CKM_AES_CMAC, or
    /// CKM_AES_ECB with --method ecb): one line per key naming its token.
    ///
    /// With several URIs (replicated slots, an HA pair, two HSMs) exits 1
    /// when any KCV differs, naming the token whose KCV differs.
    Kcv(KcvArgs),
    /// Enter an AES key into a token from components read on stdin, in the
    /// form `keyward components split` prints (`HEX KCV` per line, then
    /// `KCV XXXXXX`).
    ///
    /// Every component's KCV and the combined KCV are checked (naming the
    /// failing line) before the token is touched. The key is created
    /// CKA_SENSITIVE, labelled with the URI's object=, extractable only with
    /// --extractable; then the token computes its KCV, and a difference
    /// destroys the new object. A refused import leaves nothing in the token.
    ImportComponents(ImportComponentsArgs),
    /// Export a key wrapped under a transport key of the same token
    /// (CKM_AES_KEY_WRAP_PAD, RFC 5649) to stdout, as the versioned
    /// wrapped-key file of docs/formats.md.
    Export(ExportArgs),
    /// Import a wrapped-key file read on stdin into a token, unwrapping it
    /// under a transport key there.
    ///
    /// The transport key's KCV must equal the file's before anything is
    /// unwrapped; the new key's token-computed KCV must equal the file's, or
    /// the new object is destroyed. Label: the URI's object=, else the file's.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// A token (and optionally object=) to list the keys of.
    uri: Option<String>,
    #[command(flatten)]
    access: Access,
}

#[derive(Debug, Args)]
pub struct KcvArgs {
    /// KCV method.
    #[arg(long, value_enum, default_value_t = Method::Cmac)]
    method: Method,
    /// One URI per key (token and object=).
    #[arg(required = true)]
    uris: Vec<String>,
    #[command(flatten)]
    access: Access,
}

#[derive(Debug, Args)]
pub struct ImportComponentsArgs {
    /// The token, with object=LABEL for the new key.
    uri: String,
    /// KCV method of the component KCVs (and of the token check) when the
    /// form has no `KCV`/`KCV-ECB` line recording it (default cmac).
    #[arg(long, value_enum)]
    method: Option<Method>,
    #[command(flatten)]
    creation: Creation,
    #[command(flatten)]
    access: Access,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The key to export (token and object=).
    uri: String,
    /// The transport key, in the same token.
    #[arg(long, value_name = "URI")]
    wrapping_key: String,
    /// KCV method recorded in the file (CMAC unless the token lacks it).
    #[arg(long, value_enum, default_value_t = Method::Cmac)]
    method: Method,
    #[command(flatten)]
    access: Access,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The token to import into (object= overrides the file's label).
    uri: String,
    /// The transport key, in the same token.
    #[arg(long, value_name = "URI")]
    wrapping_key: String,
    #[command(flatten)]
    creation: Creation,
    #[command(flatten)]
    access: Access,
}

/// `ceremony recover --into URI`: the recovered backup key goes into a token
/// instead of stdout.
#[derive(Debug, Args)]
pub struct IntoToken {
    /// Create the recovered key in this token (object=LABEL names it) instead
    /// of printing it: non-extractable unless --extractable, its KCV computed
    /// by the token and compared with the cards' KCV (a difference destroys
    /// the new object). The key is never printed in this mode.
    #[arg(long, value_name = "URI")]
    into: Option<String>,
    /// With --into: set CKA_EXTRACTABLE on the new key.
    #[arg(long, requires = "into")]
    extractable: bool,
    /// With --into: replace a key with the same label (the new key is
    /// created and verified first, then the old one destroyed).
    #[arg(long, requires = "into")]
    replace: bool,
    /// With --into: the PKCS#11 library, when the URI has no module-path=
    /// (default: $KEYWARD_PKCS11_MODULE).
    #[arg(long, value_name = "PATH", requires = "into")]
    pkcs11_module: Option<PathBuf>,
    /// With --into: the token's user PIN, when the URI has no pin-source=
    /// (one line). Without it, a prompt on the terminal (echo off).
    #[arg(long, value_name = "FILE", requires = "into")]
    token_pin_file: Option<PathBuf>,
}

/// A logged-in session on the token `--into` names, opened before any card
/// is read (so a missing token or a taken label costs no card PIN try).
#[derive(Debug)]
pub struct IntoSession {
    session: TokenSession,
    spec: NewKey,
}

impl IntoToken {
    /// `None` without `--into`; otherwise the session, with the label checked
    /// free (unless `--replace`).
    ///
    /// # Errors
    /// A bad URI, a missing module or token, a wrong token PIN, an existing
    /// label without `--replace`.
    pub fn open(&self) -> Result<Option<IntoSession>, Failure> {
        let Some(text) = &self.into else {
            return Ok(None);
        };
        let uri = parse(text)?;
        let mut spec = NewKey::from_uri(&uri)?;
        spec.extractable = self.extractable;
        spec.replace = self.replace;
        spec.usage = KeyUsage::Data;
        let mut modules = Modules::from_flag_or_env(self.pkcs11_module.clone());
        let mut pins = match &self.token_pin_file {
            Some(path) => PinSource::file(path)?,
            None => PinSource::Prompt,
        };
        let session = open(&mut modules, &uri, &mut pins)?;
        if !spec.replace {
            let taken = session
                .secret_keys()?
                .into_iter()
                .any(|k| k.label == spec.label);
            if taken {
                return Err(Failure::Input(format!(
                    "{} already holds a key labelled \"{}\"; give --replace to replace it \
                     (no card was read)",
                    session.token().name(),
                    spec.label
                )));
            }
        }
        Ok(Some(IntoSession { session, spec }))
    }
}

impl IntoSession {
    /// Creates the recovered key in the token; its token-computed KCV must
    /// equal `cards_kcv` (the KCV recorded on the cards). Prints the KCV on
    /// stdout and a line naming the token on stderr; never the key.
    ///
    /// # Errors
    /// A KCV difference (the new object destroyed), a token error.
    pub fn create(mut self, key: &keyward_core::AesKey, cards_kcv: Kcv) -> CmdResult {
        self.spec.kcv_method = cards_kcv.method();
        self.spec.expected_kcv = Some(cards_kcv);
        let (created, kcv) = self.session.create_aes_key(key, &self.spec)?;
        io::out(&format!("KCV {kcv}"))?;
        io::note(&format!(
            "keyward: created {} key \"{}\" in {} ({}); KCV {kcv} computed by the token \
             equals the cards' KCV; the key was not printed",
            created.type_and_size(),
            created.label,
            self.session.token().name(),
            extractability(&self.spec),
        ))?;
        Ok(())
    }
}

pub fn run(cmd: Pkcs11Command) -> CmdResult {
    match cmd {
        Pkcs11Command::List(a) => list(&a),
        Pkcs11Command::Kcv(a) => kcv(&a),
        Pkcs11Command::ImportComponents(a) => import_components(&a),
        Pkcs11Command::Export(a) => export(&a),
        Pkcs11Command::Import(a) => import(&a),
    }
}

/// Parses a URI given on the command line.
fn parse(text: &str) -> Result<Pkcs11Uri, Failure> {
    Ok(Pkcs11Uri::parse(text)?)
}

/// Opens and logs in to the token a URI names (read-write).
fn open(
    modules: &mut Modules,
    uri: &Pkcs11Uri,
    pins: &mut PinSource,
) -> Result<TokenSession, Failure> {
    let token = modules.find_token(uri)?;
    Ok(TokenSession::open(token, uri, pins)?)
}

/// Opens and logs in to the token a URI names, read-only (list, kcv).
fn open_read_only(
    modules: &mut Modules,
    uri: &Pkcs11Uri,
    pins: &mut PinSource,
) -> Result<TokenSession, Failure> {
    let token = modules.find_token(uri)?;
    Ok(TokenSession::open_read_only(token, uri, pins)?)
}

fn extractability(spec: &NewKey) -> &'static str {
    if spec.extractable {
        "extractable"
    } else {
        "non-extractable"
    }
}

fn yes_no(flag: Option<bool>, yes: &'static str, no: &'static str) -> &'static str {
    match flag {
        Some(true) => yes,
        Some(false) => no,
        None => "",
    }
}

fn list(a: &ListArgs) -> CmdResult {
    let mut modules = a.access.modules();
    let Some(text) = &a.uri else {
        let module = modules.default_module()?;
        io::out(&format!("module {}", module.path().display()))?;
        let tokens = module.tokens()?;
        if tokens.is_empty() {
            io::out("  no slot holds a token")?;
        }
        for t in tokens {
            let info = t.info();
            let mut flags = Vec::new();
            if info.login_required() {
                flags.push("login required");
            }
            if info.protected_authentication_path() {
                flags.push("PIN pad");
            }
            let tries = keyward_pkcs11::Tries::of(info).words();
            if !tries.is_empty() {
                flags.push(tries);
            }
            io::out(&format!(
                "slot {}\t{}\tmodel \"{}\"\tmanufacturer \"{}\"{}",
                t.slot().id(),
                t.name(),
                info.model().trim_end(),
                info.manufacturer_id().trim_end(),
                if flags.is_empty() {
                    String::new()
                } else {
                    format!("\t{}", flags.join(", "))
                }
            ))?;
        }
        return Ok(());
    };
    let uri = parse(text)?;
    let session = open_read_only(&mut modules, &uri, &mut a.access.pins()?)?;
    io::out(session.token().name())?;
    let keys: Vec<_> = session
        .secret_keys()?
        .into_iter()
        .filter(|k| uri.object.as_ref().is_none_or(|o| *o == k.label))
        .filter(|k| uri.id.as_ref().is_none_or(|i| *i == k.id))
        .collect();
    if keys.is_empty() {
        io::out("  no secret key")?;
    }
    for k in keys {
        let kcv = match session.kcv(&k, KcvMethod::Cmac) {
            Ok(kcv) => format!("KCV {kcv}"),
            Err(keyward_pkcs11::Error::NotAes { .. }) => "KCV -".to_owned(),
            Err(e) => format!("KCV - ({})", short_reason(&e)),
        };
        let attrs: Vec<&str> = [
            yes_no(k.extractable, "extractable", "non-extractable"),
            yes_no(k.wrap, "wrap", ""),
            yes_no(k.unwrap, "unwrap", ""),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
        io::out(&format!(
            "  \"{}\"\t{}\t{kcv}\t{}",
            k.label,
            k.type_and_size(),
            attrs.join(", ")
        ))?;
    }
    Ok(())
}

/// Why the token computes no KCV, without the token and key names the
/// `list` line already shows.
fn short_reason(e: &keyward_pkcs11::Error) -> String {
    match e {
        keyward_pkcs11::Error::KeyRefused { detail, .. } => detail.clone(),
        keyward_pkcs11::Error::MechanismMissing { mechanism, .. } => {
            format!("the token does not offer {mechanism}")
        }
        other => other.to_string(),
    }
}

fn kcv(a: &KcvArgs) -> CmdResult {
    let method: KcvMethod = a.method.into();
    let mut modules = a.access.modules();
    let mut pins = a.access.pins()?;
    // Sessions stay open until the end, so a token named twice is logged
    // into once.
    let mut sessions = Vec::new();
    let mut results = Vec::new();
    for text in &a.uris {
        let uri = parse(text)?;
        let session = open_read_only(&mut modules, &uri, &mut pins)?;
        let key = session.find_key(&uri)?;
        let kcv = session.kcv(&key, method)?;
        let who = format!("{} key \"{}\"", session.token().name(), key.label);
        io::out(&format!("{kcv}\t{who}"))?;
        results.push((kcv, who));
        sessions.push(session);
    }
    let Some((first, first_who)) = results.first() else {
        return Ok(());
    };
    let differing: Vec<String> = results
        .iter()
        .filter(|(k, _)| k.bytes() != first.bytes())
        .map(|(k, who)| format!("{who} has KCV {k}"))
        .collect();
    if differing.is_empty() {
        if results.len() > 1 {
            io::note(&format!(
                "keyward: all {} KCVs are equal ({first})",
                results.len()
            ))?;
        }
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "KCVs differ: {}, where {first_who} (the first named) has KCV {first}",
            differing.join("; ")
        )))
    }
}

fn import_components(a: &ImportComponentsArgs) -> CmdResult {
    let uri = parse(&a.uri)?;
    let mut spec = NewKey::from_uri(&uri)?;
    a.creation.apply(&mut spec);
    // Every component is checked before the token is touched.
    let input = io::read_stdin_secret("the components, one per line")?;
    let (key, method) = crate::cmd_components::combine_form(&input, a.method)?;
    drop(input);
    spec.kcv_method = method.into();
    let mut modules = a.access.modules();
    let session = open(&mut modules, &uri, &mut a.access.pins()?)?;
    let (created, kcv) = session.create_aes_key(&key, &spec)?;
    io::out(&format!("KCV {kcv}"))?;
    io::note(&format!(
        "keyward: created {} key \"{}\" in {} ({}); KCV {kcv} computed by the token",
        created.type_and_size(),
        created.label,
        session.token().name(),
        extractability(&spec),
    ))?;
    Ok(())
}

/// The key's session and the transport key, which must share a token.
fn key_and_wrapping_key(
    access: &Access,
    key_uri: &Pkcs11Uri,
    wrapping_text: &str,
) -> Result<(TokenSession, Pkcs11Uri), Failure> {
    let mut wrapping_uri = parse(wrapping_text)?;
    if wrapping_uri.module_path.is_none() {
        wrapping_uri.module_path.clone_from(&key_uri.module_path);
    }
    let mut modules = access.modules();
    let mut pins = access.pins()?;
    let session = open(&mut modules, key_uri, &mut pins)?;
    let names_a_token = wrapping_uri.token.is_some()
        || wrapping_uri.serial.is_some()
        || wrapping_uri.manufacturer.is_some()
        || wrapping_uri.model.is_some()
        || wrapping_uri.slot_id.is_some()
        || wrapping_uri.slot_description.is_some()
        || wrapping_uri.slot_manufacturer.is_some();
    if !names_a_token {
        // `pkcs11:object=KEK`: the key's own token.
        return Ok((session, wrapping_uri));
    }
    let wrapping_token = modules.find_token(&wrapping_uri)?;
    if !wrapping_token.same_as(session.token()) {
        return Err(Failure::Input(format!(
            "the wrapping key must be in the token of the key: {} is named for the key, {} for \
             the wrapping key",
            session.token().name(),
            wrapping_token.name()
        )));
    }
    Ok((session, wrapping_uri))
}

fn export(a: &ExportArgs) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        return Err(Failure::Input(
            "the wrapped key is binary: redirect stdout to a file (> FILE)".into(),
        ));
    }
    let uri = parse(&a.uri)?;
    let (session, wrapping_uri) = key_and_wrapping_key(&a.access, &uri, &a.wrapping_key)?;
    let key = session.find_key(&uri)?;
    let wrapping = session.find_key(&wrapping_uri)?;
    let wrapped = session.wrap(&key, &wrapping, a.method.into())?;
    let bytes = wrapped
        .to_bytes()
        .map_err(|e| Failure::Input(format!("{}: {e}", session.token().name())))?;
    // One write: the file appears whole or, on a failure, is reported.
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    io::note(&format!(
        "keyward: exported \"{}\" (KCV {}) from {}, wrapped with RFC 5649 under \"{}\" (KCV {})",
        wrapped.label,
        wrapped.key_kcv,
        session.token().name(),
        wrapping.label,
        wrapped.wrapping_kcv
    ))?;
    Ok(())
}

/// Largest wrapped-key file read (the format's maximum is 326 bytes).
const MAX_FILE: u64 = 4096;

fn import(a: &ImportArgs) -> CmdResult {
    if std::io::stdin().is_terminal() {
        return Err(Failure::Input(
            "the wrapped-key file is read from stdin: redirect it (< FILE)".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Input(format!("reading the wrapped-key file from stdin: {e}")))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE {
        return Err(Failure::Input(format!(
            "stdin holds more than {MAX_FILE} bytes: not a wrapped-key file"
        )));
    }
    let file = WrappedKey::from_bytes(&bytes).map_err(|e| Failure::Input(e.to_string()))?;
    let uri = parse(&a.uri)?;
    let mut spec = NewKey {
        label: uri.object.clone().unwrap_or_else(|| file.label.clone()),
        id: uri.id.clone(),
        kcv_method: file.kcv_method,
        ..NewKey::default()
    };
    a.creation.apply(&mut spec);
    let (session, wrapping_uri) = key_and_wrapping_key(&a.access, &uri, &a.wrapping_key)?;
    let wrapping = session.find_key(&wrapping_uri)?;
    let created = session.unwrap(&file, &wrapping, &spec)?;
    io::out(&format!("KCV {}", file.key_kcv))?;
    io::note(&format!(
        "keyward: imported \"{}\" into {} ({}); KCV {} computed by the token equals the file's",
        created.label,
        session.token().name(),
        extractability(&spec),
        file.key_kcv
    ))?;
    Ok(())
}
