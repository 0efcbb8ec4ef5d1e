//! `keyward hashkey generate|check|census|migrate`: make a HashKey; check one
//! (format, strength, key ids under both derivations); name the HashKey and
//! derivation of every stored record; switch a site to a new HashKey or
//! derivation (the facade's `keyward::hashkey_ceremony`).

use std::path::{Path, PathBuf};

use base64ct::Encoding;
use clap::{Args, Subcommand};
use keyward::blob::{RecordId, RecordIdentity};
use keyward::hashkey_ceremony::{self, AcceptReenrolment, Error, Located, SiteHashKey, TemplateId};
use keyward_core::{Derivation, HashKey};

use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Subcommand)]
pub enum HashkeyCommand {
    /// Generate a HashKey: 32 characters from the 94 printable ASCII characters,
    /// drawn from the OS generator (about 209.7 bits).
    ///
    /// The key is printed on stdout (redirect it to a file of mode 0600: it is
    /// the site's secret); its key ids under both derivations on stderr.
    Generate,
    /// Check the HashKey read from stdin (one line): format and strength; print
    /// its key id under the derivation in force (and under the other one).
    ///
    /// A key below the strength floor is refused (exit 1) unless
    /// --accept-weak-hashkey is given.
    Check,
    /// Name the HashKey and derivation every stored hash and template was made under.
    ///
    /// Each --hashkey-file, and the built-in default, is taken under both
    /// derivations (1 and 2); every hash of HASHES (`USER PHC` per line) and
    /// template of TEMPLATES (`USER<TAB>SLOT<TAB>BLOB`, as for migrate) is sorted
    /// by the key id it names (nothing is decrypted). Stdout: one line per
    /// HashKey and derivation with its counts, one for other key ids, one for
    /// malformed records, then one line per record.
    Census(CensusArgs),
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
    /// last field). OUT (written whole or not at all, mode 0600) receives every
    /// template in the same form and order:
    /// re-sealed, already current or — when it could not be opened — unchanged.
    /// Results on stdout (summary, then one `re-enrol: USER` line per user),
    /// progress and failures on stderr. Exit 0 when every template was migrated,
    /// 1 on refusal, bad input or any template left unchanged, 2 on usage errors.
    Migrate(MigrateArgs),
}

pub fn run(cmd: HashkeyCommand) -> CmdResult {
    match cmd {
        HashkeyCommand::Generate => generate(),
        HashkeyCommand::Check => {
            let input = io::read_stdin_secret_line("the HashKey")?;
            // Only the line terminator is removed: spaces inside or around the
            // key are characters of the key and are reported.
            let line = io::first_line_only(&input, "the HashKey")?;
            let key = HashKey::new(line)?;
            if key.is_builtin_default() {
                io::note("keyward: warning: this is the public built-in default HashKey")?;
            }
            io::check_hash_key_strength(&key, "the HashKey")?;
            let chosen = io::hash_key_options().derivation;
            let key = io::derive_hash_key(&key, chosen)?;
            io::out(&format!(
                "valid HashKey, key id {} ({chosen})",
                key.key_id()
            ))?;
            for other in Derivation::ALL.into_iter().filter(|d| *d != chosen) {
                let k = io::derive_hash_key(&key, other)?;
                io::out(&format!("key id under {other}: {}", k.key_id()))?;
            }
            Ok(())
        }
        HashkeyCommand::Census(args) => census(&args),
        HashkeyCommand::Migrate(args) => migrate(&args),
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Input(e.to_string())
    }
}

/// `keyward hashkey generate`: a key that passes the strength rule (drawn
/// again in the rare case one does not), on stdout.
fn generate() -> CmdResult {
    let key = loop {
        let key = HashKey::generate_os()?;
        if crate::hashkey_strength::is_strong(&key) {
            break key;
        }
    };
    let mut ids = Vec::new();
    for d in Derivation::ALL {
        ids.push(format!("{} ({d})", io::derive_hash_key(&key, d)?.key_id()));
    }
    io::out(key.expose_secret())?;
    io::note(&format!(
        "keyward: new HashKey, key id {}; keep it outside the database (file mode 0600)",
        ids.join(", ")
    ))
}

