//! The migration on SQLite files: encrypt, rekey, verify, census, failures
//! left untouched, the version column as the only plaintext marker.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::sync::Mutex;

use keyward_blob::{BlobKind, DeriveVector, KeySetting, Keyring, RecordId};
use keyward_db::{
    Event, Field, Ident, Operation, Plan, SqliteConnector, TableMapping, Version, census, open_any,
    run, seal_primary,
};
use rusqlite::Connection;

fn key(dv: u32) -> keyward_blob::DatabaseKey {
    KeySetting::derive_vector(DeriveVector::new(dv).unwrap()).database_key()
}

fn plaintext(i: i64) -> Vec<u8> {
    format!("seed-{i:06}-").repeat(3).into_bytes()
}

fn mapping(version_col: &str) -> TableMapping {
    TableMapping {
        table: Ident::table("auth").unwrap(),
        id: Ident::column("id", "id").unwrap(),
        blob: Ident::column("blob", "blob").unwrap(),
        version: Ident::column(version_col, "version").unwrap(),
        serial: Field::Column(Ident::column("serial", "serial").unwrap()),
        application: Field::Constant(b"RESPONSE_ONLY".to_vec()),
        kind: BlobKind::Application,
        context: Some(Ident::column("ctx", "ctx").unwrap()),
    }
}

fn serial(i: i64) -> String {
    format!("VDS{i:07}")
}

fn rec(s: &str) -> RecordId<'_> {
    RecordId::application(s.as_bytes(), b"RESPONSE_ONLY").with_context(b"auth")
}

