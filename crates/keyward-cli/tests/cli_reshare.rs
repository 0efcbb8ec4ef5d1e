//! `keyward ceremony reshare` end to end: a 2-of-3 set reshared into a
//! 3-of-5 set of the same key, the new cards' PINs from `--new-pin-file`
//! (one per card, all different), the Argon2 floor as `ceremony backup`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;
use common::{keyward, stderr, stdout};

use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-cli-reshare-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Test-card costs: below the floor, so every command needs the flag.
const FAST: [&str; 5] = [
    "--argon2-memory",
    "64",
    "--argon2-passes",
    "1",
    "--weak-argon2-for-tests",
];

/// The new cards' PINs, one per card (6 to 16 digits, not trivial).
const NEW_PINS: [&str; 5] = ["4829175", "5930286", "6041397", "7152408", "8263519"];

fn backup(dir: &Path, k: &str, n: &str) -> Vec<PathBuf> {
    let mut args = vec![
        "ceremony",
        "backup",
        "--threshold",
        k,
        "--shares",
        n,
        "--out",
        s(dir),
    ];
    args.extend_from_slice(&FAST);
    args.push("--default-pin");
    let o = keyward(&args, "");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .skip(1)
        .map(|l| PathBuf::from(l.split_once('\t').unwrap().0))
        .collect()
}

/// The key hex that `ceremony recover` prints for these cards of the old
/// set (every card PIN 123456).
fn recover(cards: &[&PathBuf]) -> Result<String, String> {
    let pins = vec!["123456"; cards.len()];
    recover_with(cards, &pins)
}

/// The key hex that `ceremony recover` prints for these cards and PINs.
fn recover_with(cards: &[&PathBuf], pins: &[&str]) -> Result<String, String> {
    let mut args = vec!["ceremony", "recover", "--weak-argon2-for-tests"];
    args.extend(cards.iter().map(|p| s(p)));
    let stdin: String = pins.iter().map(|p| format!("{p}\n")).collect();
    let o = keyward(&args, &stdin);
    if o.status.success() {
        Ok(stdout(&o).trim().to_owned())
    } else {
        Err(stderr(&o))
    }
}

fn set_id(card: &Path) -> String {
    let o = keyward(&["card", "info", s(card)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("set id: "))
        .unwrap()
        .to_owned()
}

fn reshare(
    old: &[&PathBuf],
    out: &Path,
    pin_file: &Path,
    k: &str,
    n: &str,
) -> std::process::Output {
    let new_pins = out.with_extension("new-pins.txt");
    let count: usize = n.parse().unwrap_or(0);
    let text: String = NEW_PINS
        .iter()
        .cycle()
        .take(count)
        .map(|p| format!("{p}\n"))
        .collect();
    std::fs::write(&new_pins, text).unwrap();
    reshare_with(
        old,
        out,
        pin_file,
        k,
        n,
        &["--new-pin-file", s(&new_pins)],
        &FAST,
    )
}

fn reshare_with(
    old: &[&PathBuf],
    out: &Path,
    pin_file: &Path,
    k: &str,
    n: &str,
    new_pins: &[&str],
    costs: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "ceremony",
        "reshare",
        "--threshold",
        k,
        "--shares",
        n,
        "--out",
        s(out),
    ];
    args.extend_from_slice(&["--pin-file", s(pin_file)]);
    args.extend_from_slice(new_pins);
    args.extend_from_slice(costs);
    args.extend(old.iter().map(|p| s(p)));
    keyward(&args, "")
}