/// Arguments of `keyward hashkey census` (described at [`HashkeyCommand::Census`]).
#[derive(Debug, Args)]
pub struct CensusArgs {
    /// A file holding a HashKey the site has used (first line); may be given
    /// several times. The built-in default is always included.
    #[arg(long = "hashkey-file", value_name = "FILE")]
    hashkey_files: Vec<PathBuf>,
    /// The PIN/password hashes (`USER PHC` per line).
    #[arg(long, value_name = "HASHES")]
    hashes: Option<PathBuf>,
    /// The template table (`USER<TAB>SLOT<TAB>BLOB` per line).
    #[arg(long, value_name = "TEMPLATES")]
    templates: Option<PathBuf>,
}

/// `keyward hashkey census`.
fn census(args: &CensusArgs) -> CmdResult {
    // (key, where it came from), each under every derivation.
    let mut keys = Vec::new();
    let mut sources = Vec::new();
    let default = HashKey::builtin_default();
    for d in Derivation::ALL {
        keys.push(SiteHashKey::enable(&io::derive_hash_key(&default, d)?));
        sources.push("built-in default".to_string());
    }
    for path in &args.hashkey_files {
        for d in Derivation::ALL {
            keys.push(SiteHashKey::enable(&io::read_hash_key_file_as(path, d)?));
            sources.push(path.display().to_string());
        }
    }
    let hashes = match &args.hashes {
        Some(path) => parse_hashes(path)?,
        None => Vec::new(),
    };
    let templates = match &args.templates {
        Some(path) => parse_templates(path)?,
        None => Vec::new(),
    };
    let c = hashkey_ceremony::census(&keys, hashes, templates);
    for (i, (name, source)) in c.keys.iter().zip(&sources).enumerate() {
        let (h, t) = c.count(i);
        io::out(&format!(
            "HashKey {name}, {source}: {h} hashes, {t} templates"
        ))?;
    }
    let (h, t) = c.other();
    io::out(&format!("other key ids: {h} hashes, {t} templates"))?;
    io::out(&format!(
        "malformed: {} hashes, {} templates",
        c.hashes
            .iter()
            .filter(|(_, l)| matches!(l, Located::Malformed(_)))
            .count(),
        c.templates
            .iter()
            .filter(|(_, l)| matches!(l, Located::Malformed(_)))
            .count()
    ))?;
    let place = |l: &Located<String>| match l {
        Located::Held(i) => format!(
            "HashKey {}, {}",
            c.keys.get(*i).map_or(String::new(), ToString::to_string),
            sources.get(*i).map_or("", String::as_str)
        ),
        Located::Other(id) => format!("key id {id}, none of the HashKeys given"),
        Located::Malformed(e) => format!("malformed: {e}"),
    };
    for (user, l) in &c.hashes {
        io::out(&format!("hash {user}: {}", place(&map_err(l))))?;
    }
    for (row, l) in &c.templates {
        io::out(&format!(
            "template {} / {}: {}",
            String::from_utf8_lossy(&row.id.user),
            String::from_utf8_lossy(&row.id.slot),
            place(&map_err(l))
        ))?;
    }
    Ok(())
}

/// A census location with its error as text (hash and template errors are
/// different types).
fn map_err<E: std::fmt::Display>(l: &Located<E>) -> Located<String> {
    match l {
        Located::Held(i) => Located::Held(*i),
        Located::Other(id) => Located::Other(*id),
        Located::Malformed(e) => Located::Malformed(e.to_string()),
    }
}

/// Arguments of `keyward hashkey migrate` (described at [`HashkeyCommand::Migrate`]).
#[derive(Debug, Args)]
pub struct MigrateArgs {
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
    /// The template table (format: see the description).
    #[arg(long, value_name = "TEMPLATES")]
    templates: PathBuf,
    /// The PIN/password hashes (format: see the description).
    #[arg(long, value_name = "HASHES")]
    hashes: PathBuf,
    /// Where to write the migrated template table (must not exist).
    #[arg(long, value_name = "OUT")]
    out: PathBuf,
    /// Switch even though users with hashes under the old HashKey must
    /// enrol their PIN/password again (hashes are irreversible).
    #[arg(long)]
    accept_reenrolment: bool,
}

