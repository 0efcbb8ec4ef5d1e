//! `keyward ceremony backup --card` / `ceremony recover` / `card ...` with
//! backup-key cards on PKCS#11 tokens, end to end against SoftHSM2 (each
//! test its own token directory and `SOFTHSM2_CONF`) and OpenSC's
//! `pkcs11-tool`. Outside CI a missing SoftHSM2 skips with one line; in CI
//! it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../../keyward-pkcs11/tests/support/softhsm.rs"]
mod softhsm;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use softhsm::{SoftHsm, USER_PIN};

/// Test costs for the card files of mixed sets (marked test cards), and
/// the appliance default PIN for them (tokens keep their user PIN).
const ARGON2: [&str; 6] = [
    "--argon2-memory",
    "64",
    "--argon2-passes",
    "1",
    "--weak-argon2-for-tests",
    "--default-pin",
];

fn run(hsm: &SoftHsm, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env_remove("KEYWARD_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        out(&o),
        err(&o)
    );
    o
}

fn fails(o: &Output, needle: &str) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        out(o),
        err(o)
    );
    assert!(
        err(o).contains(needle),
        "expected {needle:?} in:\n{}",
        err(o)
    );
}

/// A token card URI: module-path and pin-source in the URI.
fn card(hsm: &SoftHsm, token: &str) -> String {
    hsm.uri(token, None)
}

/// A token card URI without pin-source (the PIN comes from the command).
fn bare(hsm: &SoftHsm, token: &str) -> String {
    format!("pkcs11:token={token}?module-path={}", hsm.module.display())
}

fn backup(hsm: &SoftHsm, cards: &[&str], extra: &[&str], stdin: &[u8]) -> Output {
    let mut args = vec!["ceremony", "backup", "--threshold", "2"];
    for c in cards {
        args.extend(["--card", c]);
    }
    args.extend(ARGON2);
    args.extend(extra);
    run(hsm, &args, stdin)
}

/// `ceremony recover CARDS` with PINs on stdin; returns (key hex, KCV line).
fn recover(hsm: &SoftHsm, cards: &[&str], stdin: &[u8]) -> (String, String) {
    let mut args = vec!["ceremony", "recover", "--weak-argon2-for-tests"];
    args.extend(cards);
    let o = ok(run(hsm, &args, stdin));
    let kcv = err(&o).lines().last().unwrap().to_owned();
    (out(&o).trim().to_owned(), kcv)
}

fn kcv_of(backup: &Output) -> String {
    out(backup).lines().next().unwrap().to_owned()
}

