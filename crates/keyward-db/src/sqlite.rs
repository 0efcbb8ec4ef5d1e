//! The SQLite engine (rusqlite, bundled SQLite): the embedded default.
//!
//! A batch is read by one cached `SELECT` outside any write transaction
//! (the BLOBs are opened and sealed without holding SQLite's write lock, so
//! a second worker's crypto runs while the first one writes), then written
//! in one `BEGIN IMMEDIATE` transaction by one cached `UPDATE` per row,
//! guarded by the version the row was read with: a row changed in between
//! is not written (never sealed twice).
//! The database's own journal mode and `synchronous` setting are kept: a
//! committed batch is as durable as the database is configured to be.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use zeroize::Zeroizing;

use crate::engine::{Connector, Engine, Row, Selection, Update};
use crate::error::{Error, Result};
use crate::mapping::{Field, TableMapping};
use crate::version::{Version, VersionType};

/// Opens connections to an SQLite database file (which must exist).
#[derive(Debug, Clone)]
pub struct SqliteConnector {
    path: PathBuf,
    name: String,
}

impl SqliteConnector {
    /// The database file at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            name: format!("sqlite:{}", path.display()),
            path: path.to_owned(),
        }
    }
}

impl Connector for SqliteConnector {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn connect(&self, mapping: &TableMapping) -> Result<Box<dyn Engine>> {
        let name = self.name.clone();
        if !self.path.is_file() {
            return Err(Error::db(&name, "opening", "no such database file"));
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::db(&name, "opening", e))?;
        conn.busy_handler(Some(busy_wait))
            .map_err(|e| Error::db(&name, "setting the busy handler", e))?;
        conn.set_prepared_statement_cache_capacity(16);
        let version_type = check_schema(&conn, &name, mapping)?;
        Ok(Box::new(SqliteEngine {
            conn,
            name,
            mapping: mapping.clone(),
            version_type,
            in_tx: false,
        }))
    }
}

/// Waits for a lock another connection holds: 100 µs at a time, for up to
/// about 60 s. SQLite's own `busy_timeout` sleeps up to 100 ms per retry,
/// which on a rollback-journal database turns every reader/writer overlap
/// of the pipeline into milliseconds of idle time.
fn busy_wait(retries: i32) -> bool {
    if retries >= 600_000 {
        return false;
    }
    std::thread::sleep(Duration::from_micros(100));
    true
}

/// Checks that every mapped column exists; returns the version column type.
fn check_schema(conn: &Connection, db: &str, m: &TableMapping) -> Result<VersionType> {
    let schema = m.table.schema().unwrap_or("main");
    let mut stmt = conn
        .prepare("SELECT name, type FROM pragma_table_info(?1, ?2)")
        .map_err(|e| Error::db(db, "reading the schema", e))?;
    let cols: Vec<(String, String)> = stmt
        .query_map([m.table.last(), schema], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| Error::db(db, "reading the schema", e))?;
    if cols.is_empty() {
        return Err(Error::Mapping(format!("{db}: no table {}", m.table.name())));
    }
    let ty = |c: &crate::Ident| {
        cols.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(c.last()))
            .map(|(_, t)| t.to_ascii_uppercase())
            .ok_or_else(|| {
                Error::Mapping(format!(
                    "{db}: table {} has no column {}",
                    m.table.name(),
                    c.name()
                ))
            })
    };
    ty(&m.id)?;
    ty(&m.blob)?;
    for f in [&m.serial, &m.application] {
        if let Field::Column(c) = f {
            ty(c)?;
        }
    }
    if let Some(c) = &m.context {
        ty(c)?;
    }
    // SQLite type affinity rules (https://sqlite.org/datatype3.html 3.1).
    let vt = ty(&m.version)?;
    if vt.contains("INT") {
        Ok(VersionType::Integer)
    } else if vt.contains("CHAR") || vt.contains("CLOB") || vt.contains("TEXT") {
        Ok(VersionType::Text)
    } else {
        Err(Error::Mapping(format!(
            "{db}: version column {} is declared {vt:?}: expected an INTEGER or TEXT column",
            m.version.name()
        )))
    }
}

struct SqliteEngine {
    conn: Connection,
    name: String,
    mapping: TableMapping,
    version_type: VersionType,
    in_tx: bool,
}

impl SqliteEngine {
    fn version_value(&self, v: Version) -> Value {
        match self.version_type {
            VersionType::Integer => Value::Integer(v.to_int()),
            VersionType::Text => Value::Text(v.to_text()),
        }
    }

    /// The WHERE condition on the version and its parameters (from `?4` on).
    fn condition(&self, selection: &Selection, params: &mut Vec<Value>) -> String {
        let v = self.mapping.version.sql();
        match selection {
            Selection::Plaintext => {
                params.push(self.version_value(Version::Plaintext));
                format!("{v} = ?{}", params.len())
            }
            Selection::AnyOf(list) => {
                let mut marks = Vec::new();
                for ver in list {
                    params.push(self.version_value(*ver));
                    marks.push(format!("?{}", params.len()));
                }
                if marks.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{v} IN ({})", marks.join(", "))
                }
            }
            Selection::All => "1".to_owned(),
        }
    }

    fn read_version(&self, v: ValueRef<'_>) -> core::result::Result<Version, String> {
        match (self.version_type, v) {
            (_, ValueRef::Null) => Err("version is NULL".to_owned()),
            (_, ValueRef::Integer(i)) => Version::from_int(i),
            (_, ValueRef::Text(t)) => match std::str::from_utf8(t) {
                Ok(t) => Version::from_text(t),
                Err(_) => Err("version is not UTF-8 text".to_owned()),
            },
            (_, ValueRef::Real(_)) => Err("version is a floating-point number".to_owned()),
            (_, ValueRef::Blob(_)) => Err("version is a BLOB".to_owned()),
        }
    }

    fn exec(&self, sql: &str, doing: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| Error::db(&self.name, doing, e))
    }
}

