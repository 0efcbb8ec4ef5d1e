//! `keyward blob seal|open|rekey|key-id|sdk-params` (keyward-blob).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use base64ct::Encoding;
use clap::{Args, Subcommand, ValueEnum};
use keyward_blob::{
    BlobKind, DeriveVector, Error as BlobError, KeySetting, Keyring, RecordId, Reseal, StaticIv,
    StaticKey, StorageDeriveKey,
};
use keyward_core::zeroize::Zeroizing;

use crate::io::{self, CmdResult, Failure};

impl From<BlobError> for Failure {
    fn from(e: BlobError) -> Self {
        Self::Input(e.to_string())
    }
}

#[derive(Debug, Subcommand)]
pub enum BlobCommand {
    /// Seal the plaintext read from stdin; the sealed BLOB goes to stdout.
    Seal(SealArgs),
    /// Open the sealed BLOB read from stdin; the plaintext goes to stdout.
    Open(OpenArgs),
    /// Re-seal the BLOB read from stdin under a new setting (old BLOB must
    /// open under the old setting or already be under the new one).
    Rekey(RekeyArgs),
    /// Print the key id (encryption version) of a setting, or of the BLOB on
    /// stdin with --from-blob.
    KeyId(KeyIdArgs),
    /// Convert a storage derive key between 64 hex digits and the eight
    /// `StorageDeriveKeyN = 0x…` lines (direction detected from stdin).
    SdkParams,
}

/// Record kind on the command line.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Kind {
    /// Authenticator application BLOB.
    #[default]
    Application,
    /// Secure-channel payload key BLOB.
    Payload,
}

impl From<Kind> for BlobKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Application => Self::Application,
            Kind::Payload => Self::PayloadKey,
        }
    }
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Authenticator serial number.
    #[arg(long)]
    serial: String,
    /// Application name.
    #[arg(long = "app")]
    app: String,
    /// BLOB kind.
    #[arg(long, value_enum, default_value_t = Kind::Application)]
    kind: Kind,
    /// Caller context, authenticated with the BLOB (e.g. a table name).
    #[arg(long, default_value = "")]
    context: String,
}

impl RecordArgs {
    fn record(&self) -> RecordId<'_> {
        RecordId::new(
            self.kind.into(),
            self.serial.as_bytes(),
            self.app.as_bytes(),
        )
        .with_context(self.context.as_bytes())
    }
}

/// A key setting: derive vector or storage derive key file, static key and IV.
#[derive(Debug, Args)]
pub struct SettingArgs {
    /// Derive vector, decimal or 0x hex (0..=0x7FFFFFFF).
    #[arg(long, required_unless_present = "storage_derive_key_file")]
    derive_vector: Option<String>,
    /// File holding the storage derive key: 64 hex digits or the eight
    /// `StorageDeriveKeyN = 0x…` lines.
    #[arg(long)]
    storage_derive_key_file: Option<PathBuf>,
    /// File holding the static key as 64 hex digits (default: the public
    /// built-in static key).
    #[arg(long, conflicts_with = "static_key_hashkey_file")]
    static_key_file: Option<PathBuf>,
    /// File holding the site HashKey; its blob-static-key subkey is the
    /// static key.
    #[arg(long)]
    static_key_hashkey_file: Option<PathBuf>,
    /// Static IV as 32 hex digits (public; default: the built-in static IV).
    #[arg(long)]
    static_iv: Option<String>,
}

/// The same setting, prefixed `--old-`.
#[derive(Debug, Args)]
pub struct OldSettingArgs {
    /// Old derive vector.
    #[arg(long, required_unless_present = "old_storage_derive_key_file")]
    old_derive_vector: Option<String>,
    /// Old storage derive key file.
    #[arg(long)]
    old_storage_derive_key_file: Option<PathBuf>,
    /// Old static key file (hex).
    #[arg(long, conflicts_with = "old_static_key_hashkey_file")]
    old_static_key_file: Option<PathBuf>,
    /// Old static key from a HashKey file.
    #[arg(long)]
    old_static_key_hashkey_file: Option<PathBuf>,
    /// Old static IV (hex).
    #[arg(long)]
    old_static_iv: Option<String>,
}

