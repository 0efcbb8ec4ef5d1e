//! `keyward hashkey check|migrate`: check a HashKey; switch a site to a new
//! HashKey (the facade's `keyward::hashkey_ceremony`).

use std::path::{Path, PathBuf};

use base64ct::Encoding;
use clap::{Args, Subcommand};
use keyward::blob::{RecordId, RecordIdentity};
use keyward::hashkey_ceremony::{self, AcceptReenrolment, Error, SiteHashKey, TemplateId};
use keyward_core::HashKey;

use crate::io::{self, CmdResult, Failure};

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
        HashkeyCommand::Check => {
            let input = io::read_stdin_secret_line("the HashKey")?;
            // Only the line terminator is removed: spaces inside or around the
            // key are characters of the key and are reported.
            let line = io::first_line_only(&input, "the HashKey")?;
            let key = HashKey::new(line)?;
            if key.is_builtin_default() {
                io::note("keyward: warning: this is the public built-in default HashKey")?;
            }
            io::out(&format!("valid HashKey, key id {}", key.key_id()))
        }
        HashkeyCommand::Migrate(args) => migrate(&args),
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Input(e.to_string())
    }
}

/// Arguments of `keyward hashkey migrate` (described at [`HashkeyCommand::Migrate`]).
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// File holding the old HashKey (first line); without it, the built-in
    /// default HashKey.
    #[arg(long, value_name = "FILE")]
    old_hashkey_file: Option<PathBuf>,
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

/// `keyward hashkey migrate`.
pub fn migrate(args: &MigrateArgs) -> CmdResult {
    let old = match &args.old_hashkey_file {
        Some(path) => io::read_hash_key_file(path)?,
        None => HashKey::builtin_default(),
    };
    let old = SiteHashKey::enable(&old);
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
        old.key_id(),
        default(&old),
        new.key_id(),
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