/// A table of `n` plaintext rows (ids 1..=n); `text` picks a text version column.
fn table(dir: &tempfile::TempDir, n: i64, text: bool) -> std::path::PathBuf {
    let path = dir.path().join("t.db");
    let c = Connection::open(&path).unwrap();
    let vt = if text { "TEXT" } else { "INTEGER" };
    c.execute_batch(&format!(
        "CREATE TABLE auth (id INTEGER PRIMARY KEY, serial TEXT NOT NULL, ctx TEXT NOT NULL, blob BLOB, ver {vt} NOT NULL)"
    ))
    .unwrap();
    let zero: rusqlite::types::Value = if text {
        "00000000".to_owned().into()
    } else {
        0i64.into()
    };
    let tx = c.unchecked_transaction().unwrap();
    for i in 1..=n {
        tx.execute(
            "INSERT INTO auth VALUES (?1, ?2, 'auth', ?3, ?4)",
            rusqlite::params![i, serial(i), plaintext(i), zero],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    path
}

type Rows = Vec<(i64, Vec<u8>, rusqlite::types::Value)>;

fn opt_blob(r: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<u8>> {
    Ok(r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default())
}

fn rows(path: &std::path::Path) -> Rows {
    let c = Connection::open(path).unwrap();
    let mut s = c
        .prepare("SELECT id, blob, ver FROM auth ORDER BY id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, opt_blob(r)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn version_of(v: &rusqlite::types::Value) -> Version {
    match v {
        rusqlite::types::Value::Integer(i) => Version::from_int(*i).unwrap(),
        rusqlite::types::Value::Text(t) => Version::from_text(t).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn go(
    path: &std::path::Path,
    m: &TableMapping,
    ring: &Keyring,
    op: Operation,
    batch: usize,
    workers: usize,
) -> (keyward_db::Summary, Vec<(i64, String)>) {
    let failed = Mutex::new(Vec::new());
    let plan = Plan {
        mapping: m,
        keyring: ring,
        operation: op,
        batch,
        workers,
    };
    let s = run(&SqliteConnector::new(path), &plan, &|e| {
        if let Event::Failed(f) = e {
            failed.lock().unwrap().push((f.id, f.reason.clone()));
        }
    })
    .unwrap();
    let mut f = failed.into_inner().unwrap();
    f.sort();
    (s, f)
}

/// Every row opens under `k` (checked with keyward-blob directly) to its
/// original plaintext, and its version column is `k`'s key id.
fn assert_all_under(path: &std::path::Path, k: &keyward_blob::DatabaseKey, n: i64) {
    let rows = rows(path);
    assert_eq!(rows.len() as i64, n, "row count unchanged");
    for (id, blob, ver) in rows {
        assert_eq!(version_of(&ver), Version::sealed(k.key_id()), "row {id}");
        let s = serial(id);
        assert_eq!(
            &k.open(&rec(&s), &blob).unwrap()[..],
            &plaintext(id)[..],
            "row {id}"
        );
    }
}

#[test]
fn encrypt_rekey_verify_with_integer_and_text_versions() {
    for text in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let n = 2_345;
        let path = table(&dir, n, text);
        let m = mapping("ver");
        let k1 = key(1);
        let k2 = key(2);
        let enc = Keyring::new(k1.clone());
        let (s, f) = go(&path, &m, &enc, Operation::Encrypt { nonce: false }, 100, 1);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!((s.read, s.written, s.batches), (n as u64, n as u64, 24));
        assert_all_under(&path, &k1, n);
        if text {
            let (_, _, v) = &rows(&path)[0];
            assert_eq!(
                *v,
                rusqlite::types::Value::Text(format!("{}", k1.key_id())),
                "text version: 8 hex digits"
            );
        } else {
            let (_, _, v) = &rows(&path)[0];
            assert_eq!(
                *v,
                rusqlite::types::Value::Integer(i64::from(u32::from_be_bytes(k1.key_id().0)))
            );
        }
        // A rerun has nothing to do: sealed rows are never sealed twice.
        let (s, _) = go(&path, &m, &enc, Operation::Encrypt { nonce: false }, 100, 1);
        assert_eq!((s.read, s.written), (0, 0));
        assert_all_under(&path, &k1, n);

        let mut ring = Keyring::new(k2.clone());
        ring.add(k1.clone()).unwrap();
        let (s, f) = go(&path, &m, &ring, Operation::Rekey, 333, 3);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(s.written, n as u64);
        assert_all_under(&path, &k2, n);
        let (s, _) = go(&path, &m, &ring, Operation::Rekey, 333, 3);
        assert_eq!(s.written, 0, "rekey rerun writes nothing");

        let before = rows(&path);
        let (s, f) = go(
            &path,
            &m,
            &Keyring::new(k2.clone()),
            Operation::Verify,
            500,
            2,
        );
        assert!(f.is_empty());
        assert_eq!((s.verified, s.written), (n as u64, 0));
        assert_eq!(rows(&path), before, "verify writes nothing");
    }
}

#[test]
fn randomized_encrypt_seals_with_a_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(&dir, 10, false);
    let k1 = key(1);
    go(
        &path,
        &mapping("ver"),
        &Keyring::new(k1.clone()),
        Operation::Encrypt { nonce: true },
        4,
        1,
    );
    for (id, blob, _) in rows(&path) {
        assert_eq!(blob[2], keyward_blob::FLAG_NONCE);
        assert_eq!(blob.len(), plaintext(id).len() + 8 + 16 + 16);
    }
    assert_all_under(&path, &k1, 10);
}

/// The version column, not the bytes, says what is plaintext: a plaintext
/// that is itself a valid BLOB under the primary key is sealed again.
#[test]
fn a_plaintext_that_looks_like_a_blob_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(&dir, 3, false);
    let k1 = key(1);
    let s = serial(2);
    let lookalike = k1.seal(&rec(&s), b"inner").unwrap();
    let c = Connection::open(&path).unwrap();
    c.execute("UPDATE auth SET blob = ?1 WHERE id = 2", [&lookalike])
        .unwrap();
    let (st, f) = go(
        &path,
        &mapping("ver"),
        &Keyring::new(k1.clone()),
        Operation::Encrypt { nonce: false },
        10,
        1,
    );
    assert!(f.is_empty());
    assert_eq!(st.written, 3);
    let blob = &rows(&path)[1].1;
    assert_eq!(&k1.open(&rec(&s), blob).unwrap()[..], &lookalike[..]);
}

#[test]
fn failing_rows_are_left_untouched_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let n = 50;
    let path = table(&dir, n, false);
    let m = mapping("ver");
    let k1 = key(1);
    let k2 = key(2);
    go(
        &path,
        &m,
        &Keyring::new(k1.clone()),
        Operation::Encrypt { nonce: false },
        7,
        1,
    );
    let c = Connection::open(&path).unwrap();
    // Row 10: a flipped ciphertext byte. Row 20: the version column names
    // another key than the header. Row 30: a NULL BLOB. Row 40: a truncated BLOB.
    let b10: Vec<u8> = c
        .query_row("SELECT blob FROM auth WHERE id = 10", [], |r| r.get(0))
        .unwrap();
    let mut t = b10.clone();
    *t.last_mut().unwrap() ^= 1;
    c.execute("UPDATE auth SET blob = ?1 WHERE id = 10", [&t])
        .unwrap();
    let k3 = i64::from(u32::from_be_bytes(key(3).key_id().0));
    c.execute("UPDATE auth SET ver = ?1 WHERE id = 20", [k3])
        .unwrap();
    c.execute("UPDATE auth SET blob = NULL WHERE id = 30", [])
        .unwrap();
    c.execute(
        "UPDATE auth SET blob = substr(blob, 1, 12) WHERE id = 40",
        [],
    )
    .unwrap();
    let before = rows(&path);

    let mut ring = Keyring::new(k2.clone());
    ring.add(k1.clone()).unwrap();
    ring.add(key(3)).unwrap();
    let (s, f) = go(&path, &m, &ring, Operation::Rekey, 7, 2);
    let ids: Vec<i64> = f.iter().map(|x| x.0).collect();
    assert_eq!(ids, [10, 20, 30, 40], "{f:?}");
    assert!(f[0].1.contains("authentication"), "{}", f[0].1);
    assert!(f[1].1.contains("version column says"), "{}", f[1].1);
    assert!(f[2].1.contains("NULL"), "{}", f[2].1);
    assert!(
        f[3].1.contains("truncated") || f[3].1.contains("needs"),
        "{}",
        f[3].1
    );
    assert_eq!(s.written, n as u64 - 4);
    let after = rows(&path);
    for (b, a) in before.iter().zip(&after) {
        if ids.contains(&b.0) {
            assert_eq!(b, a, "failed row {} untouched", b.0);
        } else {
            assert_eq!(version_of(&a.2), Version::sealed(k2.key_id()));
        }
    }
    // verify names the same rows.
    let (_, f) = go(&path, &m, &ring, Operation::Verify, 7, 1);
    assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), [10, 20, 30, 40]);
}

