//! `keyward db` under faults: SIGKILL loops during `encrypt` and `rekey` on
//! SQLite and PostgreSQL, a PostgreSQL restart mid-run, a full disk under
//! SQLite (a small tmpfs), two concurrent `rekey` processes on PostgreSQL.
//! After each, every row opens under the new key to its original plaintext
//! (so none was sealed twice), and the row count is unchanged.
//!
//! Sizes: `KEYWARD_DB_FAULT_ROWS` (default 100000) rows and
//! `KEYWARD_DB_FAULT_KILLS` (default 100) kills per operation and engine,
//! each after a random delay of 5 to 5 + `KEYWARD_DB_FAULT_MAX_MS` (default
//! 120) milliseconds. The PostgreSQL tests need the cluster of
//! `.ci/postgres.sh` (`KEYWARD_TEST_PG_URL`, `KEYWARD_TEST_PG_PASSWORD_FILE`,
//! `KEYWARD_TEST_PG_RESTART`); with `CI` set they fail when it is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::std_instead_of_core
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use keyward_blob::{DeriveVector, KeySetting, RecordId};

const BIN: &str = env!("CARGO_BIN_EXE_keyward");

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rows_n() -> i64 {
    env_num("KEYWARD_DB_FAULT_ROWS", 100_000) as i64
}

fn kills_n() -> u64 {
    env_num("KEYWARD_DB_FAULT_KILLS", 100)
}

fn key(dv: u32) -> keyward_blob::DatabaseKey {
    KeySetting::derive_vector(DeriveVector::new(dv).unwrap()).database_key()
}

fn plaintext(i: i64) -> Vec<u8> {
    format!("seed-{i:06}").into_bytes()
}

