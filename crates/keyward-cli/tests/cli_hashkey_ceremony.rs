//! `keyward hashkey migrate` end to end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64ct::Encoding;
use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};
use keyward_core::HashKey;
use keyward_pinhash::Params;

/// A key from `keyward hashkey generate` (strong).
const SITE: &str = "ReFN6vdNM2p,f%kIO`xEjO'GUg!Q:%ae";
/// A typed key below the strength floor.
const WEAK: &str = "Site-HashKey/for:demo#2026-11-22";

/// SITE under derivation 2, as the CLI reads it by default.
fn site() -> SiteHashKey {
    SiteHashKey::enable(&keyward_pinhash::stretch_hash_key(&HashKey::new(SITE).unwrap()).unwrap())
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-cli-hkmig-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes the new HashKey, 4 templates under the default HashKey (template
/// 2 damaged when asked) and 3 PIN hashes (alice and carol under the
/// default, bob under the site HashKey).
fn setup(d: &Path, damage: bool) -> (PathBuf, PathBuf, PathBuf) {
    // The built-in default as every installation had it before derivation 2.
    let old = SiteHashKey::builtin_default();
    let new = site();
    std::fs::write(d.join("new.key"), format!("{SITE}\n")).unwrap();
    let mut table = String::from("# user\tslot\tblob\n");
    for (n, (user, slot)) in [
        ("alice", "finger-1"),
        ("alice", ""),
        ("bob", "face"),
        ("carol", "finger-2"),
    ]
    .iter()
    .enumerate()
    {
        let id = TemplateId::new(user.as_bytes(), slot.as_bytes());
        let mut blob = old
            .seal_template(&id, format!("template {n}").as_bytes())
            .unwrap();
        if damage && n == 2 {
            *blob.last_mut().unwrap() ^= 1;
        }
        table.push_str(&format!(
            "{user}\t{slot}\t{}\n",
            base64ct::Base64::encode_string(&blob)
        ));
    }
    let templates = d.join("templates.tsv");
    std::fs::write(&templates, table).unwrap();
    let small = Params::new(64, 1, 1).unwrap();
    let h = |k: &SiteHashKey| {
        k.pin_hasher()
            .with_params(small)
            .hash_with_salt(b"alice", b"483920", &[9; 16])
            .unwrap()
    };
    let hashes = d.join("hashes.txt");
    std::fs::write(
        &hashes,
        format!("alice {}\nbob {}\n\ncarol {}\n", h(&old), h(&new), h(&old)),
    )
    .unwrap();
    (d.join("new.key"), templates, hashes)
}

fn migrate_args<'a>(key: &'a Path, t: &'a Path, h: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "hashkey",
        "migrate",
        "--old-derivation",
        "1",
        "--new-hashkey-file",
        key.to_str().unwrap(),
        "--templates",
        t.to_str().unwrap(),
        "--hashes",
        h.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]
}