/// Data objects pkcs11-tool lists on `token`, with or without login.
fn data_objects(hsm: &SoftHsm, token: &str, login: bool) -> String {
    let mut args = vec!["--token-label", token, "--list-objects", "--type", "data"];
    if login {
        args.extend(["--login", "--pin", USER_PIN]);
    }
    let o = hsm.pkcs11_tool(&args).expect("pkcs11-tool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn three_tokens_recover_from_3_and_1_and_2_and_3_and_refuse_with_names() {
    let Some(hsm) = SoftHsm::new(
        "cli-tokens-three",
        &["card1", "card2", "card3", "fresh1", "fresh2"],
    ) else {
        return;
    };
    let (c1, c2, c3) = (
        card(&hsm, "card1"),
        card(&hsm, "card2"),
        card(&hsm, "card3"),
    );
    let made = ok(backup(&hsm, &[&c1, &c2, &c3], &[], b""));
    let kcv = kcv_of(&made);
    assert!(kcv.starts_with("KCV "), "{kcv}");
    assert!(
        out(&made).contains("token \"card2\" (serial "),
        "{}",
        out(&made)
    );
    assert!(out(&made).contains("\tbackup card 3 of 3"));
    assert!(err(&made).contains("all 3 sets of 2 cards rebuild the key"));

    let (k31, kcv31) = recover(&hsm, &[&c3, &c1], b"");
    let (k23, kcv23) = recover(&hsm, &[&c2, &c3], b"");
    assert_eq!(k31.len(), 64);
    assert_eq!(k31, k23);
    assert_eq!(kcv31, kcv);
    assert_eq!(kcv23, kcv);

    // The share object is private: only the header without login.
    let public = data_objects(&hsm, "card1", false);
    assert_eq!(public.matches("Data object").count(), 1, "{public}");
    assert!(!public.contains("private"), "{public}");
    let all = data_objects(&hsm, "card1", true);
    assert_eq!(all.matches("private").count(), 1, "{all}");

    // card info without a PIN.
    let o = ok(run(&hsm, &["card", "info", &c2], b""));
    assert!(out(&o).contains("card: 2 of 3 (2 needed)"), "{}", out(&o));
    assert!(
        out(&o).contains(&format!("KCV: {}", &kcv[4..])),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("token: token \"card2\""), "{}", out(&o));

    // The same token twice: in a backup before anything is written ...
    let f1 = card(&hsm, "fresh1");
    let o = backup(&hsm, &[&f1, &f1, &c3], &[], b"");
    fails(&o, "card 2 (token \"fresh1\"");
    fails(&o, "is the same card as card 1");
    fails(&run(&hsm, &["card", "info", &f1], b""), "holds no share");
    // ... and in a recovery.
    let o = run(&hsm, &["ceremony", "recover", &c1, &c1], b"");
    fails(&o, "card 2 is the same card as card 1");

    // A wrong PIN is named, with the token's flags.
    let o = run(
        &hsm,
        &["ceremony", "recover", &bare(&hsm, "card1"), &c2],
        b"000000\n",
    );
    fails(
        &o,
        "wrong PIN for card 1: few tries left before the card blocks",
    );
    assert!(!err(&o).contains("000000"), "{}", err(&o));

    // A second backup over the set is refused naming the token; the first
    // set is intact.
    let o = backup(&hsm, &[&c1, &c2, &c3], &[], b"");
    fails(&o, "card 1 (token \"card1\" (serial ");
    fails(&o, "already holds a share (backup card 1 of 3, set ");
    fails(&o, "give --replace");
    let (again, _) = recover(&hsm, &[&c1, &c2], b"");
    assert_eq!(again, k31);

    // PINs from stdin for URIs without pin-source, in --card order.
    let f2 = bare(&hsm, "fresh2");
    let o = ok(backup(
        &hsm,
        &[&f1, &f2],
        &[],
        format!("{USER_PIN}\n").as_bytes(),
    ));
    let (_, kcv_f) = recover(&hsm, &[&f2, &f1], format!("{USER_PIN}\n").as_bytes());
    assert_eq!(kcv_f, kcv_of(&o));
}

#[test]
fn mixed_set_copy_change_pin_replace_and_waiting() {
    let Some(hsm) = SoftHsm::new("cli-tokens-mixed", &["tok", "dr", "r1", "r2"]) else {
        return;
    };
    let dir = hsm.dir.join("files");
    std::fs::create_dir_all(&dir).unwrap();
    let f1 = dir.join("card-1.kwcard").display().to_string();
    let f2 = dir.join("card-2.kwcard").display().to_string();
    let tok = card(&hsm, "tok");
    // 2 files + 1 token.
    let made = ok(backup(&hsm, &[&f1, &tok, &f2], &[], b""));
    let kcv = kcv_of(&made);
    assert!(
        err(&made).contains("every card file has the default PIN 123456"),
        "{}",
        err(&made)
    );
    let (k_a, kcv_a) = recover(&hsm, &[&f2, &tok], b"123456\n");
    let (k_b, kcv_b) = recover(&hsm, &[&f1, &f2], b"123456\n123456\n");
    assert_eq!((&k_a, &kcv_a), (&k_b, &kcv_b));
    assert_eq!(kcv_a, kcv);

    // card copy token -> token (the disaster-recovery duplicate).
    let dr = card(&hsm, "dr");
    let o = ok(run(&hsm, &["card", "copy", &tok, &dr], b""));
    assert!(err(&o).contains("copied"), "{}", err(&o));
    let (k_dr, _) = recover(&hsm, &[&dr, &f1], b"123456\n");
    assert_eq!(k_dr, k_a);
    // Onto a token that holds a share: refused.
    fails(
        &run(&hsm, &["card", "copy", &tok, &dr], b""),
        "already holds a share",
    );

    // change-pin on a token (URI without pin-source: old then new on stdin).
    let bare_dr = bare(&hsm, "dr");
    let o = run(
        &hsm,
        &["card", "change-pin", &bare_dr],
        format!("{USER_PIN}\n123456\n").as_bytes(),
    );
    fails(&o, "new PIN refused");
    ok(run(
        &hsm,
        &["card", "change-pin", &bare_dr],
        format!("{USER_PIN}\n842613\n").as_bytes(),
    ));
    let o = run(
        &hsm,
        &["ceremony", "recover", &bare_dr, &f1],
        format!("{USER_PIN}\n").as_bytes(),
    );
    fails(&o, "wrong PIN for card 1");
    let (k_new, _) = recover(&hsm, &[&bare_dr, &f1], b"842613\n123456\n");
    assert_eq!(k_new, k_a);

    // --replace: a second set over r1, r2 replaces the first.
    let (r1, r2) = (card(&hsm, "r1"), card(&hsm, "r2"));
    let first = kcv_of(&ok(backup(&hsm, &[&r1, &r2], &[], b"")));
    fails(&backup(&hsm, &[&r1, &r2], &[], b""), "give --replace");
    let second = kcv_of(&ok(backup(&hsm, &[&r1, &r2], &["--replace"], b"")));
    assert_ne!(first, second);
    assert_eq!(recover(&hsm, &[&r2, &r1], b"").1, second);
    assert_eq!(
        data_objects(&hsm, "r1", true)
            .matches("Data object")
            .count(),
        2
    );

    // A token that is not there: waited for with a visible line, or not at all.
    let absent = card(&hsm, "card9");
    let o = run(
        &hsm,
        &["ceremony", "recover", "--wait", "1", &absent, &tok],
        b"",
    );
    fails(
        &o,
        "keyward: insert card 1 of 2 (pkcs11:token=card9): waiting up to 1 s",
    );
    fails(&o, "no token matches pkcs11:token=card9");
    let o = run(
        &hsm,
        &["ceremony", "recover", "--no-wait", &absent, &tok],
        b"",
    );
    fails(
        &o,
        "card 1: no token matches pkcs11:token=card9 (tokens present: ",
    );
    assert!(!err(&o).contains("waiting"), "{}", err(&o));
    // A pin-value is refused without quoting it.
    let o = run(
        &hsm,
        &["card", "info", "pkcs11:token=tok?pin-value=97531"],
        b"",
    );
    fails(&o, "pin-value");
    assert!(!err(&o).contains("97531"));
}

/// The `"bytes"` values of the share-record vectors, in order.
fn vector_records() -> Vec<Vec<u8>> {
    let text = include_str!("../../keyward-pkcs11/tests/data/share_record_vectors.json");
    text.split("\"bytes\": \"")
        .skip(1)
        .map(|rest| {
            let hex = &rest[..rest.find('"').unwrap()];
            (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn shares_written_by_pkcs11_tool_are_recovered_by_keyward() {
    let Some(hsm) = SoftHsm::new("cli-tokens-tool", &["tool1", "tool3"]) else {
        return;
    };
    // Cards 1 and 3 of the vector set (RFC 4493 AES-256 key, set 533E):
    // records 0/1 and 4/5 are share/header of cards 1 and 3.
    let records = vector_records();
    for (token, no, share, header) in [
        ("tool1", 1, &records[0], &records[1]),
        ("tool3", 3, &records[4], &records[5]),
    ] {
        let label = format!("keyward set 533E card {no} of 3");
        for (bytes, private) in [(share, true), (header, false)] {
            let path = hsm.dir.join(format!("{token}-{private}.bin"));
            softhsm::write_secret_bytes(&path, bytes);
            let mut args = vec![
                "--token-label",
                token,
                "--login",
                "--pin",
                USER_PIN,
                "--write-object",
                path.to_str().unwrap(),
                "--type",
                "data",
                "--label",
                &label,
                "--application-label",
                "keyward",
            ];
            if private {
                args.push("--private");
            }
            let o = hsm.pkcs11_tool(&args).expect("pkcs11-tool");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let (key, kcv) = recover(&hsm, &[&card(&hsm, "tool3"), &card(&hsm, "tool1")], b"");
    assert_eq!(
        key,
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
    );
    assert_eq!(kcv, "KCV 1A0B2D");
}

/// `ceremony reshare --card`: a 2-of-3 set on tokens becomes a 3-of-4 set on
/// two fresh tokens and two card files; any 3 new cards rebuild the same
/// key under a new set id, and an old token named as a new card, or a
/// fresh token that already holds a share, is refused before anything is
/// written.
#[test]
fn reshare_from_tokens_onto_tokens_and_files() {
    let Some(hsm) = SoftHsm::new(
        "cli-tokens-reshare",
        &["old1", "old2", "old3", "new1", "new2"],
    ) else {
        return;
    };
    let old: Vec<String> = ["old1", "old2", "old3"]
        .iter()
        .map(|t| card(&hsm, t))
        .collect();
    let made = ok(backup(&hsm, &[&old[0], &old[1], &old[2]], &[], b""));
    let kcv = kcv_of(&made);
    let set_of = |o: &Output| -> String {
        // "keyward: set XXXX reshared as set YYYY: ..."
        err(o)
            .lines()
            .find(|l| l.contains("reshared as set"))
            .unwrap()
            .to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let f1 = dir.path().join("new-3.kwcard");
    let f2 = dir.path().join("new-4.kwcard");
    let (f1s, f2s) = (f1.to_str().unwrap(), f2.to_str().unwrap());
    let (n1, n2) = (card(&hsm, "new1"), card(&hsm, "new2"));
    let reshare = |cards: &[&str], extra: &[&str]| {
        let mut args = vec!["ceremony", "reshare", &old[2], &old[0], "--threshold", "3"];
        for c in cards {
            args.extend(["--card", c]);
        }
        args.extend(ARGON2);
        args.extend(extra);
        run(&hsm, &args, b"")
    };

    // An old token as a new card: refused, naming it, nothing written.
    let refused = reshare(&[&n1, &n2, f1s, &old[0]], &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", err(&refused));
    assert!(err(&refused).contains("is both an old card and a new card"));
    let same_token_other_uri = format!(
        "pkcs11:token=old3?pin-source=file:{}&module-path={}",
        hsm.pin_file.display(),
        hsm.module.display()
    );
    let refused = reshare(&[&n1, &n2, f1s, &same_token_other_uri], &[]);
    fails(&refused, "is one of the old set's cards read");
    assert!(!f1.exists(), "a refused reshare wrote {}", f1.display());
    assert!(!data_objects(&hsm, "new1", true).contains("Data object"));

    let done = ok(reshare(&[&n1, &n2, f1s, f2s], &[]));
    assert_eq!(kcv_of(&done), kcv, "the reshared set has another key");
    let line = set_of(&done);
    let ids: Vec<&str> = line
        .split_whitespace()
        .filter(|w| w.len() >= 4 && w.chars().take(4).all(|c| c.is_ascii_hexdigit()))
        .collect();
    assert_eq!(ids.len(), 2, "{line}");
    assert_ne!(
        ids[0].trim_end_matches(':'),
        ids[1].trim_end_matches(':'),
        "{line}"
    );
    assert!(err(&done).contains("all 4 sets of 3 cards rebuild the key"));
    assert!(err(&done).contains("still rebuilds the same key"));
    assert!(
        out(&done).contains("\tbackup card 4 of 4"),
        "{}",
        out(&done)
    );

    // Any 3 of the new cards rebuild the old key; 2 are not enough.
    let (key_a, kcv_a) = recover(&hsm, &[&n1, &n2, f1s], b"123456\n");
    let (key_b, kcv_b) = recover(&hsm, &[f2s, &n2, f1s], b"123456\n123456\n");
    let (old_key, _) = recover(&hsm, &[&old[1], &old[2]], b"");
    assert_eq!(key_a, old_key);
    assert_eq!(key_b, old_key);
    assert_eq!(kcv_a, kcv);
    assert_eq!(kcv_b, kcv);
    let short = run(
        &hsm,
        &["ceremony", "recover", "--weak-argon2-for-tests", &n1, &n2],
        b"",
    );
    fails(&short, "");
    assert!(out(&short).is_empty(), "two of three cards printed a key");

    // The new tokens now hold a share: a second reshare onto them is refused
    // without --replace, and replaces with it.
    let g1 = dir.path().join("g1.kwcard");
    let again = reshare(&[&n1, &n2, g1.to_str().unwrap()], &[]);
    fails(&again, "already holds a share");
    assert!(!g1.exists());
}
