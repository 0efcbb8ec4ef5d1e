//! `keyward db census|encrypt|rekey|verify` (keyward-db): BLOB migration on
//! SQLite and PostgreSQL tables.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use keyward_blob::{
    BlobKind, DeriveVector, Error as BlobError, KeySetting, Keyring, StaticIv, StaticKey,
    StorageDeriveKey,
};
use keyward_db::{
    Connector, DbUrl, Error as DbError, Event, Field, Ident, Operation, Plan, TableMapping, Version,
};

use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Count the rows per key id (encryption version), plaintext rows, and
    /// rows under a key id no given setting has.
    Census(CensusArgs),
    /// Seal the plaintext rows (version 0) under the new setting.
    Encrypt(EncryptArgs),
    /// Re-seal the rows under any old setting under the new one.
    Rekey(RekeyArgs),
    /// Open every sealed row under the given settings; write nothing.
    Verify(VerifyArgs),
    /// Switch the site HashKey over database tables: survey the PIN/password
    /// hash table (refuse while hashes under the old HashKey exist unless
    /// --accept-reenrolment), re-seal the template table from the old
    /// HashKey's template key to the new one (batched and resumable as
    /// rekey), and list the users to re-enrol (`re-enrol: USER` on stdout).
    HashkeyMigrate(HashkeyMigrateArgs),
}

/// Arguments of `keyward db hashkey-migrate`.
#[derive(Debug, Args)]
pub struct HashkeyMigrateArgs {
    /// sqlite:PATH or postgresql://USER@HOST:PORT/DB (no password: use
    /// --password-file or PGPASSFILE).
    #[arg(long)]
    db: String,
    /// File holding the PostgreSQL password (one line; mode 0600).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// The PIN/password hash table (NAME or SCHEMA.NAME).
    #[arg(long)]
    hash_table: String,
    /// Its integer id column (unique).
    #[arg(long)]
    hash_id_column: String,
    /// Its user column.
    #[arg(long)]
    hash_user_column: String,
    /// Its PHC string column.
    #[arg(long)]
    hash_phc_column: String,
    /// The template table (NAME or SCHEMA.NAME).
    #[arg(long)]
    table: String,
    /// Its integer id column (unique; batches are id ranges).
    #[arg(long)]
    id_column: String,
    /// Its BLOB column (binary): the template BLOB.
    #[arg(long)]
    blob_column: String,
    /// Its version column: the template key id (integer: big-endian u32;
    /// text: 8 hex digits).
    #[arg(long)]
    version_column: String,
    /// Its user column (the template BLOB's serial).
    #[arg(long)]
    user_column: String,
    /// Its template slot column (the template BLOB's context, e.g. finger-1).
    #[arg(long)]
    slot_column: String,
    /// File holding the old HashKey (first line); without it, the built-in
    /// default HashKey.
    #[arg(long, value_name = "FILE")]
    old_hashkey_file: Option<PathBuf>,
    /// Derivation of the old HashKey's records: 1 for records made before
    /// derivation 2 (default: the --hashkey-derivation in force, which
    /// applies to the new HashKey).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=2))]
    old_derivation: Option<u8>,
    /// File holding the new HashKey (first line).
    #[arg(long, value_name = "FILE")]
    new_hashkey_file: PathBuf,
    /// Switch even though users with hashes under the old HashKey must
    /// enrol their PIN/password again (hashes are irreversible).
    #[arg(long)]
    accept_reenrolment: bool,
    #[command(flatten)]
    run: RunArgs,
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

/// The database and the table mapping.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// sqlite:PATH or postgresql://USER@HOST:PORT/DB (no password: use
    /// --password-file or PGPASSFILE).
    #[arg(long)]
    db: String,
    /// File holding the PostgreSQL password (one line; mode 0600).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Table (NAME or SCHEMA.NAME).
    #[arg(long)]
    table: String,
    /// Integer id column (unique; batches are id ranges).
    #[arg(long)]
    id_column: String,
    /// BLOB column (binary).
    #[arg(long)]
    blob_column: String,
    /// Version column: the key id (integer: big-endian u32; text: 8 hex
    /// digits), 0 for plaintext.
    #[arg(long)]
    version_column: String,
    /// Column holding the serial number.
    #[arg(long, required_unless_present = "serial", conflicts_with = "serial")]
    serial_column: Option<String>,
    /// The serial number of every row.
    #[arg(long)]
    serial: Option<String>,
    /// Column holding the application name.
    #[arg(long, required_unless_present = "app", conflicts_with = "app")]
    app_column: Option<String>,
    /// The application name of every row.
    #[arg(long)]
    app: Option<String>,
    /// BLOB kind of every row.
    #[arg(long, value_enum, default_value_t = Kind::Application)]
    kind: Kind,
    /// Column holding the context (authenticated with the BLOB); empty if absent.
    #[arg(long)]
    context_column: Option<String>,
}