#[test]
fn migrate_refuses_while_old_hashes_exist_and_writes_nothing() {
    let d = dir("refuse");
    let (key, t, h) = setup(&d, false);
    let out = d.join("out.tsv");
    let o = run(&migrate_args(&key, &t, &h, &out));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    let expected = format!(
        "keyward: error: refusing to switch HashKey 7ecc060f (derivation 1) to {} (derivation 2): \
         2 PIN/password hashes were made under the old HashKey 7ecc060f; hashes are irreversible",
        site().key_id()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert!(o.stdout.is_empty());
    assert!(!out.exists());
}

#[test]
fn migrate_accepted_reseals_every_template_in_order_and_lists_reenrolment() {
    let d = dir("accept");
    let (key, t, h) = setup(&d, false);
    let out = d.join("out.tsv");
    let mut args = migrate_args(&key, &t, &h, &out);
    args.push("--accept-reenrolment");
    let o = run(&args);
    let stdout = text(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", text(&o.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "old HashKey 7ecc060f (derivation 1) (built-in default), new HashKey {} (derivation 2)",
            site().key_id()
        )
    );
    assert!(
        lines[1].starts_with("templates: 4 records: 4 resealed, 0 already current, 0 failed"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("hashes: 3 PIN/password hashes: 2 under the old HashKey"),
        "{stdout}"
    );
    assert_eq!(&lines[3..], ["re-enrol: alice", "re-enrol: carol"]);
    assert_eq!(text(&o.stderr).matches("re-sealed").count(), 4);

    let new = site();
    let written = std::fs::read_to_string(&out).unwrap();
    // Written whole through a private temporary file: mode 0600, no
    // temporary file left beside it.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let dir = out.parent().unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".keyward-migrate-")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    let rows: Vec<Vec<&str>> = written.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 4);
    for (n, (row, (user, slot))) in rows
        .iter()
        .zip([
            ("alice", "finger-1"),
            ("alice", ""),
            ("bob", "face"),
            ("carol", "finger-2"),
        ])
        .enumerate()
    {
        assert_eq!((row[0], row[1]), (user, slot));
        let blob = base64ct::Base64::decode_vec(row[2]).unwrap();
        let id = TemplateId::new(user.as_bytes(), slot.as_bytes());
        assert_eq!(
            &new.open_template(&id, &blob).unwrap()[..],
            format!("template {n}").as_bytes()
        );
    }

    // Run again on the output: still refused without acceptance (the old
    // hashes are still there); accepted, every template is already current.
    let out2 = d.join("out2.tsv");
    let o = run(&migrate_args(&key, &out, &h, &out2));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("error: refusing to switch HashKey"),
        "{}",
        text(&o.stderr)
    );
    let mut again = migrate_args(&key, &out, &h, &out2);
    again.push("--accept-reenrolment");
    let o = run(&again);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("templates: 4 records: 0 resealed, 4 already current, 0 failed")
    );
    assert_eq!(std::fs::read_to_string(&out2).unwrap(), written);
    // An existing OUT is never overwritten.
    let o = run(&again);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("exists: refusing to overwrite it"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn migrate_reports_a_damaged_template_and_keeps_it_unchanged() {
    let d = dir("damaged");
    let (key, t, h) = setup(&d, true);
    let out = d.join("out.tsv");
    let mut args = migrate_args(&key, &t, &h, &out);
    args.push("--accept-reenrolment");
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "keyward: template 3 of 4: left unchanged: template: BLOB authentication failed"
        ),
        "{err}"
    );
    assert!(
        err.contains("keyward: template bob / face left unchanged"),
        "{err}"
    );
    assert!(
        err.contains(
            "keyward: error: 1 of 4 templates could not be re-sealed; they are unchanged in"
        ),
        "{err}"
    );
    let input: Vec<String> = std::fs::read_to_string(&t)
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    let written: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(written.len(), 4);
    assert_eq!(
        written[2], input[2],
        "the damaged template is written back unchanged"
    );
    for n in [0, 1, 3] {
        assert_ne!(written[n], input[n]);
    }
}

#[test]
fn migrate_names_a_bad_input_line() {
    let d = dir("badline");
    let (key, t, h) = setup(&d, false);
    std::fs::write(&t, "alice\tfinger-1\n").unwrap();
    let o = run(&migrate_args(&key, &t, &h, &d.join("out.tsv")));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("line 1: expected USER<TAB>SLOT<TAB>BLOB"),
        "{err}"
    );
}

#[test]
fn migrate_refuses_a_weak_new_hashkey_unless_accepted() {
    let d = dir("weak");
    let (_, t, h) = setup(&d, false);
    let weak = d.join("weak.key");
    std::fs::write(&weak, format!("{WEAK}\n")).unwrap();
    let out = d.join("out.tsv");
    let mut args = migrate_args(&weak, &t, &h, &out);
    args.push("--accept-reenrolment");
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with(&format!(
            "keyward: error: the HashKey in {} is weak",
            weak.display()
        )) && !err.contains(WEAK),
        "{err}"
    );
    assert!(!out.exists());
    args.push("--accept-weak-hashkey");
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).starts_with(&format!(
            "keyward: warning: the HashKey in {} is weak",
            weak.display()
        )),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn migrate_moves_one_hashkey_from_derivation_1_to_2_and_names_both() {
    let d = dir("v1v2");
    let key = d.join("site.key");
    std::fs::write(&key, format!("{SITE}\n")).unwrap();
    // Records made under derivation 1 of the site key.
    let v1 = SiteHashKey::enable(&HashKey::new(SITE).unwrap());
    let v2 = site();
    assert_ne!(v1.key_id(), v2.key_id());
    let id = TemplateId::new(b"alice", b"finger-1");
    let blob = v1.seal_template(&id, b"minutiae").unwrap();
    let t = d.join("templates.tsv");
    std::fs::write(
        &t,
        format!(
            "alice\tfinger-1\t{}\n",
            base64ct::Base64::encode_string(&blob)
        ),
    )
    .unwrap();
    let phc = v1
        .pin_hasher()
        .with_params(Params::new(64, 1, 1).unwrap())
        .hash_with_salt(b"alice", b"483920", &[9; 16])
        .unwrap();
    let h = d.join("hashes.txt");
    std::fs::write(&h, format!("alice {phc}\n")).unwrap();
    let out = d.join("out.tsv");
    let k = key.to_str().unwrap();
    let args = [
        "hashkey",
        "migrate",
        "--old-hashkey-file",
        k,
        "--old-derivation",
        "1",
        "--new-hashkey-file",
        k,
        "--templates",
        t.to_str().unwrap(),
        "--hashes",
        h.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--accept-reenrolment",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!(
            "old HashKey {} (derivation 1), new HashKey {} (derivation 2)",
            v1.key_id(),
            v2.key_id()
        )
    );
    assert!(stdout.contains("re-enrol: alice"), "{stdout}");
    let written = std::fs::read_to_string(&out).unwrap();
    let row: Vec<&str> = written.trim_end().split('\t').collect();
    let resealed = base64ct::Base64::decode_vec(row[2]).unwrap();
    assert_eq!(&v2.open_template(&id, &resealed).unwrap()[..], b"minutiae");
    // Without --old-derivation the old key is read under derivation 2 too:
    // the same key, refused.
    let out2 = d.join("out2.tsv");
    let same: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--old-derivation" && *a != "1")
        .map(|a| {
            if a == out.to_str().unwrap() {
                out2.to_str().unwrap()
            } else {
                a
            }
        })
        .collect();
    let o = run(&same);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("same key"), "{}", text(&o.stderr));
}