/// xorshift64*, seeded from the clock (the seed is printed).
struct Rng(u64);
impl Rng {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        eprintln!("kill-delay seed {seed}");
        Self(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

struct Db {
    url: String,
    password_file: Option<PathBuf>,
    table: String,
}

impl Db {
    fn args(&self, op: &str) -> Vec<String> {
        let mut a: Vec<String> = [
            "db",
            op,
            "--db",
            &self.url,
            "--table",
            &self.table,
            "--id-column",
            "id",
            "--blob-column",
            "blob",
            "--version-column",
            "ver",
            "--serial-column",
            "serial",
            "--app",
            "RESPONSE_ONLY",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if let Some(p) = &self.password_file {
            a.push("--password-file".into());
            a.push(p.display().to_string());
        }
        match op {
            "encrypt" => a.extend(["--new-derive-vector".into(), "1".into()]),
            "rekey" => a.extend([
                "--old-derive-vector".into(),
                "1".into(),
                "--new-derive-vector".into(),
                "2".into(),
            ]),
            _ => a.extend(["--derive-vector".into(), "2".into()]),
        }
        a.extend(["--batch".into(), "250".into()]);
        a
    }

    fn command(&self, op: &str) -> Command {
        let mut c = Command::new(BIN);
        c.args(self.args(op))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, op: &str, extra: &[&str]) -> Output {
        self.command(op).args(extra).output().unwrap()
    }
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kills `op` `kills` times at random points, then reruns it to the end.
/// `done` counts the rows already migrated: the delay range adapts so that
/// kills land mid-run (after the start-up, with rows left), not all before
/// the first commit or after the end. Returns the number of kills.
fn kill_loop(db: &Db, op: &str, kills: u64, rng: &mut Rng, done: &dyn Fn() -> i64) -> u64 {
    let n = rows_n();
    let mut max_ms = env_num("KEYWARD_DB_FAULT_MAX_MS", 120);
    let mut hit = 0;
    let mut progressed = 0;
    let started = Instant::now();
    let mut last = done();
    let mut reserve = false;
    while hit < kills {
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "kill loop for {op}: only {hit} kills in 900 s"
        );
        let mut child = db.command(op).spawn().unwrap();
        let base = if reserve { 0 } else { 5 };
        std::thread::sleep(Duration::from_millis(base + rng.below(max_ms)));
        if child.try_wait().unwrap().is_some() {
            // Finished before the kill: the migration is complete.
            let out = child.wait_with_output().unwrap();
            ok(&out, op);
            break;
        }
        child.kill().unwrap(); // SIGKILL
        assert!(!child.wait().unwrap().success());
        hit += 1;
        let now = done();
        assert!(
            now >= last,
            "{op}: migrated rows went down from {last} to {now}"
        );
        if reserve {
        } else if now == last {
            max_ms += max_ms / 4 + 5;
        } else {
            progressed += 1;
            if now - last > n / 150 {
                max_ms = (max_ms * 3 / 5).max(10);
            }
        }
        // Keep rows for the kills still to come: when fewer than n / 400 rows
        // per remaining kill are left, kill early in the run (start-up and
        // the first batch), so a fast machine cannot finish the migration
        // before every kill has landed.
        let left_kills = i64::try_from(kills - hit).unwrap_or(i64::MAX);
        if n - now < left_kills.saturating_mul(n / 200) {
            // From here on, kills land within 3 ms of the start: during
            // start-up or the first batch.
            reserve = true;
            max_ms = 3;
        }
        last = now;
    }
    assert!(
        hit >= kills,
        "{op}: only {hit} of {kills} kills landed before the end"
    );
    let out = db.run(op, &[]);
    ok(&out, &format!("{op} after {hit} kills"));
    eprintln!(
        "{op}: {hit} SIGKILLs ({progressed} after a commit), {last} of {n} rows migrated when killed; rerun: {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    hit
}

// ------------------------------------------------------------------ SQLite

fn sqlite_table(path: &Path, n: i64, pad: usize) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE auth (id INTEGER PRIMARY KEY, serial TEXT NOT NULL, blob BLOB, ver INTEGER NOT NULL)",
    )
    .unwrap();
    let tx = c.unchecked_transaction().unwrap();
    {
        let mut s = tx
            .prepare("INSERT INTO auth VALUES (?1, ?2, ?3, 0)")
            .unwrap();
        for i in 1..=n {
            let mut pt = plaintext(i);
            pt.resize(pt.len() + pad, b'.');
            s.execute(rusqlite::params![i, format!("VDS{i:07}"), pt])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

type Table = Vec<(i64, String, Option<Vec<u8>>, i64)>;

fn sqlite_rows(path: &Path) -> Table {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = c
        .prepare("SELECT id, serial, blob, ver FROM auth ORDER BY id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every row is under `dv`'s key and opens to its plaintext (+ `pad` dots).
fn check_all(rows: &Table, n: i64, dv: u32, pad: usize) {
    let k = key(dv);
    let want = i64::from(u32::from_be_bytes(k.key_id().0));
    assert_eq!(rows.len() as i64, n, "row count unchanged");
    for (id, serial, blob, ver) in rows {
        assert_eq!(*ver, want, "row {id}: version");
        let rec = RecordId::application(serial.as_bytes(), b"RESPONSE_ONLY");
        let pt = k
            .open(&rec, blob.as_ref().unwrap())
            .unwrap_or_else(|e| panic!("row {id}: {e}"));
        let mut expected = plaintext(*id);
        expected.resize(expected.len() + pad, b'.');
        assert_eq!(
            &pt[..],
            &expected[..],
            "row {id}: sealed once, to its plaintext"
        );
    }
}

#[test]
fn sqlite_kill_loop_encrypt_and_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.db");
    let n = rows_n();
    sqlite_table(&path, n, 0);
    let db = Db {
        url: format!("sqlite:{}", path.display()),
        password_file: None,
        table: "auth".into(),
    };
    let mut rng = Rng::new();
    let t = Instant::now();
    let count = |dv: u32| {
        let want = i64::from(u32::from_be_bytes(key(dv).key_id().0));
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row("SELECT count(*) FROM auth WHERE ver = ?1", [want], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let e = kill_loop(&db, "encrypt", kills_n(), &mut rng, &|| count(1));
    let r = kill_loop(&db, "rekey", kills_n(), &mut rng, &|| count(2));
    eprintln!(
        "sqlite: {n} rows, {e} SIGKILLs during encrypt, {r} during rekey, {:.0} s",
        t.elapsed().as_secs_f64()
    );
    check_all(&sqlite_rows(&path), n, 2, 0);
    let c = rusqlite::Connection::open(&path).unwrap();
    let ic: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ic, "ok");
    ok(&db.run("verify", &[]), "verify");
}

/// A full disk (a 6 MiB tmpfs, mostly filled): `encrypt` fails with an
/// error naming the database; nothing is corrupted; with room again the
/// rerun completes.
#[test]
fn sqlite_disk_full() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but a tmpfs cannot be mounted (the disk-full test needs root)"
        );
        eprintln!("skipped: cannot mount a tmpfs (not root)");
        return;
    }
    struct Umount(PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Umount(mnt.clone());
    let path = mnt.join("full.db");
    let n = 4_000;
    let pad = 500;
    sqlite_table(&path, n, pad);
    let before = sqlite_rows(&path);
    // Fill the rest of the tmpfs but about 40 KiB.
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(40 * 1024))
        .unwrap();
    let db = Db {
        url: format!("sqlite:{}", path.display()),
        password_file: None,
        table: "auth".into(),
    };
    let out = db.run("encrypt", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains(&db.url), "names the database: {err}");
    assert!(err.contains("full"), "says the disk is full: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // Nothing corrupted: the database checks, each row is its plaintext
    // (version 0) or sealed under key 1 to its plaintext.
    std::fs::remove_file(&filler).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let ic: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ic, "ok");
    drop(c);
    let k1 = key(1);
    let mid = sqlite_rows(&path);
    assert_eq!(mid.len(), before.len());
    for (b, m) in before.iter().zip(&mid) {
        if m.3 == 0 {
            assert_eq!(b, m, "row {} untouched", b.0);
        } else {
            let rec = RecordId::application(m.1.as_bytes(), b"RESPONSE_ONLY");
            assert_eq!(
                &k1.open(&rec, m.2.as_ref().unwrap()).unwrap()[..],
                &b.2.as_ref().unwrap()[..]
            );
        }
    }
    ok(&db.run("encrypt", &[]), "encrypt with room again");
    ok(&db.run("rekey", &[]), "rekey");
    check_all(&sqlite_rows(&path), n, 2, pad);
}

// -------------------------------------------------------------- PostgreSQL

/// The PostgreSQL tests share one cluster, and one of them restarts it:
/// they run one at a time.
static PG_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Pg {
    url: String,
    password_file: PathBuf,
    restart: String,
}

fn pg() -> Option<Pg> {
    let url = std::env::var("KEYWARD_TEST_PG_URL").ok();
    let pw = std::env::var("KEYWARD_TEST_PG_PASSWORD_FILE").ok();
    match (url, pw) {
        (Some(url), Some(pw)) => Some(Pg {
            url,
            password_file: pw.into(),
            restart: std::env::var("KEYWARD_TEST_PG_RESTART").unwrap_or_default(),
        }),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but KEYWARD_TEST_PG_URL / KEYWARD_TEST_PG_PASSWORD_FILE are not: .ci/postgres.sh must start the cluster"
            );
            eprintln!("skipped: no PostgreSQL (source .ci/postgres.sh and run pg_start)");
            None
        }
    }
}

impl Pg {
    fn client(&self) -> postgres::Client {
        let keyward_db::DbUrl::Postgres(t) = keyward_db::DbUrl::parse(&self.url).unwrap() else {
            panic!("{}", self.url)
        };
        let pw = keyward_db::read_pgpass(&t, Some(&self.password_file)).unwrap();
        keyward_db::PgConnector::new(t, pw).client().unwrap()
    }

    /// A fresh table of `n` plaintext rows.
    fn table(&self, name: &str, n: i64) -> Db {
        let mut c = self.client();
        c.batch_execute(&format!(
            "DROP TABLE IF EXISTS {name};
             CREATE TABLE {name} (id bigint PRIMARY KEY, serial text NOT NULL, blob bytea, ver bigint NOT NULL);
             INSERT INTO {name} SELECT i, 'VDS' || lpad(i::text, 7, '0'),
                 convert_to('seed-' || lpad(i::text, 6, '0'), 'UTF8'), 0
               FROM generate_series(1, {n}) AS i;"
        ))
        .unwrap();
        Db {
            url: self.url.clone(),
            password_file: Some(self.password_file.clone()),
            table: name.into(),
        }
    }

    fn rows(&self, name: &str) -> Table {
        self.client()
            .query(
                &format!("SELECT id, serial, blob, ver FROM {name} ORDER BY id"),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }

    fn count_ver(&self, name: &str, dv: u32) -> i64 {
        let want = i64::from(u32::from_be_bytes(key(dv).key_id().0));
        self.client()
            .query_one(
                &format!("SELECT count(*) FROM {name} WHERE ver = $1"),
                &[&want],
            )
            .unwrap()
            .get(0)
    }

    fn drop_table(&self, name: &str) {
        let _ = self
            .client()
            .batch_execute(&format!("DROP TABLE IF EXISTS {name}"));
    }
}

#[test]
fn pg_kill_loop_encrypt_and_rekey() {
    let _one = PG_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(pg) = pg() else { return };
    let n = rows_n();
    let db = pg.table("kw_fault_kill", n);
    let mut rng = Rng::new();
    let t = Instant::now();
    let e = kill_loop(&db, "encrypt", kills_n(), &mut rng, &|| {
        pg.count_ver("kw_fault_kill", 1)
    });
    let r = kill_loop(&db, "rekey", kills_n(), &mut rng, &|| {
        pg.count_ver("kw_fault_kill", 2)
    });
    eprintln!(
        "postgresql: {n} rows, {e} SIGKILLs during encrypt, {r} during rekey, {:.0} s",
        t.elapsed().as_secs_f64()
    );
    check_all(&pg.rows("kw_fault_kill"), n, 2, 0);
    ok(&db.run("verify", &[]), "verify");
    pg.drop_table("kw_fault_kill");
}

#[test]
fn pg_two_concurrent_rekeys() {
    let _one = PG_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(pg) = pg() else { return };
    let n = rows_n();
    let db = pg.table("kw_fault_concurrent", n);
    ok(&db.run("encrypt", &[]), "encrypt");
    let a = db
        .command("rekey")
        .args(["--workers", "2"])
        .spawn()
        .unwrap();
    let b = db
        .command("rekey")
        .args(["--workers", "2"])
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    ok(&a, "first rekey");
    ok(&b, "second rekey");
    let sealed = |o: &Output| -> u64 {
        let s = String::from_utf8_lossy(&o.stdout);
        let i = s.find(" re-sealed").unwrap();
        s[..i].rsplit(' ').next().unwrap().parse().unwrap()
    };
    let (sa, sb) = (sealed(&a), sealed(&b));
    eprintln!("two concurrent rekeys: {sa} + {sb} rows re-sealed of {n}");
    assert_eq!(
        sa + sb,
        n as u64,
        "every row re-sealed once, by one of them"
    );
    assert!(sa > 0 && sb > 0, "both processes worked: {sa} + {sb}");
    check_all(&pg.rows("kw_fault_concurrent"), n, 2, 0);
    pg.drop_table("kw_fault_concurrent");
}

#[test]
fn pg_restart_mid_run() {
    let _one = PG_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(pg) = pg() else { return };
    assert!(!pg.restart.is_empty(), "KEYWARD_TEST_PG_RESTART is not set");
    let n = rows_n();
    let name = "kw_fault_restart";
    let db = pg.table(name, n);
    let mut child = db.command("encrypt").spawn().unwrap();
    let t = Instant::now();
    while pg.count_ver(name, 1) < 1_000 {
        if t.elapsed() > Duration::from_secs(120) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "encrypt made no progress or ended early: {:?}\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("sh")
        .arg("-c")
        .arg(&pg.restart)
        .status()
        .unwrap();
    assert!(st.success(), "restart: {st:?}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run fails cleanly: {err}");
    assert!(
        err.contains(&pg.url) && err.starts_with("keyward: error: "),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let done = pg.count_ver(name, 1);
    assert!(done < n, "stopped mid-run ({done} of {n})");
    eprintln!(
        "postgresql restarted after {done} of {n} rows: {}",
        err.trim()
    );
    ok(&db.run("encrypt", &[]), "encrypt after the restart");
    ok(&db.run("rekey", &[]), "rekey");
    check_all(&pg.rows(name), n, 2, 0);
    pg.drop_table(name);
}