/// How a migration runs.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    batch: u32,
    /// Parallel workers over disjoint id ranges.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: u16,
}

/// Key settings for census and verify: each --derive-vector and each
/// --storage-derive-key-file is one key of the keyring (the first is the
/// primary); the static key and IV apply to all.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Derive vector, decimal or 0x hex (repeatable).
    #[arg(long, required_unless_present = "storage_derive_key_file")]
    derive_vector: Vec<String>,
    /// Storage derive key file (repeatable; derive vector 0).
    #[arg(long)]
    storage_derive_key_file: Vec<PathBuf>,
    /// Static key file (64 hex digits).
    #[arg(long, conflicts_with = "static_key_hashkey_file")]
    static_key_file: Option<PathBuf>,
    /// Static key from a site HashKey file.
    #[arg(long)]
    static_key_hashkey_file: Option<PathBuf>,
    /// Static IV (32 hex digits).
    #[arg(long)]
    static_iv: Option<String>,
}

/// The old settings of rekey (repeatable, as for verify).
#[derive(Debug, Args)]
pub struct OldKeysArgs {
    /// Old derive vector (repeatable).
    #[arg(long, required_unless_present = "old_storage_derive_key_file")]
    old_derive_vector: Vec<String>,
    /// Old storage derive key file (repeatable).
    #[arg(long)]
    old_storage_derive_key_file: Vec<PathBuf>,
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

/// The new setting of encrypt and rekey.
#[derive(Debug, Args)]
pub struct NewKeyArgs {
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
pub struct CensusArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    keys: KeysArgs,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    new: NewKeyArgs,
    #[command(flatten)]
    run: RunArgs,
    /// A fresh random nonce per BLOB (the same plaintext then seals
    /// differently each time).
    #[arg(long)]
    nonce: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    old: OldKeysArgs,
    #[command(flatten)]
    new: NewKeyArgs,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    keys: KeysArgs,
    #[command(flatten)]
    run: RunArgs,
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Self::Input(e.to_string())
    }
}

/// The static key and IV shared by the settings of one role.
struct Shared<'a> {
    which: &'a str,
    static_key_file: Option<&'a Path>,
    hashkey_file: Option<&'a Path>,
    static_iv: Option<&'a str>,
}

impl Shared<'_> {
    fn ctx(&self) -> impl Fn(BlobError) -> Failure + '_ {
        move |e| Failure::Input(format!("{}{e}", self.which))
    }

    fn finish(&self, mut s: KeySetting) -> Result<KeySetting, Failure> {
        if let Some(path) = self.static_key_file {
            let text = io::read_secret_file(path, "the static key")?;
            s = s.with_static_key(StaticKey::from_hex(text.trim()).map_err(self.ctx())?);
        }
        if let Some(path) = self.hashkey_file {
            let key = io::read_hash_key_file(path)?;
            s = s.with_static_key(StaticKey::from_hash_key(&key));
        }
        if let Some(iv) = self.static_iv {
            s = s.with_static_iv(StaticIv::from_hex(iv).map_err(self.ctx())?);
        }
        Ok(s)
    }

    fn dv(&self, dv: &str) -> Result<KeySetting, Failure> {
        self.finish(KeySetting::derive_vector(
            DeriveVector::parse(dv).map_err(self.ctx())?,
        ))
    }

    fn sdk(&self, path: &Path, dv: Option<&str>) -> Result<KeySetting, Failure> {
        let text = io::read_secret_file(path, "the storage derive key")?;
        let mut s =
            KeySetting::storage_derive_key(text.parse::<StorageDeriveKey>().map_err(self.ctx())?);
        if let Some(dv) = dv {
            s = s.with_derive_vector(DeriveVector::parse(dv).map_err(self.ctx())?);
        }
        self.finish(s)
    }

    fn many(&self, dvs: &[String], sdks: &[PathBuf]) -> Result<Vec<KeySetting>, Failure> {
        let mut out = Vec::new();
        for dv in dvs {
            out.push(self.dv(dv)?);
        }
        for p in sdks {
            out.push(self.sdk(p, None)?);
        }
        Ok(out)
    }
}

