//! `keyward ceremony backup|recover` and `keyward card ...` end to end.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test helpers

mod common;
use common::{keyward, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Output;

/// A fresh directory per test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "keyward-cli-ceremony-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `ceremony backup` with test Argon2 parameters; returns the KCV and the
/// card paths.
fn backup(dir: &Path, k: &str, n: &str) -> (String, Vec<PathBuf>) {
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            k,
            "--shares",
            n,
            "--out",
            s(dir),
            "--argon2-memory",
            "64",
            "--argon2-passes",
            "1",
            "--weak-argon2-for-tests",
            "--default-pin",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("read-back ok"), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    let kcv = lines
        .next()
        .unwrap()
        .strip_prefix("KCV ")
        .unwrap()
        .to_owned();
    assert_eq!(kcv.len(), 6);
    let mut paths = Vec::new();
    for (i, line) in lines.enumerate() {
        let (path, label) = line.split_once('\t').unwrap();
        assert_eq!(label, format!("backup card {} of {n}", i + 1));
        assert!(Path::new(path).exists());
        paths.push(PathBuf::from(path));
    }
    assert_eq!(paths.len().to_string(), n);
    (kcv, paths)
}

fn recover(cards: &[&Path], pins: &str) -> Output {
    let mut args = vec!["ceremony", "recover", "--weak-argon2-for-tests"];
    args.extend(cards.iter().map(|p| s(p)));
    keyward(&args, pins)
}

fn info(card: &Path) -> String {
    let o = keyward(&["card", "info", s(card)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn backup_2_of_3_and_recover_in_another_order() {
    let dir = tmp("2of3");
    let (kcv, cards) = backup(&dir, "2", "3");
    let o = recover(&[&cards[2], &cards[0]], "123456\n123456\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let key = stdout(&o);
    assert_eq!(key.trim().len(), 64);
    let err = stderr(&o);
    assert!(err.contains("card 1 of 2 read; 1 more needed"), "{err}");
    assert!(
        err.contains("card 2 of 2 read; the key can be rebuilt"),
        "{err}"
    );
    assert!(err.contains(&format!("KCV {kcv}")), "{err}");
    // The key's KCV, computed by `keyward kcv`, is the one printed at backup.
    let o = keyward(&["kcv"], &key);
    assert!(stdout(&o).contains(&kcv), "{}", stdout(&o));
    // Info needs no PIN.
    let i = info(&cards[1]);
    assert!(i.contains("label: backup card 2 of 3"), "{i}");
    assert!(i.contains(&format!("KCV: {kcv}")), "{i}");
    assert!(i.contains("tries left: 3"), "{i}");
    assert!(i.contains("card: 2 of 3 (2 needed)"), "{i}");
    // A second backup into the same directory refuses to overwrite.
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            s(&dir),
            "--default-pin",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn three_of_five_with_a_pin_file() {
    let dir = tmp("3of5");
    let (kcv, cards) = backup(&dir, "3", "5");
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n123456\n123456\n").unwrap();
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&cards[4]),
            s(&cards[1]),
            s(&cards[3]),
            "--pin-file",
            s(&pins),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("card 2 of 3 read; 1 more needed"));
    assert!(stderr(&o).contains(&format!("KCV {kcv}")));
    // Too few cards.
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&cards[0]),
            s(&cards[1]),
            "--pin-file",
            s(&pins),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("2 cards read, 3 needed: read 1 more"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn same_card_twice_and_card_of_another_set() {
    let dir_a = tmp("dupa");
    let dir_b = tmp("dupb");
    let (_, a) = backup(&dir_a, "2", "3");
    let (_, b) = backup(&dir_b, "2", "3");
    let o = recover(&[&a[0], &a[0]], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "keyward: error: card 2 is the same card as card 1 (a copy of it?): read another card of the set"
        ),
        "{}",
        stderr(&o)
    );
    let o = recover(&[&a[0], &b[1]], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("keyward: error: card 2 belongs to another backup set (set id "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn wrong_pins_are_saved_in_the_card_and_block_it() {
    let dir = tmp("pins");
    let (_, cards) = backup(&dir, "2", "3");
    let o = recover(&[&cards[0], &cards[1]], "000000\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("wrong PIN for card 1: 2 tries left before the card blocks"),
        "{}",
        stderr(&o)
    );
    assert!(info(&cards[0]).contains("tries left: 2"));
    let o = recover(&[&cards[0]], "000000\n");
    assert!(stderr(&o).contains("1 try left"), "{}", stderr(&o));
    let o = recover(&[&cards[0]], "000000\n");
    assert!(
        stderr(&o).contains("no tries left, the card is now blocked"),
        "{}",
        stderr(&o)
    );
    assert!(info(&cards[0]).contains("tries left: 0 (blocked)"));
    let o = recover(&[&cards[0], &cards[1]], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("card 1 is blocked after 3 wrong PINs"),
        "{}",
        stderr(&o)
    );
    // The other cards still rebuild the key.
    let o = recover(&[&cards[1], &cards[2]], "123456\n123456\n");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn change_pin_and_copy() {
    let dir = tmp("chg");
    let (kcv, cards) = backup(&dir, "2", "3");
    // Trivial new PIN refused.
    let o = keyward(
        &[
            "card",
            "change-pin",
            "--weak-argon2-for-tests",
            s(&cards[0]),
        ],
        "123456\n111111\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("new PIN refused"), "{}", stderr(&o));
    let o = keyward(
        &[
            "card",
            "change-pin",
            "--weak-argon2-for-tests",
            s(&cards[0]),
        ],
        "123456\n802514\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Copy card 2; the copy is byte for byte the same; no overwrite.
    let copy = dir.join("card-2-dr.kwcard");
    let o = keyward(&["card", "copy", s(&cards[1]), s(&copy)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&cards[1]).unwrap()
    );
    let o = keyward(&["card", "copy", s(&cards[1]), s(&copy)], "");
    assert_eq!(o.status.code(), Some(1));
    // Old PIN fails; new PIN and the copy rebuild the key.
    let o = recover(&[&cards[0], &copy], "123456\n123456\n");
    assert!(
        stderr(&o).contains("wrong PIN for card 1"),
        "{}",
        stderr(&o)
    );
    let o = recover(&[&cards[0], &copy], "802514\n123456\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("KCV {kcv}")));
    // The copy and its original are the same card.
    let o = recover(&[&copy, &cards[1]], "123456\n123456\n");
    assert!(
        stderr(&o).contains("card 2 is the same card as card 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn damaged_card_is_named() {
    let dir = tmp("dmg");
    let (_, cards) = backup(&dir, "2", "3");
    let mut bytes = std::fs::read(&cards[1]).unwrap();
    bytes[70] ^= 0x01;
    std::fs::write(&cards[1], &bytes).unwrap();
    let o = recover(&[&cards[0], &cards[1]], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("card 2 is damaged (checksum mismatch)"),
        "{}",
        stderr(&o)
    );
    let o = keyward(&["card", "info", s(&cards[1])], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the card is damaged"), "{}", stderr(&o));
}

#[test]
fn help_and_usage() {
    for args in [
        &["ceremony", "backup", "--help"][..],
        &["ceremony", "recover", "--help"],
        &["card", "change-pin", "--help"],
        &["card", "copy", "--help"],
        &["card", "info", "--help"],
    ] {
        let o = keyward(args, "");
        assert!(o.status.success());
        assert!(stdout(&o).contains("Exit codes"), "{args:?}");
    }
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "1",
            "--shares",
            "3",
            "--out",
            "/tmp/x",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    let o = keyward(&["ceremony", "recover"], "");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn default_pin_parameters_are_owasp() {
    let dir = tmp("owasp");
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "2",
            "--out",
            s(&dir),
            "--default-pin",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let card = dir.join("card-1.kwcard");
    assert!(info(&card).contains("argon2id: m=19456 KiB, t=2, p=1"));
    // Too few lines in the PIN file.
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n").unwrap();
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&card),
            s(&dir.join("card-2.kwcard")),
            "--pin-file",
            s(&pins),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("PIN for card 2 (backup card 2 of 2): the PIN file "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_card_file_is_named() {
    let dir = tmp("missing");
    let gone = dir.join("card-9.kwcard");
    let o = keyward(&["card", "info", s(&gone)], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(
            "the card is not there (card file {}): insert or attach it",
            gone.display()
        )),
        "{}",
        stderr(&o)
    );
    let (_, cards) = backup(&dir, "2", "3");
    let o = recover(&[&cards[0], &gone], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("keyward: error: card 2 is not there (card file "),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn card_files_and_copies_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("mode");
    let (_, cards) = backup(&dir, "2", "2");
    let copy = dir.join("copy.kwcard");
    let o = keyward(&["card", "copy", s(&cards[0]), s(&copy)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    for p in [&cards[0], &cards[1], &copy] {
        let mode = std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", p.display());
    }
}
