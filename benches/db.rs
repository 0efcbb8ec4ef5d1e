#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::panic,
    missing_docs
)]
//! `keyward db rekey` against a plain SQL rewrite of the same column, on
//! the same table in the same run (a bench binary: each measurement is one
//! whole migration of a fresh copy of the table, so criterion's sampling
//! does not fit).
//!
//! The plain rewrite uses the same engine, the same batches (1000 rows) and
//! the same guarded `UPDATE`s as the migration, and writes bytes of the same
//! length (each BLOB reversed) without any crypto: the ratio is what keyward
//! adds on top of the database's own cost.
//!
//! Run: `cargo bench -p keyward-benches --bench db`; `KEYWARD_BENCH_DB_ROWS`
//! (default `100000`, comma-separated list), `KEYWARD_BENCH_DB_REPS` (3);
//! PostgreSQL when `KEYWARD_TEST_PG_URL` and `KEYWARD_TEST_PG_PASSWORD_FILE`
//! are set (`.ci/postgres.sh`).

use std::path::Path;
use std::time::Instant;

use keyward_blob::{BlobKind, DeriveVector, KeySetting, Keyring, RecordId};
use keyward_db::{
    Connector, Field, Ident, Operation, Plan, Selection, SqliteConnector, TableMapping, Update,
    Version,
};
use zeroize::Zeroizing;

fn key(dv: u32) -> keyward_blob::DatabaseKey {
    KeySetting::derive_vector(DeriveVector::new(dv).unwrap()).database_key()
}

fn mapping(table: &str) -> TableMapping {
    TableMapping {
        table: Ident::table(table).unwrap(),
        id: Ident::column("id", "id").unwrap(),
        blob: Ident::column("blob", "blob").unwrap(),
        version: Ident::column("ver", "ver").unwrap(),
        serial: Field::Column(Ident::column("serial", "serial").unwrap()),
        application: Field::Constant(b"RESPONSE_ONLY".to_vec()),
        kind: BlobKind::Application,
        context: None,
    }
}

fn serial(i: i64) -> String {
    format!("VDS{i:07}")
}

fn sealed(k: &keyward_blob::DatabaseKey, i: i64) -> Vec<u8> {
    let s = serial(i);
    k.seal(
        &RecordId::application(s.as_bytes(), b"RESPONSE_ONLY"),
        &[0xA5; 64],
    )
    .unwrap()
}

/// The plain rewrite: same engine, batches and guarded UPDATEs, no crypto.
fn plain_rewrite(
    conn: &dyn Connector,
    m: &TableMapping,
    from: Version,
    to: Version,
    workers: usize,
) {
    let mut e0 = conn.connect(m).unwrap();
    let (lo, hi) = e0.id_bounds().unwrap().unwrap();
    drop(e0);
    let span = hi - lo + 1;
    std::thread::scope(|s| {
        for w in 0..workers as i64 {
            let after = lo - 1 + span * w / workers as i64;
            let upto = lo - 1 + span * (w + 1) / workers as i64;
            s.spawn(move || {
                let mut e = conn.connect(m).unwrap();
                let sel = Selection::AnyOf(vec![from]);
                let mut rows = Vec::new();
                let mut cursor = after;
                loop {
                    e.begin_batch(&sel, cursor, upto, 1000, &mut rows).unwrap();
                    let Some(last) = rows.last().map(|r| r.id) else {
                        e.rollback().unwrap();
                        break;
                    };
                    cursor = last;
                    let ups: Vec<Update> = rows
                        .drain(..)
                        .map(|r| {
                            let mut b = r.blob.unwrap();
                            b.reverse();
                            Update {
                                id: r.id,
                                old: from,
                                new: to,
                                blob: Zeroizing::new(b.to_vec()),
                            }
                        })
                        .collect();
                    let n = ups.len();
                    e.commit_batch(&ups).unwrap();
                    if n < 1000 {
                        break;
                    }
                }
            });
        }
    });
}

