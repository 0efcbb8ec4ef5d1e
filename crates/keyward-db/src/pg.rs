//! The PostgreSQL engine (the `postgres` sync client).
//!
//! A batch is one transaction: `SELECT … ORDER BY id LIMIT n FOR UPDATE SKIP
//! LOCKED` (the rows are locked; rows another process holds are skipped, so
//! several processes on several machines can run the same migration), then
//! one `UPDATE … FROM unnest($1, $2, $3, $4)` that writes the whole batch in
//! one round trip, guarded by each row's old version, then `COMMIT`.

use std::collections::HashMap;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};
use zeroize::Zeroizing;

use crate::engine::{Connector, Engine, Row, Selection, Update};
use crate::error::{Error, Result};
use crate::mapping::{Field, TableMapping};
use crate::url::PgTarget;
use crate::version::{Version, VersionType};

/// Opens connections to a PostgreSQL database (without TLS: use it on a
/// trusted network or a local socket path).
#[derive(Clone)]
pub struct PgConnector {
    target: PgTarget,
    password: Option<Zeroizing<String>>,
}

impl core::fmt::Debug for PgConnector {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgConnector")
            .field("target", &self.target)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl PgConnector {
    /// `target` with an optional password (from a password file or
    /// `PGPASSFILE`, see [`crate::read_pgpass`]).
    pub fn new(target: PgTarget, password: Option<Zeroizing<String>>) -> Self {
        Self { target, password }
    }

    /// A plain connection (for tests and benchmarks that create tables).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn client(&self) -> Result<Client> {
        let mut cfg = Config::new();
        cfg.host(&self.target.host)
            .port(self.target.port)
            .user(&self.target.user)
            .dbname(&self.target.db)
            .application_name("keyward-db")
            .connect_timeout(Duration::from_secs(10));
        if let Some(p) = &self.password {
            cfg.password(p.as_bytes());
        }
        cfg.connect(NoTls)
            .map_err(|e| Error::db_chain(&self.target.name(), "connecting", &e))
    }
}

impl Connector for PgConnector {
    fn name(&self) -> String {
        self.target.name()
    }

    fn connect(&self, mapping: &TableMapping) -> Result<Box<dyn Engine>> {
        let mut client = self.client()?;
        let name = self.target.name();
        let version_type = check_schema(&mut client, &name, mapping)?;
        Ok(Box::new(PgEngine {
            client,
            name,
            mapping: mapping.clone(),
            version_type,
            statements: HashMap::new(),
            in_tx: false,
        }))
    }
}

fn check_schema(client: &mut Client, db: &str, m: &TableMapping) -> Result<VersionType> {
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2",
            &[&m.table.schema(), &m.table.last()],
        )
        .map_err(|e| Error::db_chain(db, "reading the schema", &e))?;
    if rows.is_empty() {
        return Err(Error::Mapping(format!("{db}: no table {}", m.table.name())));
    }
    let cols: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let ty = |c: &crate::Ident| {
        cols.iter()
            .find(|(n, _)| n == c.last())
            .map(|(_, t)| t.clone())
            .ok_or_else(|| {
                Error::Mapping(format!(
                    "{db}: table {} has no column {}",
                    m.table.name(),
                    c.name()
                ))
            })
    };
    let id = ty(&m.id)?;
    if !matches!(id.as_str(), "bigint" | "integer" | "smallint") {
        return Err(Error::Mapping(format!(
            "{db}: id column {} is {id}: expected an integer column",
            m.id.name()
        )));
    }
    let blob = ty(&m.blob)?;
    if blob != "bytea" {
        return Err(Error::Mapping(format!(
            "{db}: BLOB column {} is {blob}: expected bytea",
            m.blob.name()
        )));
    }
    for (f, what) in [(&m.serial, "serial"), (&m.application, "application")] {
        if let Field::Column(c) = f {
            check_bytes_type(db, what, c, &ty(c)?)?;
        }
    }
    if let Some(c) = &m.context {
        check_bytes_type(db, "context", c, &ty(c)?)?;
    }
    let vt = ty(&m.version)?;
    match vt.as_str() {
        "bigint" => Ok(VersionType::Integer),
        "text" | "character varying" | "character" => Ok(VersionType::Text),
        _ => Err(Error::Mapping(format!(
            "{db}: version column {} is {vt}: expected bigint (a key id is an unsigned 32-bit value) or text",
            m.version.name()
        ))),
    }
}