/// The same setting, prefixed `--new-`.
#[derive(Debug, Args)]
pub struct NewSettingArgs {
    /// New derive vector.
    #[arg(long, required_unless_present = "new_storage_derive_key_file")]
    new_derive_vector: Option<String>,
    /// New storage derive key file.
    #[arg(long)]
    new_storage_derive_key_file: Option<PathBuf>,
    /// New static key file (hex).
    #[arg(long, conflicts_with = "new_static_key_hashkey_file")]
    new_static_key_file: Option<PathBuf>,
    /// New static key from a HashKey file.
    #[arg(long)]
    new_static_key_hashkey_file: Option<PathBuf>,
    /// New static IV (hex).
    #[arg(long)]
    new_static_iv: Option<String>,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    #[command(flatten)]
    record: RecordArgs,
    #[command(flatten)]
    setting: SettingArgs,
    /// Write the BLOB as base64 text instead of bytes.
    #[arg(long)]
    base64: bool,
    /// Add a random nonce (the same plaintext then seals differently each time).
    #[arg(long)]
    nonce: bool,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    record: RecordArgs,
    #[command(flatten)]
    setting: SettingArgs,
    /// Read the BLOB as base64 text instead of bytes.
    #[arg(long)]
    base64: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    record: RecordArgs,
    #[command(flatten)]
    old: OldSettingArgs,
    #[command(flatten)]
    new: NewSettingArgs,
    /// BLOBs in and out as base64 text.
    #[arg(long)]
    base64: bool,
}

#[derive(Debug, Args)]
pub struct KeyIdArgs {
    /// Derive vector, decimal or 0x hex (0..=0x7FFFFFFF).
    #[arg(long, conflicts_with = "from_blob", required_unless_present_any = ["storage_derive_key_file", "from_blob"])]
    derive_vector: Option<String>,
    /// File holding the storage derive key: 64 hex digits or the eight
    /// `StorageDeriveKeyN = 0x…` lines.
    #[arg(long, conflicts_with = "from_blob")]
    storage_derive_key_file: Option<PathBuf>,
    /// File holding the static key as 64 hex digits.
    #[arg(long, conflicts_with_all = ["static_key_hashkey_file", "from_blob"])]
    static_key_file: Option<PathBuf>,
    /// File holding the site HashKey; its blob-static-key subkey is the static key.
    #[arg(long, conflicts_with = "from_blob")]
    static_key_hashkey_file: Option<PathBuf>,
    /// Static IV as 32 hex digits.
    #[arg(long, conflicts_with = "from_blob")]
    static_iv: Option<String>,
    /// Read a sealed BLOB from stdin and print the key id in its header.
    #[arg(long)]
    from_blob: bool,
    /// The BLOB on stdin is base64 text.
    #[arg(long, requires = "from_blob")]
    base64: bool,
}

struct Setting<'a> {
    derive_vector: Option<&'a str>,
    sdk_file: Option<&'a Path>,
    static_key_file: Option<&'a Path>,
    hashkey_file: Option<&'a Path>,
    static_iv: Option<&'a str>,
}

impl SettingArgs {
    fn view(&self) -> Setting<'_> {
        Setting {
            derive_vector: self.derive_vector.as_deref(),
            sdk_file: self.storage_derive_key_file.as_deref(),
            static_key_file: self.static_key_file.as_deref(),
            hashkey_file: self.static_key_hashkey_file.as_deref(),
            static_iv: self.static_iv.as_deref(),
        }
    }
}

impl OldSettingArgs {
    fn view(&self) -> Setting<'_> {
        Setting {
            derive_vector: self.old_derive_vector.as_deref(),
            sdk_file: self.old_storage_derive_key_file.as_deref(),
            static_key_file: self.old_static_key_file.as_deref(),
            hashkey_file: self.old_static_key_hashkey_file.as_deref(),
            static_iv: self.old_static_iv.as_deref(),
        }
    }
}

impl NewSettingArgs {
    fn view(&self) -> Setting<'_> {
        Setting {
            derive_vector: self.new_derive_vector.as_deref(),
            sdk_file: self.new_storage_derive_key_file.as_deref(),
            static_key_file: self.new_static_key_file.as_deref(),
            hashkey_file: self.new_static_key_hashkey_file.as_deref(),
            static_iv: self.new_static_iv.as_deref(),
        }
    }
}

impl Setting<'_> {
    fn build(&self, which: &str) -> Result<KeySetting, Failure> {
        let ctx = |e: BlobError| Failure::Input(format!("{which}{e}"));
        let dv = self
            .derive_vector
            .map(|dv| DeriveVector::parse(dv).map_err(ctx))
            .transpose()?;
        let mut setting = match (dv, self.sdk_file) {
            (Some(dv), None) => KeySetting::derive_vector(dv),
            (dv, Some(path)) => {
                let text = io::read_secret_file(path, "the storage derive key")?;
                let setting =
                    KeySetting::storage_derive_key(text.parse::<StorageDeriveKey>().map_err(ctx)?);
                // docs/formats.md: with an SDK and no derive vector, DV = 0.
                match dv {
                    Some(dv) => setting.with_derive_vector(dv),
                    None => setting,
                }
            }
            (None, None) => {
                return Err(Failure::Usage(format!(
                    "{which}expected --derive-vector or --storage-derive-key-file"
                )));
            }
        };
        if let Some(path) = self.static_key_file {
            let text = io::read_secret_file(path, "the static key")?;
            setting = setting.with_static_key(StaticKey::from_hex(&text).map_err(ctx)?);
        }
        if let Some(path) = self.hashkey_file {
            let key = io::read_hash_key_file(path)?;
            setting = setting.with_static_key(StaticKey::from_hash_key(&key));
        }
        if let Some(iv) = self.static_iv {
            setting = setting.with_static_iv(StaticIv::from_hex(iv).map_err(ctx)?);
        }
        Ok(setting)
    }
}

