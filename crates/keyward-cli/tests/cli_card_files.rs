//! Card files against local users, races and bad input
//! (`docs/design.md#card-storage`): private modes whatever the umask, PINs
//! set per card, the try counted before the PIN is checked under a lock,
//! temporary files and symlinks, PIN lines refused before any try, bounded
//! reads of card files.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)] // test helpers

mod common;
use common::{keyward, stderr, stdout};

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fresh directory per test (its parent is the system temp directory).
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "keyward-cli-cardfiles-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Runs `keyward ARGS` under `umask 022` (the usual default), stdin empty.
fn keyward_umask_022(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const PINS: &str = "802514\n739166\n465203\n";

/// `ceremony backup` k-of-n into `out` (which must not exist) with test
/// Argon2 parameters and the PINs of [`PINS`]; returns the card paths.
fn backup(parent: &Path, k: &str, n: &str) -> Vec<PathBuf> {
    let pins = parent.join("new-pins.txt");
    std::fs::write(&pins, PINS).unwrap();
    let out = parent.join("cards");
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            k,
            "--shares",
            n,
            "--out",
            s(&out),
            "--pin-file",
            s(&pins),
            "--argon2-memory",
            "64",
            "--argon2-passes",
            "1",
            "--weak-argon2-for-tests",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .skip(1)
        .map(|l| PathBuf::from(l.split_once('\t').unwrap().0))
        .collect()
}

fn tries_left(card: &Path) -> String {
    let o = keyward(&["card", "info", s(card)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("tries left: "))
        .unwrap()
        .to_owned()
}

fn recover<S: AsRef<[u8]> + ?Sized>(cards: &[&Path], pins: &S) -> Output {
    let mut args = vec!["ceremony", "recover", "--weak-argon2-for-tests"];
    args.extend(cards.iter().map(|p| s(p)));
    keyward(&args, pins)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Under umask 022 the card directory is 0700 and every card 0600; each
/// card has the PIN it was given (not 123456); another user cannot read a
/// card.
#[test]
fn backup_under_umask_022_is_private_with_a_pin_per_card() {
    let d = tmp("umask");
    let pins = d.join("pins.txt");
    std::fs::write(&pins, PINS).unwrap();
    let out = d.join("new").join("cards");
    let o = keyward_umask_022(&[
        "ceremony",
        "backup",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--out",
        s(&out),
        "--pin-file",
        s(&pins),
        "--argon2-memory",
        "64",
        "--argon2-passes",
        "1",
        "--weak-argon2-for-tests",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&d.join("new")), 0o700);
    assert_eq!(mode(&out), 0o700);
    assert_eq!(
        names_in(&out),
        ["card-1.kwcard", "card-2.kwcard", "card-3.kwcard"],
        "nothing but the cards (no staging directory, no lock file)"
    );
    for i in 1..=3 {
        assert_eq!(mode(&out.join(format!("card-{i}.kwcard"))), 0o600);
    }
    let c: Vec<PathBuf> = (1..=3)
        .map(|i| out.join(format!("card-{i}.kwcard")))
        .collect();
    // The default PIN does not open a card; each card's own PIN does.
    let o = recover(&[&c[0]], "123456\n");
    assert!(
        stderr(&o).contains("wrong PIN for card 1"),
        "{}",
        stderr(&o)
    );
    let o = recover(&[&c[2], &c[0]], "465203\n802514\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("default PIN"), "{}", stderr(&o));
    // A rewrite (the counted tries above) kept the mode.
    assert_eq!(mode(&c[0]), 0o600);
    // Another local user (nobody) cannot read a card, when we can switch to one.
    if std::fs::metadata(&d).unwrap().uid() == 0 {
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
            .arg(&c[1])
            .output()
            .unwrap();
        assert!(!o.status.success(), "nobody could read the card");
        assert!(o.stdout.is_empty());
    }
}

/// Without --default-pin or --pin-file, stdin gives one new PIN per card;
/// a trivial PIN (123456) is refused before any card is written; with
/// --default-pin every card has 123456 and recover and info say so.
#[test]
fn the_default_pin_only_when_asked_for() {
    let d = tmp("default");
    let out = d.join("cards");
    let args = |extra: &'static str| {
        let mut v = vec![
            "ceremony".to_owned(),
            "backup".into(),
            "--threshold".into(),
            "2".into(),
            "--shares".into(),
            "2".into(),
            "--out".into(),
            s(&out).into(),
            "--argon2-memory".into(),
            "64".into(),
            "--argon2-passes".into(),
            "1".into(),
            "--weak-argon2-for-tests".into(),
        ];
        if !extra.is_empty() {
            v.push(extra.into());
        }
        v
    };
    let run = |a: &[String], stdin: &str| {
        keyward(&a.iter().map(String::as_str).collect::<Vec<_>>(), stdin)
    };
    let o = run(&args(""), "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o)
            .contains("new PIN for card 1 (backup card 1 of 2): the PIN is too easy to guess"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
    let o = run(&args(""), "802514\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("new PIN for card 2 (backup card 2 of 2): expected a line on stdin, found the end of input"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
    let o = run(&args("--default-pin"), "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("every card has the default PIN 123456"),
        "{}",
        stderr(&o)
    );
}

/// 16 wrong-PIN recoveries started at once: exactly 3 PINs are tried, the
/// other 13 are told the card is blocked, and the card is blocked.
#[test]
fn sixteen_concurrent_wrong_pins_try_exactly_three() {
    let d = tmp("race16");
    let c = backup(&d, "2", "3");
    let wrong = d.join("wrong.txt");
    std::fs::write(&wrong, "000000\n").unwrap();
    let children: Vec<_> = (0..16)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_keyward"))
                .args([
                    "ceremony",
                    "recover",
                    "--weak-argon2-for-tests",
                    s(&c[0]),
                    "--pin-file",
                    s(&wrong),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut tried, mut blocked) = (0, 0);
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o);
        if e.contains("wrong PIN for card 1") {
            tried += 1;
        } else if e.contains("card 1 is blocked after 3 wrong PINs") {
            blocked += 1;
        } else {
            panic!("unexpected: {e}");
        }
    }
    assert_eq!((tried, blocked), (3, 13));
    assert_eq!(tries_left(&c[0]), "0 (blocked)");
}

/// A directory planted at `CARD.tmp`, a symlink planted at
/// `card-2.kwcard.tmp` and a read-only card cannot keep a try from
/// counting; the symlink's target is not touched; nothing is left behind.
#[test]
fn planted_temp_names_and_a_read_only_card_still_count() {
    let d = tmp("planted");
    let c = backup(&d, "2", "3");
    let dir = c[0].parent().unwrap().to_owned();
    std::fs::create_dir(dir.join("card-1.kwcard.tmp")).unwrap();
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("card-2.kwcard.tmp")).unwrap();
    std::fs::set_permissions(&c[2], std::fs::Permissions::from_mode(0o400)).unwrap();
    for (i, card) in c.iter().enumerate() {
        let o = recover(&[card], "000000\n");
        assert!(
            stderr(&o).contains("wrong PIN for card 1: 2 tries left"),
            "card {}: {}",
            i + 1,
            stderr(&o)
        );
        assert_eq!(tries_left(card), "2");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert_eq!(mode(&c[2]), 0o400, "the read-only card stays read-only");
    assert_eq!(
        names_in(&dir),
        [
            "card-1.kwcard",
            "card-1.kwcard.tmp",
            "card-2.kwcard",
            "card-2.kwcard.tmp",
            "card-3.kwcard"
        ]
    );
}

/// A card path that is a symlink: the real card is changed, the link stays a
/// link. A rewrite keeps the card's mode and owner.
#[test]
fn a_symlinked_card_changes_the_real_card_and_rewrites_keep_mode_and_owner() {
    let d = tmp("symlink");
    let c = backup(&d, "2", "3");
    let link = d.join("link.kwcard");
    std::os::unix::fs::symlink(&c[0], &link).unwrap();
    let o = keyward(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&link)],
        "802514\n590317\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let o = recover(&[&c[0], &c[1]], "590317\n739166\n");
    assert!(
        o.status.success(),
        "the real card has the new PIN: {}",
        stderr(&o)
    );
    // Mode 0640 and (as root) owner nobody survive a counted try.
    std::fs::set_permissions(&c[1], std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = std::fs::metadata(&c[1]).unwrap().uid() == 0;
    if root {
        std::os::unix::fs::chown(&c[1], Some(65534), Some(65534)).unwrap();
    }
    let o = recover(&[&c[1]], "000000\n");
    assert!(stderr(&o).contains("wrong PIN"), "{}", stderr(&o));
    assert_eq!(mode(&c[1]), 0o640);
    if root {
        let m = std::fs::metadata(&c[1]).unwrap();
        assert_eq!((m.uid(), m.gid()), (65534, 65534));
    }
    // A dangling symlink is not written through.
    let dangling = d.join("dangling.kwcard");
    std::os::unix::fs::symlink(d.join("nowhere.kwcard"), &dangling).unwrap();
    let o = keyward(&["card", "copy", s(&c[2]), s(&dangling)], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("symlink to a missing file"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("nowhere.kwcard").exists());
}

/// What cannot be a PIN is refused before any try, naming the card: an
/// empty line, end of input, letters, too few digits, a byte-order mark, a
/// 100 MB line (not read past its first bytes).
#[test]
fn lines_that_cannot_be_pins_burn_no_try() {
    let d = tmp("shape");
    let c = backup(&d, "2", "3");
    let cases: [(&[u8], &str); 6] = [
        (b"\n", "found an empty line"),
        (b"", "found the end of input"),
        (b"80251x\n", "found a non-digit at position 6"),
        (b"8025\n", "found 4 digits"),
        ("\u{feff}802514\n".as_bytes(), "found a byte-order mark"),
        (b"  \r\n", "found an empty line"),
    ];
    for (stdin, what) in cases {
        let o = recover(&[&c[0]], stdin);
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o);
        assert!(
            e.contains("PIN for card 1 (backup card 1 of 3): expected ")
                && e.contains(what)
                && e.contains("no PIN was tried"),
            "{what}: {e}"
        );
        assert_eq!(tries_left(&c[0]), "3", "{what}");
    }
    // A PIN file with a blank line first.
    let pins = d.join("pins.txt");
    std::fs::write(&pins, "\n802514\n").unwrap();
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&c[0]),
            "--pin-file",
            s(&pins),
        ],
        "",
    );
    assert!(stderr(&o).contains("found an empty line"), "{}", stderr(&o));
    assert_eq!(tries_left(&c[0]), "3");
    // 100 MB on one line: refused at once, the rest never read.
    let big = vec![b'7'; 100 << 20];
    let t = Instant::now();
    let o = recover(&[&c[0]], &big[..]);
    assert!(
        stderr(&o).contains("found a line of more than 64 bytes"),
        "{}",
        stderr(&o)
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(tries_left(&c[0]), "3");
    // change-pin checks the old PIN's shape as well.
    let o = keyward(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])],
        "\n590317\n",
    );
    assert!(stderr(&o).contains("found an empty line"), "{}", stderr(&o));
    assert_eq!(tries_left(&c[0]), "3");
}