fn check_bytes_type(db: &str, what: &str, c: &crate::Ident, t: &str) -> Result<()> {
    if matches!(t, "text" | "character varying" | "character" | "bytea") {
        Ok(())
    } else {
        Err(Error::Mapping(format!(
            "{db}: {what} column {} is {t}: expected text or bytea",
            c.name()
        )))
    }
}

struct PgEngine {
    client: Client,
    name: String,
    mapping: TableMapping,
    version_type: VersionType,
    statements: HashMap<String, Statement>,
    in_tx: bool,
}

/// A version parameter: `bigint` or `text`.
enum VParam {
    Int(i64),
    Text(String),
    Ints(Vec<i64>),
    Texts(Vec<String>),
}

impl VParam {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Int(v) => v,
            Self::Text(v) => v,
            Self::Ints(v) => v,
            Self::Texts(v) => v,
        }
    }
}

impl PgEngine {
    fn statement(&mut self, sql: &str, doing: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .client
            .prepare(sql)
            .map_err(|e| Error::db_chain(&self.name, doing, &e))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn one(&self, v: Version) -> VParam {
        match self.version_type {
            VersionType::Integer => VParam::Int(v.to_int()),
            VersionType::Text => VParam::Text(v.to_text()),
        }
    }

    fn many(&self, vs: impl Iterator<Item = Version>) -> VParam {
        match self.version_type {
            VersionType::Integer => VParam::Ints(vs.map(Version::to_int).collect()),
            VersionType::Text => VParam::Texts(vs.map(Version::to_text).collect()),
        }
    }

    /// The version condition (parameter `$3`) and its value.
    fn condition(&self, selection: &Selection) -> (String, Option<VParam>) {
        let v = self.mapping.version.sql();
        match selection {
            Selection::Plaintext => (format!("{v} = $3"), Some(self.one(Version::Plaintext))),
            Selection::AnyOf(list) => (
                format!("{v} = ANY($3)"),
                Some(self.many(list.iter().copied())),
            ),
            Selection::All => ("$3::bool".to_owned(), None),
        }
    }

    fn read_version(&self, r: &postgres::Row, i: usize) -> core::result::Result<Version, String> {
        match self.version_type {
            VersionType::Integer => match r.try_get::<_, Option<i64>>(i) {
                Ok(Some(v)) => Version::from_int(v),
                Ok(None) => Err("version is NULL".to_owned()),
                Err(e) => Err(format!("version: {e}")),
            },
            VersionType::Text => match r.try_get::<_, Option<&str>>(i) {
                Ok(Some(v)) => Version::from_text(v),
                Ok(None) => Err("version is NULL".to_owned()),
                Err(e) => Err(format!("version: {e}")),
            },
        }
    }

    fn exec(&mut self, sql: &str, doing: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| Error::db_chain(&self.name, doing, &e))
    }
}

fn bytes_at(r: &postgres::Row, i: usize) -> core::result::Result<Vec<u8>, postgres::Error> {
    let is_bytea = r
        .columns()
        .get(i)
        .is_some_and(|c| *c.type_() == Type::BYTEA);
    if is_bytea {
        Ok(r.try_get::<_, Option<Vec<u8>>>(i)?.unwrap_or_default())
    } else {
        Ok(r.try_get::<_, Option<&str>>(i)?
            .map(|s| s.as_bytes().to_vec())
            .unwrap_or_default())
    }
}

