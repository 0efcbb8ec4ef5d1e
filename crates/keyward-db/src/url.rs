//! Database URLs and the PostgreSQL password file.
//!
//! `sqlite:PATH` or `postgresql://USER@HOST[:PORT]/DB` (no password in the
//! URL: it would be on a command line). The password comes from a file
//! holding only the password, or from the libpq password file
//! (`PGPASSFILE`, format `hostname:port:database:username:password`, `*`
//! matching anything, `\:` and `\\` escapes; refused when group or others
//! can read it, as libpq does).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::engine::Connector;
use crate::error::{Error, Result};
use crate::pg::PgConnector;
use crate::sqlite::SqliteConnector;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgTarget),
}

/// Where a PostgreSQL database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTarget {
    /// User name.
    pub user: String,
    /// Host name or address.
    pub host: String,
    /// Port (default 5432).
    pub port: u16,
    /// Database name.
    pub db: String,
}

impl PgTarget {
    /// `postgresql://USER@HOST:PORT/DB`.
    pub fn name(&self) -> String {
        format!(
            "postgresql://{}@{}:{}/{}",
            self.user, self.host, self.port, self.db
        )
    }
}

impl DbUrl {
    /// Parses `sqlite:PATH` or `postgresql://USER@HOST[:PORT]/DB`
    /// (`postgres://` also accepted).
    ///
    /// # Errors
    /// [`Error::Url`] saying what was expected; a URL with a password is
    /// refused without repeating it.
    pub fn parse(url: &str) -> Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(Error::Url("sqlite: expected sqlite:PATH".into()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let Some(rest) = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
        else {
            return Err(Error::Url(
                "expected sqlite:PATH or postgresql://USER@HOST:PORT/DB".into(),
            ));
        };
        let expected = "expected postgresql://USER@HOST:PORT/DB";
        let (user, rest) = rest
            .split_once('@')
            .ok_or_else(|| Error::Url(format!("no USER@ ({expected})")))?;
        if user.contains(':') {
            return Err(Error::Url(
                "a password in the URL is refused (it would be on the command line): use --password-file or PGPASSFILE".into(),
            ));
        }
        let (hostport, db) = rest
            .split_once('/')
            .ok_or_else(|| Error::Url(format!("no /DB ({expected})")))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| Error::Url(format!("port {p:?} is not a number 0..=65535")))?,
            ),
            None => (hostport, 5432),
        };
        if user.is_empty() || host.is_empty() || db.is_empty() || db.contains(['?', '/']) {
            return Err(Error::Url(format!(
                "{expected} (user, host and database must be present; no query string)"
            )));
        }
        Ok(Self::Postgres(PgTarget {
            user: user.to_owned(),
            host: host.to_owned(),
            port,
            db: db.to_owned(),
        }))
    }
}

/// Reads the password for `target`: the whole of `password_file` (one
/// line, trailing newline removed) if given, else the matching entry of the
/// file `PGPASSFILE` names (`None` when `PGPASSFILE` is unset or has no
/// matching entry).
///
/// # Errors
/// [`Error::Password`] naming the file: unreadable, readable by group or
/// others, not one line.
pub fn read_pgpass(
    target: &PgTarget,
    password_file: Option<&Path>,
) -> Result<Option<Zeroizing<String>>> {
    if let Some(path) = password_file {
        let text = read_private(path)?;
        let line = text.strip_suffix('\n').unwrap_or(&text);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.contains('\n') {
            return Err(Error::Password(format!(
                "{}: expected the password on one line",
                path.display()
            )));
        }
        return Ok(Some(Zeroizing::new(line.to_owned())));
    }
    let Some(path) = std::env::var_os("PGPASSFILE") else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let text = read_private(&path)?;
    let port = target.port.to_string();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        let [h, p, d, u, pw] = fields.as_slice() else {
            continue;
        };
        let m = |pat: &str, v: &str| pat == "*" || pat == v;
        if m(h, &target.host) && m(p, &port) && m(d, &target.db) && m(u, &target.user) {
            return Ok(Some(Zeroizing::new(pw.as_str().to_owned())));
        }
    }
    Ok(None)
}

/// Splits one pgpass line on unescaped `:`, undoing `\:` and `\\`.
fn split_pgpass(line: &str) -> Zeroizing<Vec<Zeroizing<String>>> {
    let mut out = Zeroizing::new(Vec::new());
    let mut cur = Zeroizing::new(String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ':' if out.len() < 4 => out.push(core::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn read_private(path: &Path) -> Result<Zeroizing<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::Password(format!("{}: {e}", path.display())))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::Password(format!(
                "{}: readable by group or others (mode {:o}): expected 0600 or stricter",
                path.display(),
                meta.permissions().mode() & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Password(format!("{}: {e}", path.display())))?;
    Ok(Zeroizing::new(text))
}

/// The connector for `url`; the PostgreSQL password as [`read_pgpass`].
///
/// # Errors
/// [`Error::Url`], [`Error::Password`].
pub fn connector(url: &DbUrl, password_file: Option<&Path>) -> Result<Box<dyn Connector>> {
    match url {
        DbUrl::Sqlite(path) => {
            if password_file.is_some() {
                return Err(Error::Url(
                    "--password-file is for PostgreSQL; an SQLite URL takes none".into(),
                ));
            }
            Ok(Box::new(SqliteConnector::new(path)))
        }
        DbUrl::Postgres(t) => {
            let pw = read_pgpass(t, password_file)?;
            Ok(Box::new(PgConnector::new(t.clone(), pw)))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            DbUrl::parse("sqlite:/tmp/a.db").unwrap(),
            DbUrl::Sqlite("/tmp/a.db".into())
        );
        let DbUrl::Postgres(t) = DbUrl::parse("postgresql://kw@127.0.0.1:5433/auth").unwrap()
        else {
            panic!()
        };
        assert_eq!(t.name(), "postgresql://kw@127.0.0.1:5433/auth");
        let DbUrl::Postgres(t) = DbUrl::parse("postgres://kw@db/auth").unwrap() else {
            panic!()
        };
        assert_eq!(t.port, 5432);
        let e = DbUrl::parse("postgresql://kw:hunter2@db/auth").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("password"), "{e}");
        for bad in [
            "mysql://x",
            "sqlite:",
            "postgresql://db/auth",
            "postgresql://kw@db",
            "postgresql://kw@db:x/auth",
            "postgresql://kw@db/auth?sslmode=disable",
        ] {
            assert!(DbUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pgpass_lines() {
        let f = split_pgpass(r"h:5432:d\:b:u:p\:w\\x:y");
        let v: Vec<&str> = f.iter().map(|s| s.as_str()).collect();
        assert_eq!(v, ["h", "5432", "d:b", "u", r"p:w\x:y"]);
    }
}