impl KeysArgs {
    fn ring(&self) -> Result<Keyring, Failure> {
        let shared = Shared {
            which: "",
            static_key_file: self.static_key_file.as_deref(),
            hashkey_file: self.static_key_hashkey_file.as_deref(),
            static_iv: self.static_iv.as_deref(),
        };
        ring_of(shared.many(&self.derive_vector, &self.storage_derive_key_file)?)
    }
}

impl NewKeyArgs {
    fn setting(&self) -> Result<KeySetting, Failure> {
        let shared = Shared {
            which: "new setting: ",
            static_key_file: self.new_static_key_file.as_deref(),
            hashkey_file: self.new_static_key_hashkey_file.as_deref(),
            static_iv: self.new_static_iv.as_deref(),
        };
        match (&self.new_derive_vector, &self.new_storage_derive_key_file) {
            (dv, Some(p)) => shared.sdk(p, dv.as_deref()),
            (Some(dv), None) => shared.dv(dv),
            (None, None) => Err(Failure::Usage(
                "expected --new-derive-vector or --new-storage-derive-key-file".into(),
            )),
        }
    }
}

impl OldKeysArgs {
    fn settings(&self) -> Result<Vec<KeySetting>, Failure> {
        let shared = Shared {
            which: "old setting: ",
            static_key_file: self.old_static_key_file.as_deref(),
            hashkey_file: self.old_static_key_hashkey_file.as_deref(),
            static_iv: self.old_static_iv.as_deref(),
        };
        shared.many(&self.old_derive_vector, &self.old_storage_derive_key_file)
    }
}

/// A keyring of `settings`, the first primary; duplicates are one key.
fn ring_of(settings: Vec<KeySetting>) -> Result<Keyring, Failure> {
    let mut keys = settings.into_iter().map(|s| s.database_key());
    let first = keys
        .next()
        .ok_or_else(|| Failure::Usage("expected at least one key setting".into()))?;
    let mut ring = Keyring::new(first);
    for k in keys {
        if ring.get(k.key_id()).is_none() {
            ring.add(k)?;
        }
    }
    Ok(ring)
}

impl TargetArgs {
    fn mapping(&self) -> Result<TableMapping, Failure> {
        let field =
            |col: &Option<String>, val: &Option<String>, what: &str| -> Result<Field, Failure> {
                match (col, val) {
                    (Some(c), None) => Ok(Field::Column(Ident::column(c, what)?)),
                    (None, Some(v)) => Ok(Field::Constant(v.as_bytes().to_vec())),
                    _ => Err(Failure::Usage(format!(
                        "expected exactly one of --{what}-column and --{what}"
                    ))),
                }
            };
        Ok(TableMapping {
            table: Ident::table(&self.table)?,
            id: Ident::column(&self.id_column, "id column")?,
            blob: Ident::column(&self.blob_column, "BLOB column")?,
            version: Ident::column(&self.version_column, "version column")?,
            serial: field(&self.serial_column, &self.serial, "serial")?,
            application: field(&self.app_column, &self.app, "app")?,
            kind: match self.kind {
                Kind::Application => BlobKind::Application,
                Kind::Payload => BlobKind::PayloadKey,
            },
            context: self
                .context_column
                .as_deref()
                .map(|c| Ident::column(c, "context column"))
                .transpose()?,
        })
    }

    fn connector(&self) -> Result<Box<dyn Connector>, Failure> {
        let url = DbUrl::parse(&self.db).map_err(|e| Failure::Usage(e.to_string()))?;
        Ok(keyward_db::connector(&url, self.password_file.as_deref())?)
    }
}

pub fn run(cmd: DbCommand) -> CmdResult {
    match cmd {
        DbCommand::Census(a) => census(&a),
        DbCommand::Encrypt(a) => {
            let ring = Keyring::new(a.new.setting()?.database_key());
            migrate(
                &a.target,
                &a.run,
                &ring,
                Operation::Encrypt { nonce: a.nonce },
                "encrypt",
            )
        }
        DbCommand::Rekey(a) => {
            let mut ring = Keyring::new(a.new.setting()?.database_key());
            for s in a.old.settings()? {
                let k = s.database_key();
                if ring.get(k.key_id()).is_none() {
                    ring.add(k)?;
                }
            }
            if ring.ids().as_slice().len() < 2 {
                return Err(Failure::Usage(
                    "every old setting gives the new key id: nothing to rekey".into(),
                ));
            }
            migrate(&a.target, &a.run, &ring, Operation::Rekey, "rekey")
        }
        DbCommand::Verify(a) => {
            let ring = a.keys.ring()?;
            migrate(&a.target, &a.run, &ring, Operation::Verify, "verify")
        }
        DbCommand::HashkeyMigrate(a) => hashkey_migrate(&a),
    }
}