/// Most bytes of a plaintext or a sealed BLOB read from stdin: the buffer is
/// allocated once at this size and never grows (growing would leave freed
/// copies of the plaintext).
const STDIN_CAP: usize = 16 * 1024 * 1024;

/// Reads all of stdin as bytes (zeroized on drop, at most [`STDIN_CAP`]).
/// On a terminal, lines are read with echo off until an empty line (see
/// [`io::read_stdin_secret`]).
fn read_stdin_bytes(what: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    if std::io::stdin().is_terminal() {
        let mut text = io::read_stdin_secret(what)?;
        // The same allocation, as bytes: no copy.
        return Ok(Zeroizing::new(core::mem::take(&mut *text).into_bytes()));
    }
    io::read_stdin_bytes(what, STDIN_CAP)
}

/// Reads a sealed BLOB from stdin, as bytes or base64 text.
fn read_blob(base64: bool) -> Result<Vec<u8>, Failure> {
    let raw = read_stdin_bytes("the sealed BLOB")?;
    if !base64 {
        return Ok(raw.to_vec());
    }
    let text = std::str::from_utf8(&raw)
        .map_err(|_| Failure::Input("the base64 BLOB on stdin is not text".into()))?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64ct::Base64::decode_vec(&compact)
        .map_err(|_| Failure::Input("the BLOB on stdin is not valid base64".into()))
}

fn write_blob(blob: &[u8], base64: bool) -> CmdResult {
    if base64 {
        io::out(&base64ct::Base64::encode_string(blob))
    } else {
        io::out_bytes(blob)
    }
}

pub fn run(cmd: BlobCommand) -> CmdResult {
    match cmd {
        BlobCommand::Seal(a) => {
            let setting = a.setting.view().build("")?;
            if setting.static_key.is_builtin_default() && setting.storage_derive_key.is_none() {
                io::note(
                    "keyward: warning: derive vector on the public built-in static key: tenant separation, not secrecy",
                )?;
            }
            let key = setting.database_key();
            let plaintext = read_stdin_bytes("the plaintext")?;
            let blob = if a.nonce {
                key.seal_randomized(&mut keyward_core::os_rng(), &a.record.record(), &plaintext)?
            } else {
                key.seal(&a.record.record(), &plaintext)?
            };
            io::note(&format!(
                "sealed {} bytes under key id {}",
                plaintext.len(),
                key.key_id()
            ))?;
            write_blob(&blob, a.base64)
        }
        BlobCommand::Open(a) => {
            let key = a.setting.view().build("")?.database_key();
            let blob = read_blob(a.base64)?;
            let plaintext = key.open(&a.record.record(), &blob)?;
            io::out_secret_bytes(&plaintext)
        }
        BlobCommand::Rekey(a) => {
            let old = a.old.view().build("old setting: ")?.database_key();
            let new = a.new.view().build("new setting: ")?.database_key();
            let mut ring = Keyring::new(new);
            if ring.get(old.key_id()).is_none() {
                ring.add(old)?;
            }
            let blob = read_blob(a.base64)?;
            let (out, what) = ring.reseal(&a.record.record(), &blob)?;
            match what {
                Reseal::Resealed { from, to } => {
                    io::note(&format!("resealed: key id {from} -> {to}"))?;
                }
                Reseal::AlreadyCurrent => {
                    io::note(&format!(
                        "already current: key id {}",
                        ring.primary().key_id()
                    ))?;
                }
            }
            write_blob(&out, a.base64)
        }
        BlobCommand::KeyId(a) => {
            if a.from_blob {
                let blob = read_blob(a.base64)?;
                return io::out(&keyward_blob::encryption_version(&blob)?.to_string());
            }
            let setting = Setting {
                derive_vector: a.derive_vector.as_deref(),
                sdk_file: a.storage_derive_key_file.as_deref(),
                static_key_file: a.static_key_file.as_deref(),
                hashkey_file: a.static_key_hashkey_file.as_deref(),
                static_iv: a.static_iv.as_deref(),
            };
            io::out(&setting.build("")?.database_key().key_id().to_string())
        }
        BlobCommand::SdkParams => {
            let input = io::read_stdin_secret("the storage derive key (hex or parameter lines)")?;
            let key: StorageDeriveKey = input.parse()?;
            let needle = b"storagederivekey";
            let is_params = input
                .as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle));
            if is_params {
                io::out_secret(&key.expose_hex())
            } else {
                let text = key.to_params();
                io::out_secret_bytes(text.as_bytes())
            }
        }
    }
}