/// A template row of the table: its position and identity.
struct Row {
    index: usize,
    id: TemplateId,
}

impl RecordIdentity for Row {
    fn record_id(&self) -> RecordId<'_> {
        self.id.record_id()
    }
}

fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("reading {what} from {}: {e}", path.display())))
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    (1usize..)
        .zip(text.lines())
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

fn parse_templates(path: &Path) -> Result<Vec<(Row, Vec<u8>)>, Failure> {
    let text = read_text(path, "the templates")?;
    let mut rows = Vec::new();
    for (index, (n, line)) in content_lines(&text).enumerate() {
        let bad = |why: &str| Failure::Input(format!("{} line {n}: {why}", path.display()));
        let mut fields = line.trim_end_matches('\r').split('\t');
        let (Some(user), Some(slot), Some(blob), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad(
                "expected USER<TAB>SLOT<TAB>BLOB (three tab-separated fields)",
            ));
        };
        if user.is_empty() {
            return Err(bad("the user is empty"));
        }
        let blob =
            base64ct::Base64::decode_vec(blob.trim()).map_err(|_| bad("the BLOB is not Base64"))?;
        rows.push((
            Row {
                index,
                id: TemplateId::new(user.as_bytes(), slot.as_bytes()),
            },
            blob,
        ));
    }
    Ok(rows)
}

fn parse_hashes(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let text = read_text(path, "the hashes")?;
    let mut hashes = Vec::new();
    for (n, line) in content_lines(&text) {
        let Some((user, phc)) = line.trim().rsplit_once(char::is_whitespace) else {
            return Err(Failure::Input(format!(
                "{} line {n}: expected USER and a PHC string",
                path.display()
            )));
        };
        hashes.push((user.trim().to_string(), phc.to_string()));
    }
    Ok(hashes)
}

fn row_line(id: &TemplateId, blob: &[u8]) -> String {
    format!(
        "{}\t{}\t{}",
        String::from_utf8_lossy(&id.user),
        String::from_utf8_lossy(&id.slot),
        base64ct::Base64::encode_string(blob)
    )
}

/// Writes the table to `out` whole or not at all, mode 0600, never over an
/// existing file (`private_file::write_new`: a temporary file in the same
/// directory, fsynced, linked into place, the directory fsynced); a killed
/// run or a full disk leaves no `out` and no temporary file.
fn write_whole(out: &Path, rows: &[(usize, String)]) -> CmdResult {
    crate::private_file::write_new(out, |w| {
        for (_, line) in rows {
            writeln!(w, "{line}")?;
        }
        Ok(())
    })
    .map_err(|e| Failure::Input(e.to_string()))
}

/// When records the migration could not place (hashes under another key,
/// templates under a key not held) were made under the old HashKey's other
/// derivation, says so and which `--old-derivation` finds them (one Argon2id
/// run, only in that case).
fn derivation_hint(
    old_key: &HashKey,
    m: &hashkey_ceremony::HashKeyMigration<Row, String>,
) -> CmdResult {
    let foreign_templates: Vec<keyward_core::KeyId> = m
        .templates
        .failed
        .iter()
        .filter_map(|f| match f.error {
            keyward::blob::Error::KeyIdNotHeld { found, .. } => Some(found),
            _ => None,
        })
        .collect();
    if m.hashes.other_key.is_empty() && foreign_templates.is_empty() {
        return Ok(());
    }
    for d in Derivation::ALL
        .into_iter()
        .filter(|d| *d != old_key.derivation())
    {
        let alt = SiteHashKey::enable(&io::derive_hash_key(old_key, d)?);
        let hashes = m
            .hashes
            .other_key
            .iter()
            .filter(|(_, id)| *id == alt.key_id())
            .count();
        let templates = foreign_templates
            .iter()
            .filter(|id| **id == alt.template_key_id())
            .count();
        if hashes + templates > 0 {
            io::note(&format!(
                "keyward: hint: {hashes} hashes and {templates} templates were made under the old \
                 HashKey's {d} ({}): run again with --old-derivation {}",
                alt.key_id(),
                d.number()
            ))?;
        }
    }
    Ok(())
}

