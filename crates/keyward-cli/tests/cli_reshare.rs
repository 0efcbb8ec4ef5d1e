//! `keyward ceremony reshare` end to end: a 2-of-3 set reshared into a
//! 3-of-5 set of the same key.
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

const FAST: [&str; 4] = ["--argon2-memory", "64", "--argon2-passes", "1"];

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
    let o = keyward(&args, "");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .skip(1)
        .map(|l| PathBuf::from(l.split_once('\t').unwrap().0))
        .collect()
}

/// The key hex that `ceremony recover` prints for these cards.
fn recover(cards: &[&PathBuf]) -> Result<String, String> {
    let mut args = vec!["ceremony", "recover"];
    args.extend(cards.iter().map(|p| s(p)));
    let o = keyward(&args, &"123456\n".repeat(cards.len()));
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
    args.extend_from_slice(&FAST);
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
                    recover(&[&new[a], &new[b], &new[c]]).unwrap(),
                    key,
                    "{a} {b} {c}"
                );
            }
        }
    }
    let e = recover(&[&new[0], &new[4]]).unwrap_err();
    assert!(e.contains("1 more"), "{e}");
    // A new card cannot be mixed with the old set.
    assert!(recover(&[&old[0], &new[1], &new[2]]).is_err());
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
