//! Error messages that say what was expected and where, and never show a
//! character of secret input (`docs/design.md`, the CLI contract).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64ct::Encoding;
use common::{keyward, stderr};
use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};

/// A HashKey for these tests (random-looking, 32 printable characters).
const HASH_KEY: &str = "q7Vf!Lz2#Rk9@Wm4$Tp8^Xc3&Hn6*Jd0";

/// A HashKey piped into `kcv` by mistake: the error gives the position and
/// class of the first non-hex character, and not one character of the key.
#[test]
fn the_hex_parser_shows_no_character_of_the_input() {
    for secret in [HASH_KEY, "Site-HashKey/for:demo#2026-11-22"] {
        let o = keyward(&["kcv"], &format!("{secret}\n"));
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty());
        let err = stderr(&o);
        assert!(
            err.starts_with(
                "keyward: error: character 1 is not a hex digit: a letter other than A-F"
            ),
            "{err}"
        );
        for c in secret.chars().filter(|c| !c.is_ascii_hexdigit()) {
            assert!(!err.contains(&format!("'{c}'")), "{c:?} shown: {err}");
        }
    }
    // A non-ASCII character: its class, not the character.
    let o = keyward(&["kcv"], "00112233445566778899aabbccddeeé\n");
    let err = stderr(&o);
    assert!(
        err.contains("character 31 is not a hex digit: a non-ASCII character"),
        "{err}"
    );
    assert!(!err.contains('é'), "{err}");
}

/// `hashkey check` and `pin hash --password` refuse a second line instead of
/// ignoring it (it may be the secret meant), as `kcv` does.
#[test]
fn one_line_secrets_refuse_a_second_line() {
    let o = keyward(
        &["hashkey", "check"],
        &format!("{HASH_KEY}\nsomething else\n"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "keyward: error: expected the HashKey on one line of stdin, found several lines\n"
    );
    // One line, with or without a final newline and trailing blank lines.
    for input in [
        format!("{HASH_KEY}\n"),
        HASH_KEY.to_owned(),
        format!("{HASH_KEY}\n\n"),
    ] {
        let o = keyward(&["hashkey", "check"], &input);
        assert_eq!(o.status.code(), Some(0), "{input:?}: {}", stderr(&o));
    }

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("hashkey");
    std::fs::write(&key, format!("{HASH_KEY}\n")).unwrap();
    let args = [
        "pin",
        "hash",
        "--password",
        "--user",
        "alice",
        "--hash-key-file",
        key.to_str().unwrap(),
    ];
    let o = keyward(&args, "correct horse battery\nstaple\n");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "keyward: error: expected the password on one line of stdin, found several lines\n"
    );
    let o = keyward(&args, "correct horse battery\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A non-ASCII `--label` names the character's position (the old message
/// counted bytes and said they were within the limit).
#[test]
fn a_non_ascii_label_names_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cards");
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            out.to_str().unwrap(),
            "--label",
            "bäckup",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("character 2 is a non-ASCII character: card labels are printable ASCII"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

/// `--argon2-memory`/`--argon2-passes` out of range: the allowed range of the
/// option at fault, given the other one (memory × passes has a budget).
#[test]
fn argon2_options_out_of_range_give_the_allowed_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cards");
    let run = |m: &str, t: &str| {
        let o = keyward(
            &[
                "ceremony",
                "backup",
                "--threshold",
                "2",
                "--shares",
                "3",
                "--out",
                out.to_str().unwrap(),
                "--argon2-memory",
                m,
                "--argon2-passes",
                t,
            ],
            "",
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        stderr(&o)
    };
    assert_eq!(
        run("4", "1"),
        "keyward: error: --argon2-memory out of range: expected 8..=1048576 KiB with --argon2-passes 1, found 4\n"
    );
    assert_eq!(
        run("8", "0"),
        "keyward: error: --argon2-passes out of range: expected 1..=131072 with --argon2-memory 8, found 0\n"
    );
    let err = run("8192", "1000");
    assert!(
        err.contains("is over the budget of 1048576 KiB·passes")
            && err.contains("with --argon2-passes 1000, --argon2-memory may be 8..=1048 KiB")
            && err.contains("with --argon2-memory 8192, --argon2-passes may be 1..=128"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

/// `hashkey migrate` names the user whose PHC string is malformed (it was
/// counted as "1 malformed" only).
#[test]
fn migrate_names_the_user_of_a_malformed_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let new_key = d.join("new.key");
    std::fs::write(&new_key, format!("{HASH_KEY}\n")).unwrap();
    let old = SiteHashKey::builtin_default();
    let id = TemplateId::new(b"alice", b"finger-1");
    let blob = old.seal_template(&id, b"template").unwrap();
    let templates = d.join("templates.tsv");
    std::fs::write(
        &templates,
        format!(
            "alice\tfinger-1\t{}\n",
            base64ct::Base64::encode_string(&blob)
        ),
    )
    .unwrap();
    let hashes = d.join("hashes.txt");
    std::fs::write(&hashes, "dave $argon2id$v=19$m=oops\n").unwrap();
    let out = d.join("out.tsv");
    let o = keyward(
        &[
            "hashkey",
            "migrate",
            "--new-hashkey-file",
            new_key.to_str().unwrap(),
            "--templates",
            templates.to_str().unwrap(),
            "--hashes",
            hashes.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    let err = stderr(&o);
    assert!(
        err.contains("keyward: the hash of user dave is not a keyward PHC string: "),
        "{err}"
    );
}

/// Secret input is read into a buffer of a fixed cap: more is refused with
/// the cap and the source named, never read whole (a 100 MB line, or
/// /dev/zero given as a file).
#[test]
fn over_long_secret_input_is_refused_with_the_cap() {
    let o = keyward(&["kcv"], &"0".repeat(70_000));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: the AES key as hex from stdin is longer than 65536 bytes: not read\n"
    );
    let o = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--hash-key-file",
            "/dev/zero",
        ],
        "482916\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: the HashKey from /dev/zero is longer than 65536 bytes: not read\n"
    );
}