impl Engine for PgEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn version_type(&self) -> VersionType {
        self.version_type
    }

    fn id_bounds(&mut self) -> Result<Option<(i64, i64)>> {
        let m = &self.mapping;
        let sql = format!(
            "SELECT min({id})::int8, max({id})::int8 FROM {t}",
            id = m.id.sql(),
            t = m.table.sql()
        );
        let r = self
            .client
            .query_one(&sql, &[])
            .map_err(|e| Error::db_chain(&self.name, "reading the id range", &e))?;
        Ok(
            match (r.get::<_, Option<i64>>(0), r.get::<_, Option<i64>>(1)) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            },
        )
    }

    fn count_versions(&mut self) -> Result<Vec<(core::result::Result<Version, String>, u64)>> {
        let m = &self.mapping;
        let sql = format!(
            "SELECT {v}, count(*) FROM {t} GROUP BY {v} ORDER BY {v}",
            v = m.version.sql(),
            t = m.table.sql()
        );
        let rows = self
            .client
            .query(&sql, &[])
            .map_err(|e| Error::db_chain(&self.name, "counting rows per version", &e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let n: i64 = r.get(1);
                (self.read_version(r, 0), u64::try_from(n).unwrap_or(0))
            })
            .collect())
    }

    fn count(&mut self, selection: &Selection, after: i64, upto: i64) -> Result<u64> {
        let (cond, param) = self.condition(selection);
        let m = &self.mapping;
        let sql = format!(
            "SELECT count(*) FROM {t} WHERE {id} > $1 AND {id} <= $2 AND {cond}",
            t = m.table.sql(),
            id = m.id.sql()
        );
        let yes = true;
        let p3: &(dyn ToSql + Sync) = param.as_ref().map_or(&yes, VParam::as_sql);
        let r = self
            .client
            .query_one(&sql, &[&after, &upto, p3])
            .map_err(|e| Error::db_chain(&self.name, "counting rows", &e))?;
        Ok(u64::try_from(r.get::<_, i64>(0)).unwrap_or(0))
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
        let (cond, param) = self.condition(selection);
        let m = self.mapping.clone();
        let lock = if matches!(selection, Selection::All) {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "SELECT {id}::int8, {cols} FROM {t} WHERE {id} > $1 AND {id} <= $2 AND {cond} ORDER BY {id} LIMIT $4{lock}",
            id = m.id.sql(),
            cols = m
                .select_list()
                .split_once(", ")
                .map_or(String::new(), |(_, rest)| rest.to_owned()),
            t = m.table.sql(),
        );
        let doing = format!("reading the batch after id {after}");
        let stmt = self.statement(&sql, &doing)?;
        self.exec("BEGIN", "starting a batch")?;
        self.in_tx = true;
        let yes = true;
        let p3: &(dyn ToSql + Sync) = param.as_ref().map_or(&yes, VParam::as_sql);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match self.client.query(&stmt, &[&after, &upto, p3, &limit]) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.rollback();
                return Err(Error::db_chain(&self.name, doing, &e));
            }
        };
        let serial_col = matches!(m.serial, Field::Column(_));
        let app_col = matches!(m.application, Field::Column(_));
        let has_ctx = m.context.is_some();
        let res = (|| -> core::result::Result<(), postgres::Error> {
            for r in &rows {
                let id: i64 = r.try_get(0)?;
                let blob = r.try_get::<_, Option<Vec<u8>>>(1)?.map(Zeroizing::new);
                let version = self.read_version(r, 2);
                let mut i = 3;
                let mut next = |on: bool| -> core::result::Result<Vec<u8>, postgres::Error> {
                    if !on {
                        return Ok(Vec::new());
                    }
                    let v = bytes_at(r, i)?;
                    i += 1;
                    Ok(v)
                };
                let serial = next(serial_col)?;
                let application = next(app_col)?;
                let context = next(has_ctx)?;
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
        if let Err(e) = res {
            let _ = self.rollback();
            return Err(Error::db_chain(&self.name, doing, &e));
        }
        Ok(())
    }

    fn commit_batch(&mut self, updates: &[Update]) -> Result<u64> {
        let first = updates.first().map_or(0, |u| u.id);
        let n = if updates.is_empty() {
            0
        } else {
            let m = &self.mapping;
            let vt = match self.version_type {
                VersionType::Integer => "int8",
                VersionType::Text => "text",
            };
            let sql = format!(
                "UPDATE {t} AS t SET {b} = u.b, {v} = u.nv \
                 FROM unnest($1::int8[], $2::bytea[], $3::{vt}[], $4::{vt}[]) AS u(id, b, nv, ov) \
                 WHERE t.{id} = u.id AND t.{v} = u.ov",
                t = m.table.sql(),
                b = m.blob.sql(),
                v = m.version.sql(),
                id = m.id.sql()
            );
            let doing = format!("writing the batch from id {first}");
            let stmt = self.statement(&sql, &doing)?;
            let ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
            let blobs: Zeroizing<Vec<Zeroizing<Vec<u8>>>> =
                Zeroizing::new(updates.iter().map(|u| u.blob.clone()).collect());
            let blob_refs: Vec<&[u8]> = blobs.iter().map(|b| &b[..]).collect();
            let new = self.many(updates.iter().map(|u| u.new));
            let old = self.many(updates.iter().map(|u| u.old));
            match self
                .client
                .execute(&stmt, &[&ids, &blob_refs, new.as_sql(), old.as_sql()])
            {
                Ok(n) => n,
                Err(e) => {
                    let _ = self.rollback();
                    return Err(Error::db_chain(&self.name, doing, &e));
                }
            }
        };
        if let Err(e) = self.exec("COMMIT", &format!("committing the batch from id {first}")) {
            self.in_tx = false;
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
        self.exec("ROLLBACK", "rolling back")
    }

    fn skips_locked(&self) -> bool {
        true
    }
}