/// `keyward db hashkey-migrate`: the HashKey ceremony
/// (`keyward::hashkey_ceremony`) over a hash table and a template table.
fn hashkey_migrate(a: &HashkeyMigrateArgs) -> CmdResult {
    use keyward::hashkey_ceremony::{self as hc, SiteHashKey};
    use keyward_core::{Derivation, HashKey};

    let old_derivation = match a.old_derivation {
        Some(n) => Derivation::from_number(n)?,
        None => io::hash_key_options().derivation,
    };
    let old_key = match &a.old_hashkey_file {
        Some(path) => io::read_hash_key_file_as(path, old_derivation)?,
        None => io::derive_hash_key(&HashKey::builtin_default(), old_derivation)?,
    };
    let old = SiteHashKey::enable(&old_key);
    let new = SiteHashKey::enable(&io::read_hash_key_file(&a.new_hashkey_file)?);
    if old.key_id() == new.key_id() {
        return Err(Failure::Usage(
            hc::Error::SameHashKey {
                key_id: old.key_id(),
            }
            .to_string(),
        ));
    }
    let url = DbUrl::parse(&a.db).map_err(|e| Failure::Usage(e.to_string()))?;
    let hashes = keyward_db::HashMapping {
        table: Ident::table(&a.hash_table)?,
        id: Ident::column(&a.hash_id_column, "hash id column")?,
        user: Ident::column(&a.hash_user_column, "hash user column")?,
        phc: Ident::column(&a.hash_phc_column, "hash PHC column")?,
    };
    let target = TargetArgs {
        db: a.db.clone(),
        password_file: a.password_file.clone(),
        table: a.table.clone(),
        id_column: a.id_column.clone(),
        blob_column: a.blob_column.clone(),
        version_column: a.version_column.clone(),
        serial_column: Some(a.user_column.clone()),
        serial: None,
        app_column: None,
        app: Some(String::from_utf8_lossy(hc::TEMPLATE_APPLICATION).into_owned()),
        kind: Kind::Application,
        context_column: Some(a.slot_column.clone()),
    };
    // The template mapping is checked before anything is read.
    target.mapping()?;

    // 1. Survey every hash (read only; memory: the users to re-enrol).
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut survey = hc::HashSurvey {
        reenrol: Vec::new(),
        current: Vec::new(),
        other_key: Vec::new(),
        malformed: Vec::new(),
    };
    let batch = a.run.batch as usize;
    let mut flush = |rows: &mut Vec<(String, String)>| {
        let s = hc::survey_hashes(old.key_id(), new.key_id(), rows.drain(..));
        survey.reenrol.extend(s.reenrol);
        survey.current.extend(s.current);
        survey.other_key.extend(s.other_key);
        survey.malformed.extend(s.malformed);
    };
    keyward_db::scan_hashes(
        &url,
        a.password_file.as_deref(),
        &hashes,
        batch,
        |user, phc| {
            rows.push((user, phc));
            if rows.len() >= batch {
                flush(&mut rows);
            }
        },
    )?;
    flush(&mut rows);
    io::out(&format!(
        "old HashKey {}, new HashKey {}",
        old.name(),
        new.name()
    ))?;
    io::out(&format!("hashes: {survey}"))?;
    for (user, e) in &survey.malformed {
        io::note(&format!(
            "keyward: the hash of user {user} is not a keyward PHC string: {e}"
        ))?;
    }
    for (user, id) in &survey.other_key {
        io::note(&format!(
            "keyward: the hash of user {user} is under another key (key id {id})"
        ))?;
    }
    if !survey.reenrol.is_empty() && !a.accept_reenrolment {
        return Err(Failure::Input(
            hc::Error::ReenrolmentNotAccepted {
                hashes: survey.reenrol.len(),
                from: old.name(),
                to: new.name(),
            }
            .to_string(),
        ));
    }

    // 2. Re-seal the templates: `db rekey` from the old template key to the new.
    let mut ring = Keyring::new(new.template_key().clone());
    ring.add(old.template_key().clone())?;
    let res = migrate(&target, &a.run, &ring, Operation::Rekey, "hashkey-migrate");

    // 3. The users to re-enrol, whatever the template outcome.
    for user in &survey.reenrol {
        io::out(&format!("re-enrol: {user}"))?;
    }
    res
}