/// Card files are read only if they are regular files of at most 4 KiB:
/// `/dev/zero`, a FIFO and a 2 GB sparse file are refused at once.
#[test]
fn card_reads_are_bounded_and_regular_files_only() {
    let d = tmp("bounded");
    let fifo = d.join("fifo.kwcard");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let sparse = d.join("sparse.kwcard");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    for (card, what) in [
        (
            Path::new("/dev/zero"),
            "expected a regular file, found a character device",
        ),
        (fifo.as_path(), "expected a regular file, found a FIFO"),
        (d.as_path(), "expected a regular file, found a directory"),
        (
            sparse.as_path(),
            "expected a card record of at most 4096 bytes, found a file of 2147483648 bytes",
        ),
    ] {
        let t = Instant::now();
        let o = keyward(&["card", "info", s(card)], "");
        assert_eq!(o.status.code(), Some(1), "{}", card.display());
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
}

/// Two `card change-pin` at once: exactly one succeeds, the other fails and
/// says so, and the winner's new PIN opens the card.
#[test]
fn two_pin_changes_at_once_one_wins() {
    for round in 0..10 {
        let d = tmp(&format!("chg2-{round}"));
        let c = backup(&d, "2", "3");
        let spawn = |new: &str| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
                .args(["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("802514\n{new}\n").as_bytes())
                .unwrap();
            child
        };
        let a = spawn("590317");
        let b = spawn("604958");
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let won: Vec<&str> = [(&a, "590317"), (&b, "604958")]
            .iter()
            .filter(|(o, _)| o.status.success())
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(won.len(), 1, "{}\n{}", stderr(&a), stderr(&b));
        let loser = if a.status.success() { &b } else { &a };
        assert!(
            stderr(loser).contains("wrong PIN for the card"),
            "{}",
            stderr(loser)
        );
        let o = recover(&[&c[0], &c[1]], &format!("{}\n739166\n", won[0]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

/// A dangling symlink at card 3 is refused before any card is written.
#[test]
fn backup_refuses_a_planted_card_name_and_writes_nothing() {
    let d = tmp("planted-backup");
    let out = d.join("cards");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(d.join("elsewhere"), out.join("card-3.kwcard")).unwrap();
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            s(&out),
            "--default-pin",
            "--argon2-memory",
            "64",
            "--argon2-passes",
            "1",
            "--weak-argon2-for-tests",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("card-3.kwcard exists: refusing to overwrite"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "no KCV shown");
    assert_eq!(names_in(&out), ["card-3.kwcard"]);
}

/// Card Argon2id below the floor (OWASP's 19,456 KiB, t = 2) is a usage
/// error without --weak-argon2-for-tests; a test card is refused by
/// recover and change-pin before any PIN without the flag, shown with a
/// warning by info; `--threshold 1` is a usage error.
#[test]
fn argon2_floor_and_test_cards() {
    let d = tmp("floor");
    let out = d.join("cards");
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "2",
            "--out",
            s(&out),
            "--default-pin",
            "--argon2-memory",
            "8192",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "expected card Argon2id parameters of at least 19456 KiB and 2 passes, found 8192 KiB and 2 passes"
        ) && stderr(&o).contains("--weak-argon2-for-tests"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "1",
            "--shares",
            "3",
            "--out",
            s(&out),
            "--default-pin",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--threshold"), "{}", stderr(&o));
    // A test set with the default PIN: warned at backup.
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "2",
            "--out",
            s(&out),
            "--default-pin",
            "--weak-argon2-for-tests",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: test cards: Argon2id 64 KiB, 1 pass(es)"),
        "{}",
        stderr(&o)
    );
    let c1 = out.join("card-1.kwcard");
    let c2 = out.join("card-2.kwcard");
    let o = keyward(&["ceremony", "recover", s(&c1), s(&c2)], "123456\n123456\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("card 1 (backup card 1 of 2) is a test card: Argon2id 64 KiB")
            && stderr(&o)
                .contains("refused (tests only: --weak-argon2-for-tests); no PIN was tried"),
        "{}",
        stderr(&o)
    );
    let o = keyward(&["card", "change-pin", s(&c1)], "123456\n590317\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is a test card"), "{}", stderr(&o));
    let o = keyward(&["card", "info", s(&c1)], "");
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("argon2id: m=64 KiB, t=1, p=1 (test card)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("default PIN: yes"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("warning: the card (backup card 1 of 2) is a test card"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("still has the default PIN 123456"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tries_left(&c1), "3", "nothing was tried");
    // With the flag: recover warns per card (test card, default PIN).
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&c1),
            s(&c2),
        ],
        "123456\n123456\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: card 2 (backup card 2 of 2) still has the default PIN"),
        "{}",
        stderr(&o)
    );
    // After a PIN change the card no longer says "default PIN".
    let o = keyward(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c1)],
        "123456\n590317\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = keyward(&["card", "info", s(&c1)], "");
    assert!(stdout(&o).contains("default PIN: no"), "{}", stdout(&o));
}

/// An existing empty directory as OUT is replaced by the staged set in one
/// rename (it comes out 0700, holding only the cards); a directory holding
/// other files gets the cards linked in, next to those files.
#[test]
fn backup_into_existing_directories() {
    let d = tmp("existing");
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    let busy = d.join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("README"), "other file").unwrap();
    for out in [&empty, &busy] {
        let o = keyward(
            &[
                "ceremony",
                "backup",
                "--threshold",
                "2",
                "--shares",
                "2",
                "--out",
                s(out),
                "--default-pin",
                "--weak-argon2-for-tests",
            ],
            "",
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(mode(&empty), 0o700);
    assert_eq!(names_in(&empty), ["card-1.kwcard", "card-2.kwcard"]);
    assert_eq!(
        names_in(&busy),
        ["README", "card-1.kwcard", "card-2.kwcard"]
    );
    assert_eq!(names_in(&d), ["busy", "empty"], "no staging directory left");
}