fn rekey(conn: &dyn Connector, m: &TableMapping, workers: usize) {
    let mut ring = Keyring::new(key(2));
    ring.add(key(1)).unwrap();
    let plan = Plan {
        mapping: m,
        keyring: &ring,
        operation: Operation::Rekey,
        batch: 1000,
        workers,
    };
    let s = keyward_db::run(conn, &plan, &|_| {}).unwrap();
    assert!(s.failed == 0 && s.written > 0);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn sqlite_template(path: &Path, n: i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("CREATE TABLE auth (id INTEGER PRIMARY KEY, serial TEXT NOT NULL, blob BLOB, ver INTEGER NOT NULL)").unwrap();
    let tx = c.unchecked_transaction().unwrap();
    {
        let k1 = key(1);
        let v = Version::sealed(k1.key_id()).to_int();
        let mut s = tx
            .prepare("INSERT INTO auth VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        for i in 1..=n {
            s.execute(rusqlite::params![i, serial(i), sealed(&k1, i), v])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn main() {
    let sizes: Vec<i64> = std::env::var("KEYWARD_BENCH_DB_ROWS")
        .unwrap_or_else(|_| "100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let reps: usize = std::env::var("KEYWARD_BENCH_DB_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let v1 = Version::sealed(key(1).key_id());
    let v9 = Version::sealed(key(9).key_id());
    println!(
        "| engine | rows | workers | db rekey rows/s | plain rewrite rows/s | ratio (time rekey / time plain) |"
    );
    println!("|---|---|---|---|---|---|");
    let dir = tempfile::tempdir().unwrap();
    for &n in &sizes {
        let tpl = dir.path().join(format!("tpl-{n}.db"));
        sqlite_template(&tpl, n);
        let m = mapping("auth");
        for workers in [1usize, 2] {
            let (mut tr, mut tp) = (Vec::new(), Vec::new());
            for rep in 0..reps {
                let p = dir.path().join(format!("run-{n}-{workers}-{rep}.db"));
                std::fs::copy(&tpl, &p).unwrap();
                let conn = SqliteConnector::new(&p);
                let t = Instant::now();
                rekey(&conn, &m, workers);
                tr.push(t.elapsed().as_secs_f64());
                std::fs::copy(&tpl, &p).unwrap();
                let t = Instant::now();
                plain_rewrite(&conn, &m, v1, v9, workers);
                tp.push(t.elapsed().as_secs_f64());
                std::fs::remove_file(&p).unwrap();
            }
            let (r, p) = (median(tr), median(tp));
            println!(
                "| sqlite | {n} | {workers} | {:.0} | {:.0} | {:.2} |",
                n as f64 / r,
                n as f64 / p,
                r / p
            );
        }
        std::fs::remove_file(&tpl).unwrap();
    }
    let (Ok(url), Ok(pw)) = (
        std::env::var("KEYWARD_TEST_PG_URL"),
        std::env::var("KEYWARD_TEST_PG_PASSWORD_FILE"),
    ) else {
        eprintln!(
            "PostgreSQL not measured: KEYWARD_TEST_PG_URL / KEYWARD_TEST_PG_PASSWORD_FILE unset"
        );
        return;
    };
    let keyward_db::DbUrl::Postgres(t) = keyward_db::DbUrl::parse(&url).unwrap() else {
        panic!()
    };
    let pwd = keyward_db::read_pgpass(&t, Some(Path::new(&pw))).unwrap();
    let conn = keyward_db::PgConnector::new(t, pwd);
    let mut client = conn.client().unwrap();
    for &n in &sizes {
        client.batch_execute("DROP TABLE IF EXISTS kw_bench_tpl; CREATE TABLE kw_bench_tpl (id bigint PRIMARY KEY, serial text NOT NULL, blob bytea, ver bigint NOT NULL)").unwrap();
        let k1 = key(1);
        let mut i = 1;
        while i <= n {
            let hi = (i + 9999).min(n);
            let ids: Vec<i64> = (i..=hi).collect();
            let serials: Vec<String> = ids.iter().map(|&j| serial(j)).collect();
            let blobs: Vec<Vec<u8>> = ids.iter().map(|&j| sealed(&k1, j)).collect();
            client.execute("INSERT INTO kw_bench_tpl SELECT * , $4 FROM unnest($1::int8[], $2::text[], $3::bytea[])", &[&ids, &serials, &blobs, &v1.to_int()]).unwrap();
            i = hi + 1;
        }
        let m = mapping("kw_bench_run");
        for workers in [1usize, 2] {
            let (mut tr, mut tp) = (Vec::new(), Vec::new());
            let fresh = |c: &mut postgres::Client| {
                c.batch_execute("DROP TABLE IF EXISTS kw_bench_run; CREATE TABLE kw_bench_run AS SELECT * FROM kw_bench_tpl; ALTER TABLE kw_bench_run ADD PRIMARY KEY (id)").unwrap();
                c.batch_execute("VACUUM ANALYZE kw_bench_run").unwrap();
                c.batch_execute("CHECKPOINT").unwrap();
            };
            for _ in 0..reps {
                fresh(&mut client);
                let t = Instant::now();
                rekey(&conn, &m, workers);
                tr.push(t.elapsed().as_secs_f64());
                fresh(&mut client);
                let t = Instant::now();
                plain_rewrite(&conn, &m, v1, v9, workers);
                tp.push(t.elapsed().as_secs_f64());
            }
            let (r, p) = (median(tr), median(tp));
            println!(
                "| postgresql | {n} | {workers} | {:.0} | {:.0} | {:.2} |",
                n as f64 / r,
                n as f64 / p,
                r / p
            );
        }
    }
    client
        .batch_execute("DROP TABLE IF EXISTS kw_bench_run; DROP TABLE IF EXISTS kw_bench_tpl")
        .unwrap();
}