#[test]
fn two_of_three_reshared_into_three_of_five_rebuilds_the_same_key() {
    let dir = tmp("2to3");
    let old = backup(&dir.join("old"), "2", "3");
    let key = recover(&[&old[0], &old[1]]).unwrap();
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n123456\n").unwrap();
    let new_dir = dir.join("new");
    let o = reshare(&[&old[2], &old[0]], &new_dir, &pins, "3", "5");
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("still rebuilds the same key"), "{err}");
    assert!(
        err.contains("read-back ok: all 10 sets of 3 cards"),
        "{err}"
    );
    let out = stdout(&o);
    let mut lines = out.lines();
    let kcv = lines
        .next()
        .unwrap()
        .strip_prefix("KCV ")
        .unwrap()
        .to_owned();
    let new: Vec<PathBuf> = lines
        .enumerate()
        .map(|(i, l)| {
            let (p, label) = l.split_once('\t').unwrap();
            assert_eq!(label, format!("backup card {} of 5", i + 1));
            PathBuf::from(p)
        })
        .collect();
    assert_eq!(new.len(), 5);
    // The KCV printed is the old key's (computed independently by `keyward kcv`).
    let o = keyward(&["kcv"], &key);
    assert!(stdout(&o).contains(&kcv), "{}", stdout(&o));
    // The set ids differ; all new cards share one.
    let new_id = set_id(&new[0]);
    assert_ne!(new_id, set_id(&old[0]));
    assert!(new.iter().all(|c| set_id(c) == new_id));
    // Any 3 new cards rebuild the old key; 2 are not enough.
    for a in 0..5 {
        for b in a + 1..5 {
            for c in b + 1..5 {
                assert_eq!(
                    recover_with(
                        &[&new[a], &new[b], &new[c]],
                        &[NEW_PINS[a], NEW_PINS[b], NEW_PINS[c]]
                    )
                    .unwrap(),
                    key,
                    "{a} {b} {c}"
                );
            }
        }
    }
    let e = recover_with(&[&new[0], &new[4]], &[NEW_PINS[0], NEW_PINS[4]]).unwrap_err();
    assert!(e.contains("1 more"), "{e}");
    // Each new card has its own PIN from --new-pin-file: the appliance
    // default opens none, another card's PIN does not open it.
    let e = recover_with(&[&new[1]], &["123456"]).unwrap_err();
    assert!(e.contains("card 1"), "{e}");
    let e = recover_with(&[&new[1]], &[NEW_PINS[0]]).unwrap_err();
    assert!(e.contains("card 1"), "{e}");
    // A new card cannot be mixed with the old set.
    assert!(
        recover_with(
            &[&old[0], &new[1], &new[2]],
            &["123456", NEW_PINS[1], NEW_PINS[2]]
        )
        .is_err()
    );
    // The old set still rebuilds the key.
    assert_eq!(recover(&[&old[1], &old[2]]).unwrap(), key);
    // The new cards are never overwritten.
    let o = reshare(&[&old[0], &old[1]], &new_dir, &pins, "3", "5");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_wrong_old_pin_writes_nothing() {
    let dir = tmp("wrongpin");
    let old = backup(&dir.join("old"), "2", "3");
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n654321\n").unwrap();
    let new_dir = dir.join("new");
    let o = reshare(&[&old[0], &old[1]], &new_dir, &pins, "3", "4");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("card 2"), "{}", stderr(&o));
    assert!(!new_dir.join("card-1.kwcard").exists());
    // K above N is a usage error.
    let o = reshare(&[&old[0], &old[1]], &new_dir, &pins, "5", "4");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn new_cards_below_the_floor_are_refused_without_the_flag() {
    let dir = tmp("floor");
    let old = backup(&dir.join("old"), "2", "3");
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n123456\n").unwrap();
    let new_dir = dir.join("new");
    // Costs below the floor without --weak-argon2-for-tests: a usage error
    // before any old card is read.
    let o = reshare_with(
        &[&old[0], &old[1]],
        &new_dir,
        &pins,
        "2",
        "3",
        &["--default-pin"],
        &["--argon2-memory", "64", "--argon2-passes", "1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--weak-argon2-for-tests"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("old card 1"), "{}", stderr(&o));
    assert!(!new_dir.exists());
    // At the floor's costs the old cards (test cards) are still refused
    // without the flag, naming it, before a PIN is tried.
    let o = reshare_with(
        &[&old[0], &old[1]],
        &new_dir,
        &pins,
        "2",
        "3",
        &["--default-pin"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("test card"), "{}", stderr(&o));
    assert!(!new_dir.join("card-1.kwcard").exists());
    // --default-pin gives every new card 123456, with a warning.
    let o = reshare_with(
        &[&old[0], &old[1]],
        &new_dir,
        &pins,
        "2",
        "3",
        &["--default-pin"],
        &FAST,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("default PIN 123456"), "{}", stderr(&o));
    let new = new_dir.join("card-3.kwcard");
    let key = recover(&[&old[0], &old[2]]).unwrap();
    assert_eq!(
        recover(&[&new, &new_dir.join("card-1.kwcard")]).unwrap(),
        key
    );
}

#[test]
fn a_bad_new_pin_is_refused_before_anything_is_written() {
    let dir = tmp("badnewpin");
    let old = backup(&dir.join("old"), "2", "3");
    let pins = dir.join("pins.txt");
    std::fs::write(&pins, "123456\n123456\n").unwrap();
    let new_pins = dir.join("new-pins.txt");
    std::fs::write(&new_pins, "4829175\n111111\n5930286\n").unwrap();
    let new_dir = dir.join("new");
    let o = reshare_with(
        &[&old[0], &old[1]],
        &new_dir,
        &pins,
        "2",
        "3",
        &["--new-pin-file", s(&new_pins)],
        &FAST,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("new card 2"), "{e}");
    assert!(!e.contains("111111"), "{e}");
    assert!(!new_dir.join("card-1.kwcard").exists());
}
