//! Reading a PIN/password hash table (user, PHC string) in id order, one
//! batch at a time, for the HashKey ceremony over a database
//! (`docs/design.md`, "BLOB migration on SQL databases"). Read only: hashes
//! are irreversible, so the ceremony surveys them and never writes them.

use std::path::Path;

use crate::PgConnector;
use crate::error::{Error, Result};
use crate::mapping::Ident;
use crate::url::{DbUrl, read_pgpass};

/// Where the hashes are: an integer id column (the keyset cursor), the
/// user column and the PHC string column (text).
#[derive(Debug, Clone)]
pub struct HashMapping {
    /// The table (`NAME` or `SCHEMA.NAME`).
    pub table: Ident,
    /// Integer id column, unique.
    pub id: Ident,
    /// The user column (any type the database can cast to text).
    pub user: Ident,
    /// The PHC string column (text; NULL is reported as an empty string,
    /// which the survey names as malformed).
    pub phc: Ident,
}

/// Calls `each(user, phc)` for every row of the hash table, in id order,
/// reading `batch` rows per query (memory is one batch); returns the number
/// of rows read.
///
/// # Errors
/// [`Error::Database`] naming the database and the id the failing batch
/// started after; [`Error::Password`] for the PostgreSQL password.
pub fn scan_hashes(
    url: &DbUrl,
    password_file: Option<&Path>,
    m: &HashMapping,
    batch: usize,
    mut each: impl FnMut(String, String),
) -> Result<u64> {
    let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
    let mut after = i64::MIN;
    let mut total = 0u64;
    match url {
        DbUrl::Sqlite(path) => {
            let name = format!("sqlite:{}", path.display());
            if !path.is_file() {
                return Err(Error::db(&name, "opening", "no such database file"));
            }
            let conn = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .map_err(|e| Error::db(&name, "opening", e))?;
            let sql = format!(
                "SELECT {id}, CAST({u} AS TEXT), CAST({p} AS TEXT) FROM {t} WHERE {id} > ?1 ORDER BY {id} LIMIT ?2",
                id = m.id.sql(),
                u = m.user.sql(),
                p = m.phc.sql(),
                t = m.table.sql()
            );
            let doing = |after: i64| format!("reading {} after id {after}", m.table.name());
            let mut stmt = conn
                .prepare(&sql)
                .map_err(|e| Error::db(&name, doing(after), e))?;
            loop {
                let mut rows = stmt
                    .query(rusqlite::params![after, limit])
                    .map_err(|e| Error::db(&name, doing(after), e))?;
                let mut n = 0;
                while let Some(r) = rows.next().map_err(|e| Error::db(&name, doing(after), e))? {
                    let id: i64 = r.get(0).map_err(|e| Error::db(&name, doing(after), e))?;
                    let user: Option<String> =
                        r.get(1).map_err(|e| Error::db(&name, doing(after), e))?;
                    let phc: Option<String> =
                        r.get(2).map_err(|e| Error::db(&name, doing(after), e))?;
                    each(user.unwrap_or_default(), phc.unwrap_or_default());
                    after = id;
                    n += 1;
                }
                total += n;
                if n < limit.unsigned_abs() {
                    return Ok(total);
                }
            }
        }
        DbUrl::Postgres(t) => {
            let name = t.name();
            let pw = read_pgpass(t, password_file)?;
            let mut client = PgConnector::new(t.clone(), pw).client()?;
            let sql = format!(
                "SELECT {id}::bigint, {u}::text, {p}::text FROM {t} WHERE {id} > $1 ORDER BY {id} LIMIT $2",
                id = m.id.sql(),
                u = m.user.sql(),
                p = m.phc.sql(),
                t = m.table.sql()
            );
            loop {
                let doing = format!("reading {} after id {after}", m.table.name());
                let rows = client
                    .query(sql.as_str(), &[&after, &limit])
                    .map_err(|e| Error::db_chain(&name, &doing, &e))?;
                let n = rows.len() as u64;
                for r in &rows {
                    let id: i64 = r
                        .try_get(0)
                        .map_err(|e| Error::db_chain(&name, &doing, &e))?;
                    let user: Option<String> = r
                        .try_get(1)
                        .map_err(|e| Error::db_chain(&name, &doing, &e))?;
                    let phc: Option<String> = r
                        .try_get(2)
                        .map_err(|e| Error::db_chain(&name, &doing, &e))?;
                    each(user.unwrap_or_default(), phc.unwrap_or_default());
                    after = id;
                }
                total += n;
                if n < limit.unsigned_abs() {
                    return Ok(total);
                }
            }
        }
    }
}