/// `keyward hashkey migrate`.
pub fn migrate(args: &MigrateArgs) -> CmdResult {
    let old_derivation = match args.old_derivation {
        Some(n) => Derivation::from_number(n)?,
        None => io::hash_key_options().derivation,
    };
    let old_key = match &args.old_hashkey_file {
        Some(path) => io::read_hash_key_file_as(path, old_derivation)?,
        None => io::derive_hash_key(&HashKey::builtin_default(), old_derivation)?,
    };
    let old = SiteHashKey::enable(&old_key);
    let new = SiteHashKey::enable(&io::read_hash_key_file(&args.new_hashkey_file)?);
    let templates = parse_templates(&args.templates)?;
    let hashes = parse_hashes(&args.hashes)?;
    if args.out.exists() {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite it",
            args.out.display()
        )));
    }
    let accept = if args.accept_reenrolment {
        AcceptReenrolment::UsersMustReenrol
    } else {
        AcceptReenrolment::No
    };
    let total = templates.len();
    let m = hashkey_ceremony::migrate(&old, &new, templates, hashes, accept, |p| {
        let what = match &p.last {
            Some(Ok(keyward::blob::Reseal::Resealed { .. })) => "re-sealed".to_string(),
            Some(Ok(keyward::blob::Reseal::AlreadyCurrent)) => "already current".to_string(),
            Some(Err(e)) => format!("left unchanged: {}", old.template_error(*e)),
            None => String::new(),
        };
        // Progress only: a closed stderr must not stop a migration half-way;
        // the summary on stdout and the exit code still report the result.
        let _ = io::note(&format!("keyward: template {} of {total}: {what}", p.done));
    })?;

    let mut rows: Vec<(usize, String)> = Vec::with_capacity(total);
    rows.extend(
        m.templates
            .resealed
            .iter()
            .map(|r| (r.id.index, row_line(&r.id.id, &r.blob))),
    );
    rows.extend(
        m.templates
            .current
            .iter()
            .map(|(r, b)| (r.index, row_line(&r.id, b))),
    );
    rows.extend(
        m.templates
            .failed
            .iter()
            .map(|f| (f.id.index, row_line(&f.id.id, &f.blob))),
    );
    rows.sort_by_key(|(i, _)| *i);
    write_whole(&args.out, &rows)?;

    let default = |k: &SiteHashKey| {
        if k.is_builtin_default() {
            " (built-in default)"
        } else {
            ""
        }
    };
    io::out(&format!(
        "old HashKey {}{}, new HashKey {}{}",
        old.name(),
        default(&old),
        new.name(),
        default(&new)
    ))?;
    io::out(&format!(
        "templates: {} (written to {})",
        m.templates,
        args.out.display()
    ))?;
    io::out(&format!("hashes: {}", m.hashes))?;
    for user in &m.hashes.reenrol {
        io::out(&format!("re-enrol: {user}"))?;
    }
    for (user, e) in &m.hashes.malformed {
        io::note(&format!(
            "keyward: the hash of user {user} is not a keyward PHC string: {e}"
        ))?;
    }
    for f in &m.templates.failed {
        io::note(&format!(
            "keyward: template {} / {} left unchanged: {}",
            String::from_utf8_lossy(&f.id.id.user),
            String::from_utf8_lossy(&f.id.id.slot),
            old.template_error(f.error)
        ))?;
    }
    derivation_hint(&old_key, &m)?;
    if m.templates.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "{} of {total} templates could not be re-sealed; they are unchanged in {}",
            m.templates.failed.len(),
            args.out.display()
        )))
    }
}
