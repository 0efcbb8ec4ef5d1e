//! `keyward hashkey migrate` and the HashKey migration part of `keyward
//! demo` (the facade's `keyward::hashkey_ceremony`).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64ct::Encoding;
use clap::Args;
use keyward::blob::{RecordId, RecordIdentity};
use keyward::hashkey_ceremony::{self, AcceptReenrolment, Error, SiteHashKey, TemplateId};
use keyward_core::HashKey;
use keyward_pinhash::PinPolicy;

use crate::cmd_demo::Demo;
use crate::io::{self, CmdResult, Failure};

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self(e.to_string())
    }
}

fn failure(e: impl std::fmt::Display) -> Failure {
    Failure(e.to_string())
}

/// Arguments of `keyward hashkey migrate` (described in `cmd_hashkey`).
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
        .map_err(|e| Failure(format!("reading {what} from {}: {e}", path.display())))
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
        let bad = |why: &str| Failure(format!("{} line {n}: {why}", path.display()));
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
            return Err(Failure(format!(
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
        return Err(Failure(format!(
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
        eprintln!("keyward: template {} of {total}: {what}", p.done);
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
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .map_err(|e| Failure(format!("writing {}: {e}", args.out.display())))?;
    for (_, line) in &rows {
        writeln!(file, "{line}")?;
    }
    file.sync_all()?;

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
    for f in &m.templates.failed {
        eprintln!(
            "keyward: template {} / {} left unchanged: {}",
            String::from_utf8_lossy(&f.id.id.user),
            String::from_utf8_lossy(&f.id.id.slot),
            old.template_error(f.error)
        );
    }
    if m.templates.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(format!(
            "{} of {total} templates could not be re-sealed; they are unchanged in {}",
            m.templates.failed.len(),
            args.out.display()
        )))
    }
}

/// Built-in default HashKey → a demo site HashKey: refused while PIN hashes
/// exist under the default, then accepted; templates re-sealed.
pub fn demo(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    println!("== HashKey migration (built-in default -> site HashKey) ==");
    let default = SiteHashKey::builtin_default();
    // OWASP parameters (the default): three PINs take well under a second.
    let hasher = default.pin_hasher();
    let mut hashes = Vec::new();
    let mut templates = Vec::new();
    for (user, pin) in [("alice", "483920"), ("bob", "918273")] {
        let phc = hasher
            .hash_pin(&PinPolicy::DEFAULT, user.as_bytes(), pin, &mut rng)
            .map_err(failure)?;
        hashes.push((user, phc.as_str().to_string()));
        let id = TemplateId::new(user.as_bytes(), b"finger-1");
        let blob = default.seal_template(&id, format!("{user}'s template").as_bytes())?;
        templates.push((id, blob));
    }
    let id = TemplateId::new(b"carol", b"face");
    templates.push((id.clone(), default.seal_template(&id, b"carol's template")?));
    println!(
        "  on the default HashKey {}: {} PIN hashes, {} templates (template key {})",
        default.key_id(),
        hashes.len(),
        templates.len(),
        default.template_key_id()
    );

    let site = SiteHashKey::enable(&HashKey::new("Site-HashKey/for:demo#2026-11-22")?);
    println!(
        "  site HashKey enabled: key id {}, template key {}",
        site.key_id(),
        site.template_key_id()
    );

    let refused = hashkey_ceremony::migrate(
        &default,
        &site,
        templates.clone(),
        hashes.clone(),
        AcceptReenrolment::No,
        |_| {},
    );
    if let Err(e) = &refused {
        println!("  without accepting re-enrolment: {e}");
    }
    d.check(
        "the switch is refused while 2 PIN hashes exist under the old HashKey",
        matches!(
            refused,
            Err(Error::ReenrolmentNotAccepted { hashes: 2, .. })
        ),
    );

    let total = templates.len();
    let m = hashkey_ceremony::migrate(
        &default,
        &site,
        templates,
        hashes,
        AcceptReenrolment::UsersMustReenrol,
        |p| println!("  template {} of {total}: {} re-sealed", p.done, p.resealed),
    )?;
    println!("  {m}");
    println!(
        "  must re-enrol: {}",
        m.hashes
            .reenrol
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.check(
        "accepted: the re-enrol list is exactly alice and bob",
        m.hashes.reenrol == ["alice", "bob"],
    );
    d.check(
        "all 3 templates re-sealed; they open under the site HashKey, not the default",
        m.templates.resealed.len() == 3
            && m.templates.failed.is_empty()
            && m.templates.resealed.iter().all(|r| {
                site.open_template(&r.id, &r.blob).is_ok()
                    && matches!(
                        default.open_template(&r.id, &r.blob),
                        Err(Error::OtherHashKey { .. })
                    )
            }),
    );
    Ok(())
}