#[test]
fn census_names_the_hashkey_and_derivation_of_every_record() {
    let d = dir("census");
    let (key, t, h) = setup(&d, false);
    // One more hash under a key the census is not given, one malformed.
    let stranger = SiteHashKey::enable(&HashKey::new("Jty0TI/ZU$/gH-=560wB*g?+8fKnEG=/").unwrap());
    let extra = stranger
        .pin_hasher()
        .with_params(Params::new(64, 1, 1).unwrap())
        .hash_with_salt(b"dave", b"483920", &[9; 16])
        .unwrap();
    let mut text_h = std::fs::read_to_string(&h).unwrap();
    text_h.push_str(&format!("dave {extra}\neve $argon2id$v=19$broken\n"));
    std::fs::write(&h, text_h).unwrap();
    let k = key.to_str().unwrap();
    let o = run(&[
        "hashkey",
        "census",
        "--hashkey-file",
        k,
        "--hashes",
        h.to_str().unwrap(),
        "--templates",
        t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v1 = SiteHashKey::enable(&HashKey::new(SITE).unwrap());
    let v2 = site();
    let stdout = text(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = [
        "HashKey 7ecc060f (derivation 1), built-in default: 2 hashes, 4 templates".to_string(),
        "HashKey 3fc758ad (derivation 2), built-in default: 0 hashes, 0 templates".to_string(),
        format!(
            "HashKey {} (derivation 1), {k}: 0 hashes, 0 templates",
            v1.key_id()
        ),
        format!(
            "HashKey {} (derivation 2), {k}: 1 hashes, 0 templates",
            v2.key_id()
        ),
        "other key ids: 1 hashes, 0 templates".to_string(),
        "malformed: 1 hashes, 0 templates".to_string(),
        "hash alice: HashKey 7ecc060f (derivation 1), built-in default".to_string(),
        format!("hash bob: HashKey {} (derivation 2), {k}", v2.key_id()),
        "hash carol: HashKey 7ecc060f (derivation 1), built-in default".to_string(),
        format!(
            "hash dave: key id {}, none of the HashKeys given",
            stranger.key_id()
        ),
    ];
    assert_eq!(&lines[..expected.len()], expected, "{stdout}");
    assert!(lines[10].starts_with("hash eve: malformed: "), "{stdout}");
    assert_eq!(
        lines[11],
        "template alice / finger-1: HashKey 7ecc060f (derivation 1), built-in default"
    );
    assert_eq!(lines.len(), 15, "{stdout}");
    // A weak HashKey file is refused here too.
    let weak = d.join("weak.key");
    std::fs::write(&weak, format!("{WEAK}\n")).unwrap();
    let o = run(&[
        "hashkey",
        "census",
        "--hashkey-file",
        weak.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("is weak"), "{}", text(&o.stderr));
}

#[test]
fn migrate_under_the_wrong_old_derivation_names_the_right_one() {
    let d = dir("hint");
    let (key, t, h) = setup(&d, false);
    let out = d.join("out.tsv");
    // The records are under the default's derivation 1; --old-derivation is
    // left out, so the old key is read under derivation 2.
    let args: Vec<&str> = migrate_args(&key, &t, &h, &out)
        .into_iter()
        .filter(|a| *a != "--old-derivation" && *a != "1")
        .chain(["--accept-reenrolment"])
        .collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "keyward: hint: 2 hashes and 4 templates were made under the old HashKey's \
             derivation 1 (7ecc060f): run again with --old-derivation 1"
        ),
        "{err}"
    );
    assert!(
        text(&o.stdout).starts_with("old HashKey 3fc758ad (derivation 2) (built-in default)"),
        "{}",
        text(&o.stdout)
    );
    // Nothing lost: every template is written back unchanged.
    let input: Vec<String> = std::fs::read_to_string(&t)
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    let written: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(written, input);
}