#[test]
fn census_counts_per_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(&dir, 30, false);
    let c = Connection::open(&path).unwrap();
    let id = |dv| i64::from(u32::from_be_bytes(key(dv).key_id().0));
    c.execute("UPDATE auth SET ver = ?1 WHERE id <= 10", [id(1)])
        .unwrap();
    c.execute(
        "UPDATE auth SET ver = ?1 WHERE id > 10 AND id <= 15",
        [id(2)],
    )
    .unwrap();
    c.execute(
        "UPDATE auth SET ver = ?1 WHERE id > 15 AND id <= 17",
        [id(9)],
    )
    .unwrap();
    c.execute("UPDATE auth SET ver = -5 WHERE id = 18", [])
        .unwrap();
    let mut ring = Keyring::new(key(2));
    ring.add(key(1)).unwrap();
    let cs = census(&SqliteConnector::new(&path), &mapping("ver"), &ring).unwrap();
    assert_eq!(cs.total, 30);
    assert_eq!(cs.plaintext, 12);
    assert_eq!(
        cs.held,
        [
            (Version::sealed(key(2).key_id()), 5),
            (Version::sealed(key(1).key_id()), 10)
        ]
    );
    assert_eq!(cs.unknown, [(Version::sealed(key(9).key_id()), 2)]);
    assert_eq!(cs.invalid.len(), 1);
    assert!(cs.invalid[0].0.contains("-5"));
}

#[test]
fn mapping_errors_name_the_table_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(&dir, 1, false);
    let ring = Keyring::new(key(1));
    let conn = SqliteConnector::new(&path);
    let e = census(&conn, &mapping("nope"), &ring)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no column nope") && e.contains("auth"), "{e}");
    let mut m = mapping("ver");
    m.table = Ident::table("other").unwrap();
    let e = census(&conn, &m, &ring).unwrap_err().to_string();
    assert!(e.contains("no table other"), "{e}");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("ALTER TABLE auth ADD COLUMN fver REAL")
        .unwrap();
    let e = census(&conn, &mapping("fver"), &ring)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected an INTEGER or TEXT column"), "{e}");
    let missing = SqliteConnector::new(&dir.path().join("missing.db"));
    let e = census(&missing, &mapping("ver"), &ring)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.db") && e.contains("no such database file"),
        "{e}"
    );
}

#[test]
fn encrypt_on_write_helpers() {
    let k1 = key(1);
    let k2 = key(2);
    let mut ring = Keyring::new(k2.clone());
    ring.add(k1.clone()).unwrap();
    let r = rec("VDS0000001");
    // Plaintext rows come back as they are, whatever they look like.
    let look = k1.seal(&r, b"x").unwrap();
    assert_eq!(
        &open_any(&ring, &r, Version::Plaintext, &look).unwrap()[..],
        &look[..]
    );
    let old = k1.seal(&r, b"seed").unwrap();
    let v1 = Version::sealed(k1.key_id());
    assert_eq!(&open_any(&ring, &r, v1, &old).unwrap()[..], b"seed");
    // A version column that disagrees with the header is refused.
    assert!(open_any(&ring, &r, Version::sealed(k2.key_id()), &old).is_err());
    let (blob, v) = seal_primary(&ring, &r, b"seed").unwrap();
    assert_eq!(v, Version::sealed(k2.key_id()));
    assert_eq!(&k2.open(&r, &blob).unwrap()[..], b"seed");
}
