//! `keyward db hashkey-migrate` on SQLite and on the PostgreSQL cluster of
//! `.ci/postgres.sh` (with `CI` set, the PostgreSQL test fails when the
//! cluster is missing): it refuses while hashes under the old HashKey exist
//! and touches nothing; with `--accept-reenrolment` it re-seals every
//! template under the new HashKey's template key (checked by opening each
//! with the facade), lists exactly the users to re-enrol, and a rerun
//! re-seals nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Command, Output};

use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};
use keyward_core::HashKey;
use keyward_pinhash::Params;

const BIN: &str = env!("CARGO_BIN_EXE_keyward");
const SITE: &str = "ReFN6vdNM2p,f%kIO`xEjO'GUg!Q:%ae";
const N: usize = 2_500;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn template(i: usize) -> Vec<u8> {
    format!("minutiae of user{i:05}").into_bytes()
}

fn ver(id: keyward_core::KeyId) -> i64 {
    i64::from(u32::from_be_bytes(id.0))
}

/// The setup SQL: hashes (alice, carol under the old HashKey, bob under the
/// new one) and N templates under the old HashKey; `bytea` picks the
/// literal syntax.
fn setup_sql(old: &SiteHashKey, new: &SiteHashKey, pg: bool) -> String {
    let lit = |b: &[u8]| {
        if pg {
            format!("'\\x{}'::bytea", hex(b))
        } else {
            format!("X'{}'", hex(b))
        }
    };
    let blob = if pg { "bytea" } else { "BLOB" };
    let small = Params::new(64, 1, 1).unwrap();
    let h = |k: &SiteHashKey, pin: &[u8]| {
        k.pin_hasher()
            .with_params(small)
            .hash_with_salt(b"u", pin, &[7; 16])
            .unwrap()
            .as_str()
            .to_string()
    };
    let mut sql = format!(
        "DROP TABLE IF EXISTS hk_hashes; DROP TABLE IF EXISTS hk_templates;
         CREATE TABLE hk_hashes (id bigint PRIMARY KEY, username text NOT NULL, phc text);
         CREATE TABLE hk_templates (id bigint PRIMARY KEY, username text NOT NULL, slot text NOT NULL, tpl {blob}, ver bigint NOT NULL);
         INSERT INTO hk_hashes VALUES (1, 'alice', '{}'), (2, 'bob', '{}'), (3, 'carol', '{}');\n",
        h(old, b"483920"),
        h(new, b"918273"),
        h(old, b"564738"),
    );
    for i in 0..N {
        let id = TemplateId::new(format!("user{i:05}").as_bytes(), b"finger-1");
        let b = old.seal_template(&id, &template(i)).unwrap();
        sql.push_str(&format!(
            "INSERT INTO hk_templates VALUES ({}, 'user{i:05}', 'finger-1', {}, {});\n",
            i + 1,
            lit(&b),
            ver(old.template_key_id())
        ));
    }
    sql
}

fn run(db: &str, pw: Option<&Path>, newfile: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(["db", "hashkey-migrate", "--db", db]);
    if let Some(p) = pw {
        c.arg("--password-file").arg(p);
    }
    c.args([
        "--hash-table",
        "hk_hashes",
        "--hash-id-column",
        "id",
        "--hash-user-column",
        "username",
        "--hash-phc-column",
        "phc",
        "--table",
        "hk_templates",
        "--id-column",
        "id",
        "--blob-column",
        "tpl",
        "--version-column",
        "ver",
        "--user-column",
        "username",
        "--slot-column",
        "slot",
        "--batch",
        "300",
    ]);
    c.arg("--new-hashkey-file").arg(newfile).args(extra);
    c.output().unwrap()
}

/// Runs the whole scenario; `rows` reads (user, slot, blob, ver) in id order.
fn scenario(
    db: &str,
    pw: Option<&Path>,
    rows: &dyn Fn() -> Vec<(String, String, Vec<u8>, i64)>,
    exec: &dyn Fn(&str),
) {
    // The CLI's default derivation is 2 (Argon2id first).
    let old = SiteHashKey::enable(
        &keyward_pinhash::stretch_hash_key(&HashKey::builtin_default()).unwrap(),
    );
    let new = SiteHashKey::enable(
        &keyward_pinhash::stretch_hash_key(&HashKey::new(SITE).unwrap()).unwrap(),
    );
    exec(&setup_sql(&old, &new, !db.starts_with("sqlite:")));
    let dir = tempfile::tempdir().unwrap();
    let newfile = dir.path().join("new.hashkey");
    std::fs::write(&newfile, format!("{SITE}\n")).unwrap();
    let before = rows();

    // Refused: two hashes under the old HashKey; nothing touched.
    let o = run(db, pw, &newfile, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("2 PIN/password hashes were made under the old HashKey"),
        "{err}"
    );
    assert!(
        !err.contains(SITE),
        "the HashKey must never be printed: {err}"
    );
    assert_eq!(rows(), before, "a refused migration writes nothing");

    // Accepted: every template re-sealed, the re-enrol list exact.
    let o = run(db, pw, &newfile, &["--accept-reenrolment"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let reenrol: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("re-enrol: "))
        .collect();
    assert_eq!(reenrol, ["alice", "carol"], "{out}");
    assert!(
        out.contains(&format!(
            "{N} re-sealed under key id {}",
            new.template_key_id()
        )),
        "{out}"
    );
    let after = rows();
    assert_eq!(after.len(), N);
    for (i, (user, slot, blob, v)) in after.iter().enumerate() {
        assert_eq!(*v, ver(new.template_key_id()), "row {i}");
        let id = TemplateId::new(user.as_bytes(), slot.as_bytes());
        assert_eq!(&new.open_template(&id, blob).unwrap()[..], &template(i)[..]);
        assert!(old.open_template(&id, blob).is_err());
    }

    // Rerun (as after a kill): nothing left to re-seal, the table unchanged.
    let o = run(db, pw, &newfile, &["--accept-reenrolment"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(" 0 re-sealed"), "{out}");
    assert_eq!(rows(), after);
}

#[test]
fn sqlite_hashkey_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let db = format!("sqlite:{}", path.display());
    let rows = || {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut s = c
            .prepare("SELECT username, slot, tpl, ver FROM hk_templates ORDER BY id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    scenario(&db, None, &rows, &|sql| conn.execute_batch(sql).unwrap());
}

#[test]
fn pg_hashkey_migrate() {
    let (Ok(url), Ok(pw)) = (
        std::env::var("KEYWARD_TEST_PG_URL"),
        std::env::var("KEYWARD_TEST_PG_PASSWORD_FILE"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but KEYWARD_TEST_PG_URL / KEYWARD_TEST_PG_PASSWORD_FILE are not: .ci/postgres.sh must start the cluster"
        );
        eprintln!("skipped: no PostgreSQL (source .ci/postgres.sh and run pg_start)");
        return;
    };
    let client = || {
        let keyward_db::DbUrl::Postgres(t) = keyward_db::DbUrl::parse(&url).unwrap() else {
            panic!("{url}")
        };
        let p = keyward_db::read_pgpass(&t, Some(Path::new(&pw))).unwrap();
        keyward_db::PgConnector::new(t, p).client().unwrap()
    };
    let rows = || {
        client()
            .query(
                "SELECT username, slot, tpl, ver FROM hk_templates ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    scenario(&url, Some(Path::new(&pw)), &rows, &|sql| {
        client().batch_execute(sql).unwrap()
    });
    client()
        .batch_execute("DROP TABLE hk_hashes; DROP TABLE hk_templates;")
        .unwrap();
}