fn census(a: &CensusArgs) -> CmdResult {
    let ring = a.keys.ring()?;
    let mapping = a.target.mapping()?;
    let conn = a.target.connector()?;
    let c = keyward_db::census(&*conn, &mapping, &ring)?;
    let primary = Version::sealed(ring.primary().key_id());
    for (v, n) in &c.held {
        let tag = if *v == primary { " (primary)" } else { "" };
        io::out(&format!("key id {v}: {n} rows{tag}"))?;
    }
    for (v, n) in &c.unknown {
        io::out(&format!(
            "key id {v}: {n} rows (no given setting has this key id)"
        ))?;
    }
    for (reason, n) in &c.invalid {
        io::out(&format!("invalid version: {n} rows ({reason})"))?;
    }
    let unopenable: u64 = c.unknown.iter().map(|(_, n)| n).sum::<u64>()
        + c.invalid.iter().map(|(_, n)| n).sum::<u64>();
    io::out(&format!(
        "{}: {} rows: {} plaintext, {} under held keys, {} no held key opens",
        conn.name(),
        c.total,
        c.plaintext,
        c.held.iter().map(|(_, n)| n).sum::<u64>(),
        unopenable
    ))
}

/// Progress on stderr: an indicatif bar on a terminal, else a plain line at
/// most every 2 seconds.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: Mutex<(Instant, u64)>,
    start: Instant,
    total: Mutex<u64>,
    verb: &'static str,
}

impl Progress {
    fn new(verb: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} rows, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(verb);
            bar
        });
        Self {
            bar,
            plain: Mutex::new((Instant::now(), 0)),
            start: Instant::now(),
            total: Mutex::new(0),
            verb,
        }
    }

    fn rows(&self, read: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(read);
            return;
        }
        let Ok(mut p) = self.plain.lock() else { return };
        p.1 += read;
        if p.0.elapsed() >= Duration::from_secs(2) {
            p.0 = Instant::now();
            let secs = self.start.elapsed().as_secs_f64().max(1e-3);
            let total = self.total.lock().map_or(0, |t| *t);
            #[allow(clippy::cast_precision_loss)]
            let rate = p.1 as f64 / secs;
            let _ = io::note(&format!(
                "keyward db {}: {}/{} rows, {:.0} rows/s",
                self.verb, p.1, total, rate
            ));
        }
    }
}

fn migrate(
    target: &TargetArgs,
    run: &RunArgs,
    ring: &Keyring,
    operation: Operation,
    verb: &'static str,
) -> CmdResult {
    let mapping = target.mapping()?;
    let conn = target.connector()?;
    let plan = Plan {
        mapping: &mapping,
        keyring: ring,
        operation,
        batch: run.batch as usize,
        workers: usize::from(run.workers),
    };
    let progress = Progress::new(verb);
    let failed_out: Mutex<Result<(), Failure>> = Mutex::new(Ok(()));
    let on_event = |e: Event<'_>| match e {
        Event::Total(total) => {
            if let Some(bar) = &progress.bar {
                bar.set_length(total);
            }
            if let Ok(mut t) = progress.total.lock() {
                *t = total;
            }
        }
        Event::Batch { read, .. } => progress.rows(read),
        Event::Failed(f) => {
            let r = io::out(&format!("failed: id {}: {}", f.id, f.reason));
            if let (Err(e), Ok(mut slot)) = (r, failed_out.lock()) {
                if slot.is_ok() {
                    *slot = Err(e);
                }
            }
        }
    };
    let start = Instant::now();
    let res = keyward_db::run(&*conn, &plan, &on_event);
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    let summary = res?;
    if let Ok(mut slot) = failed_out.lock() {
        std::mem::replace(&mut *slot, Ok(()))?;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-3);
    #[allow(clippy::cast_precision_loss)]
    let rate = summary.read as f64 / secs;
    let what = match operation {
        Operation::Encrypt { .. } => format!("{} sealed", summary.written),
        Operation::Rekey => format!("{} re-sealed", summary.written),
        Operation::Verify => format!(
            "{} opened, {} plaintext",
            summary.verified, summary.plaintext
        ),
    };
    let primary = ring.primary().key_id();
    let key = match operation {
        Operation::Verify => String::new(),
        _ => format!(" under key id {primary}"),
    };
    io::out(&format!(
        "{}: {verb}: {} rows read, {what}{key}, {} failed, {} changed by another process, {} batches, {:.1} s ({:.0} rows/s)",
        conn.name(),
        summary.read,
        summary.failed,
        summary.conflicts,
        summary.batches,
        secs,
        rate
    ))?;
    if summary.failed > 0 {
        return Err(Failure::Input(format!(
            "{} rows failed (listed above by id); they were left untouched",
            summary.failed
        )));
    }
    Ok(())
}