fn bytes(v: ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(b.to_vec()),
        _ => None,
    }
}

impl Engine for SqliteEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn version_type(&self) -> VersionType {
        self.version_type
    }

    fn id_bounds(&mut self) -> Result<Option<(i64, i64)>> {
        let m = &self.mapping;
        let sql = format!(
            "SELECT min({id}), max({id}) FROM {t}",
            id = m.id.sql(),
            t = m.table.sql()
        );
        let r: (Option<i64>, Option<i64>) = self
            .conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| Error::db(&self.name, "reading the id range", e))?;
        Ok(match r {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        })
    }

    fn count_versions(&mut self) -> Result<Vec<(core::result::Result<Version, String>, u64)>> {
        let m = &self.mapping;
        let sql = format!(
            "SELECT {v}, count(*) FROM {t} GROUP BY {v} ORDER BY {v}",
            v = m.version.sql(),
            t = m.table.sql()
        );
        let doing = "counting rows per version";
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| Error::db(&self.name, doing, e))?;
        let mut rows = stmt
            .query([])
            .map_err(|e| Error::db(&self.name, doing, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| Error::db(&self.name, doing, e))? {
            let v = r.get_ref(0).map_err(|e| Error::db(&self.name, doing, e))?;
            let n: i64 = r.get(1).map_err(|e| Error::db(&self.name, doing, e))?;
            out.push((self.read_version(v), u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    fn count(&mut self, selection: &Selection, after: i64, upto: i64) -> Result<u64> {
        let m = &self.mapping;
        let mut params = vec![Value::Integer(after), Value::Integer(upto)];
        let cond = self.condition(selection, &mut params);
        let sql = format!(
            "SELECT count(*) FROM {t} WHERE {id} > ?1 AND {id} <= ?2 AND {cond}",
            t = m.table.sql(),
            id = m.id.sql()
        );
        let n: i64 = self
            .conn
            .query_row(&sql, params_from_iter(params), |r| r.get(0))
            .map_err(|e| Error::db(&self.name, "counting rows", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn begin_batch(
        &mut self,
        selection: &Selection,
        after: i64,
        upto: i64,
        limit: usize,
        out: &mut Vec<Row>,
    ) -> Result<()> {
        out.clear();
        let m = &self.mapping;
        let mut params = vec![Value::Integer(after), Value::Integer(upto)];
        let cond = self.condition(selection, &mut params);
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let sql = format!(
            "SELECT {cols} FROM {t} WHERE {id} > ?1 AND {id} <= ?2 AND {cond} ORDER BY {id} LIMIT ?{n}",
            cols = m.select_list(),
            t = m.table.sql(),
            id = m.id.sql(),
            n = params.len()
        );
        let doing = format!("reading the batch after id {after}");
        let res = (|| -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(params))?;
            let serial_col = matches!(m.serial, Field::Column(_));
            let app_col = matches!(m.application, Field::Column(_));
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let blob = bytes(r.get_ref(1)?).map(Zeroizing::new);
                let version = self.read_version(r.get_ref(2)?);
                let mut i = 3;
                let mut next = |on: bool| -> rusqlite::Result<Vec<u8>> {
                    if !on {
                        return Ok(Vec::new());
                    }
                    let v = bytes(r.get_ref(i)?).unwrap_or_default();
                    i += 1;
                    Ok(v)
                };
                let serial = next(serial_col)?;
                let application = next(app_col)?;
                let context = next(m.context.is_some())?;
                out.push(Row {
                    id,
                    blob,
                    version,
                    serial,
                    application,
                    context,
                });
            }
            Ok(())
        })();
        res.map_err(|e| Error::db(&self.name, doing, e))
    }

    fn commit_batch(&mut self, updates: &[Update]) -> Result<u64> {
        let m = &self.mapping;
        let sql = format!(
            "UPDATE {t} SET {b} = ?1, {v} = ?2 WHERE {id} = ?3 AND {v} = ?4",
            t = m.table.sql(),
            b = m.blob.sql(),
            v = m.version.sql(),
            id = m.id.sql()
        );
        let first = updates.first().map_or(0, |u| u.id);
        if updates.is_empty() {
            return Ok(0);
        }
        self.exec(
            "BEGIN IMMEDIATE",
            &format!("starting the batch from id {first}"),
        )?;
        self.in_tx = true;
        let res = (|| -> rusqlite::Result<u64> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut n = 0u64;
            for u in updates {
                n += stmt.execute(rusqlite::params![
                    &u.blob[..],
                    self.version_value(u.new),
                    u.id,
                    self.version_value(u.old)
                ])? as u64;
            }
            Ok(n)
        })();
        let n = match res {
            Ok(n) => n,
            Err(e) => {
                let _ = self.rollback();
                return Err(Error::db(
                    &self.name,
                    format!("writing the batch from id {first}"),
                    e,
                ));
            }
        };
        if let Err(e) = self.exec("COMMIT", &format!("committing the batch from id {first}")) {
            let _ = self.rollback();
            return Err(e);
        }
        self.in_tx = false;
        Ok(n)
    }

    fn rollback(&mut self) -> Result<()> {
        if !self.in_tx {
            return Ok(());
        }
        self.in_tx = false;
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.exec("ROLLBACK", "rolling back")
    }

    fn skips_locked(&self) -> bool {
        false
    }
}
