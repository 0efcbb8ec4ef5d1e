//! Hostile file systems (`docs/design.md#card-storage`): a full disk (a real
//! small tmpfs, filled by a filler file), another local user (uid/gid 65534,
//! through `setpriv`), and a directory the card's owner cannot write. Every
//! failed write names its file, exits 1, leaves the old files intact and
//! readable and leaves no partial or temporary file; a try that cannot be
//! recorded is not made.
//!
//! These tests need root (mount, setpriv). Outside CI they skip with one
//! line when that is not possible; with `CI` set they fail instead.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)] // test helpers

mod common;
use common::{keyward, stderr, stdout};

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64ct::Encoding;
use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};

const PINS: &str = "802514\n739166\n465203\n";
/// uid and gid of the unprivileged user (`nobody` / `nogroup`).
const NOBODY: &str = "65534";

fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Skips (one line) outside CI, fails with `CI` set.
fn unavailable(what: &str) {
    assert!(!in_ci(), "CI is set and {what}");
    eprintln!("skipped: {what}");
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0)
}

/// A fresh directory per test, mode 0755.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "keyward-cli-hostilefs-{}-{name}",
        std::process::id()
    ));
    let _ = Command::new("umount").arg(d.join("fs")).output();
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A mounted tmpfs, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (mount's syntax) at `at`; `None` (after the
    /// skip line, or a panic with `CI` set) when it cannot.
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .output();
        match o {
            Ok(o) if o.status.success() => Some(Self(at.to_path_buf())),
            Ok(o) => {
                unavailable(&format!(
                    "cannot mount a tmpfs at {}: {}",
                    at.display(),
                    stderr(&o).trim()
                ));
                None
            }
            Err(e) => {
                unavailable(&format!("cannot run mount: {e}"));
                None
            }
        }
    }

    /// Fills the file system with `filler`, then frees `leave` bytes of it
    /// (rounded down to whole pages): a write needing more fails ENOSPC.
    fn fill_leaving(&self, leave: u64) -> PathBuf {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        let mut len = 0u64;
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(n) => len += n as u64,
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(28), "filling: {e}");
                    break;
                }
            }
        }
        let leave = leave / 4096 * 4096;
        f.set_len(len.saturating_sub(leave)).unwrap();
        f.sync_all().unwrap();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|st| st.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn backup_args<'a>(out: &'a str, pins: &'a str) -> Vec<&'a str> {
    vec![
        "ceremony",
        "backup",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--out",
        out,
        "--pin-file",
        pins,
        "--argon2-memory",
        "64",
        "--argon2-passes",
        "1",
        "--weak-argon2-for-tests",
    ]
}

/// `ceremony backup` 2-of-3 into `out` (which must not exist).
fn backup(out: &Path, pins: &Path) -> Vec<PathBuf> {
    std::fs::write(pins, PINS).unwrap();
    let o = keyward(&backup_args(s(out), s(pins)), "");
    assert!(o.status.success(), "{}", stderr(&o));
    (1..=3)
        .map(|i| out.join(format!("card-{i}.kwcard")))
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

fn recover(cards: &[&Path], pins: &str) -> Output {
    let mut args = vec!["ceremony", "recover", "--weak-argon2-for-tests"];
    args.extend(cards.iter().map(|p| s(p)));
    keyward(&args, pins)
}

/// The card still opens with its PIN (with card 2) and has 3 tries left.
fn intact(card: &Path, pin: &str, other: &Path) {
    assert_eq!(tries_left(card), "3", "{}", card.display());
    let o = recover(&[card, other], &format!("{pin}\n739166\n"));
    assert!(o.status.success(), "{}", stderr(&o));
}

fn assert_clean_failure(o: &Output, names: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains(names), "the error names {names}: {e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

/// A full disk: `card copy` NEW, `card change-pin`, a wrong PIN whose try
/// cannot be recorded, and `ceremony backup` into staging each fail cleanly
/// naming the file (exit 1), the old cards intact, nothing left behind.
#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_old_cards() {
    let d = tmp("full-cards");
    let Some(fs) = Tmpfs::mount(&d.join("fs"), "1m") else {
        return;
    };
    let root = fs.0.clone();
    let c = backup(&root.join("cards"), &d.join("pins.txt"));
    let before: Vec<Vec<u8>> = c.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // A card is 131 bytes: one page. Leave none.
    fs.fill_leaving(0);
    let listing = (names_in(&root), names_in(&root.join("cards")));

    // card copy NEW
    let new = root.join("new.kwcard");
    let o = keyward(&["card", "copy", s(&c[0]), s(&new)], "");
    assert_clean_failure(&o, &format!("(card file {})", s(&new)));
    assert!(!new.exists(), "no empty or partial NEW");

    // card change-pin: the old PIN stays
    let o = keyward(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])],
        "802514\n111222\n111222\n",
    );
    assert_clean_failure(&o, &format!("(card file {})", s(&c[0])));

    // A wrong PIN on a card whose counter cannot be persisted: not tried.
    let o = recover(&[&c[0]], "000000\n");
    assert_clean_failure(&o, &format!("card 1 (card file {})", s(&c[0])));
    assert!(
        stderr(&o).contains("recording the PIN try in the card file failed"),
        "the error says why: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("wrong PIN"), "{}", stderr(&o));

    // ceremony backup: fails in staging; no OUT, no staging directory.
    let out = root.join("cards2");
    let o = keyward(&backup_args(s(&out), s(&d.join("pins.txt"))), "");
    assert_clean_failure(&o, "card 1 (card file ");
    assert!(stdout(&o).is_empty(), "no KCV: {}", stdout(&o));
    assert!(!out.exists());

    // Room for two cards only: the third fails, the two written are removed.
    std::fs::remove_file(root.join("filler")).unwrap();
    fs.fill_leaving(2 * 4096);
    let o = keyward(&backup_args(s(&out), s(&d.join("pins.txt"))), "");
    assert_clean_failure(&o, "card 3 (card file ");
    assert!(stdout(&o).is_empty(), "no KCV: {}", stdout(&o));
    assert!(!out.exists());

    assert_eq!(
        (names_in(&root), names_in(&root.join("cards"))),
        listing,
        "no temp file, staging directory or partial file left"
    );
    for (p, b) in c.iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{} unchanged", p.display());
        assert_eq!(mode(p), 0o600);
    }
    // The old cards are readable and open with the old PINs (tries not spent).
    std::fs::remove_file(root.join("filler")).unwrap();
    intact(&c[0], "802514", &c[1]);
}

/// A full disk under `hashkey migrate` OUT: room for about half the table.
/// A clean error naming OUT, exit 1, no OUT (not a partial table), no temp
/// file, the inputs unchanged.
#[test]
fn a_full_disk_leaves_no_partial_migrate_table() {
    let d = tmp("full-migrate");
    let site = "q7#Vm2!xR9@kLp4$Tz8&Wn3*Hs6^Jd1%";
    std::fs::write(d.join("new.key"), format!("{site}\n")).unwrap();
    let old = SiteHashKey::builtin_default();
    let mut table = String::new();
    for n in 0..3000 {
        let user = format!("user{n}");
        let id = TemplateId::new(user.as_bytes(), b"finger-1");
        let blob = old
            .seal_template(&id, format!("template {n}").as_bytes())
            .unwrap();
        table.push_str(&format!(
            "{user}\tfinger-1\t{}\n",
            base64ct::Base64::encode_string(&blob)
        ));
    }
    std::fs::write(d.join("templates.tsv"), &table).unwrap();
    std::fs::write(d.join("hashes.txt"), "").unwrap();
    let (key, templates, hashes) = (
        d.join("new.key"),
        d.join("templates.tsv"),
        d.join("hashes.txt"),
    );
    let run = |out: &Path| {
        keyward(
            &[
                "hashkey",
                "migrate",
                "--new-hashkey-file",
                s(&key),
                "--templates",
                s(&templates),
                "--hashes",
                s(&hashes),
                "--old-derivation",
                "1",
                "--out",
                s(out),
            ],
            "",
        )
    };
    // The size of the whole table, written where there is room.
    let probe = d.join("probe.tsv");
    let o = run(&probe);
    assert!(o.status.success(), "{}", stderr(&o));
    let size = std::fs::metadata(&probe).unwrap().len();
    assert!(size > 64 * 1024, "{size}");

    let Some(fs) = Tmpfs::mount(&d.join("fs"), "2m") else {
        return;
    };
    fs.fill_leaving(size / 2);
    let out = fs.0.join("out.tsv");
    let o = run(&out);
    assert_clean_failure(&o, s(&out));
    assert!(!out.exists(), "no partial table");
    assert_eq!(names_in(&fs.0), ["filler"], "no temp file left");
    assert_eq!(std::fs::read_to_string(&templates).unwrap(), table);
    // With room, the same command writes the whole table.
    std::fs::remove_file(fs.0.join("filler")).unwrap();
    let o = run(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 3000);
    assert_eq!(mode(&out), 0o600);
}

/// The `keyward` binary where uid 65534 can run it (the target directory may
/// sit under a private home in CI).
fn binary_for_others(d: &Path) -> PathBuf {
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = bin.join("keyward");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_keyward"), &exe).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_keyward"), &exe).unwrap();
    }
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    exe
}

/// Runs `PROGRAM ARGS` as uid/gid 65534 with no supplementary groups.
fn as_nobody(program: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
        ])
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// Root can switch to uid 65534 here; else the skip line (CI: a failure).
fn can_switch_user() -> bool {
    if !is_root() {
        unavailable("not root: cannot switch to another user");
        return false;
    }
    let ok = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|st| st.success());
    if !ok {
        unavailable("setpriv cannot switch to uid 65534");
    }
    ok
}

/// Runs `keyward ARGS` under `umask 022`.
fn keyward_umask_022(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// Under umask 022 every card file created (backup, copy, a rewrite by
/// change-pin or a counted try) is 0600 and every directory 0700; another
/// local user can neither read a card (permission denied, even in a
/// directory it may enter) nor run `ceremony recover` on the set with the
/// right PINs.
#[test]
fn another_local_user_cannot_read_or_recover_a_card() {
    if !can_switch_user() {
        return;
    }
    let d = tmp("other-user");
    let pins = d.join("pins.txt");
    std::fs::write(&pins, PINS).unwrap();
    let out = d.join("new").join("cards");
    let o = keyward_umask_022(&backup_args(s(&out), s(&pins)), "");
    assert!(o.status.success(), "{}", stderr(&o));
    let c: Vec<PathBuf> = (1..=3)
        .map(|i| out.join(format!("card-{i}.kwcard")))
        .collect();
    // A copy in a directory everyone may enter (0755).
    let loose = d.join("loose.kwcard");
    let o = keyward_umask_022(&["card", "copy", s(&c[0]), s(&loose)], "");
    assert!(o.status.success(), "{}", stderr(&o));
    // A rewrite by change-pin and one by a counted wrong try.
    let o = keyward_umask_022(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c[1])],
        "739166\n590317\n590317\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = keyward_umask_022(
        &["ceremony", "recover", "--weak-argon2-for-tests", s(&c[2])],
        "000000\n",
    );
    assert!(
        stderr(&o).contains("wrong PIN for card 1"),
        "{}",
        stderr(&o)
    );
    assert_eq!(mode(&d.join("new")), 0o700);
    assert_eq!(mode(&out), 0o700);
    for p in c.iter().chain([&loose]) {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
    assert_eq!(
        names_in(&out),
        ["card-1.kwcard", "card-2.kwcard", "card-3.kwcard"]
    );

    let exe = binary_for_others(&d);
    for p in c.iter().chain([&loose]) {
        let o = as_nobody(Path::new("/bin/cat"), &[s(p)], "");
        assert!(!o.status.success(), "uid 65534 read {}", p.display());
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    }
    // The right PINs do not help another user.
    let o = as_nobody(
        &exe,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&loose),
            s(&c[1]),
        ],
        "802514\n590317\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "no key for another user");
    assert!(
        stderr(&o).contains(&format!("card 1 (card file {})", s(&loose)))
            && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
    // Still the owner's: tries unchanged by the other user's attempt.
    assert_eq!(tries_left(&loose), "3");
    let o = recover(&[&loose, &c[1]], "802514\n590317\n");
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A card owned by the unprivileged user, in a directory that user cannot
/// write: its wrong PIN cannot be counted (no temp file can be made), so no
/// PIN is tried, the error names the card file and says why, the card is
/// unchanged and keeps its 3 tries.
#[test]
fn a_read_only_directory_means_no_pin_is_tried() {
    if !can_switch_user() {
        return;
    }
    let d = tmp("ro-dir");
    let cards = d.join("cards");
    let c = backup(&cards, &d.join("pins.txt"));
    std::fs::set_permissions(&cards, std::fs::Permissions::from_mode(0o755)).unwrap();
    let st = Command::new("chown")
        .arg(format!("{NOBODY}:{NOBODY}"))
        .arg(&c[0])
        .status()
        .unwrap();
    assert!(st.success());
    let before = std::fs::read(&c[0]).unwrap();
    let exe = binary_for_others(&d);
    for pin in ["000000\n", "802514\n"] {
        let o = as_nobody(
            &exe,
            &["ceremony", "recover", "--weak-argon2-for-tests", s(&c[0])],
            pin,
        );
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains(&format!("card 1 (card file {})", s(&c[0])))
                && e.contains("recording the PIN try in the card file failed")
                && e.contains("Permission denied"),
            "{e}"
        );
        assert!(!e.contains("wrong PIN") && !e.contains("blocked"), "{e}");
        assert!(o.stdout.is_empty());
    }
    let o = as_nobody(
        &exe,
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])],
        "802514\n111222\n111222\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(s(&c[0])), "{}", stderr(&o));
    assert_eq!(std::fs::read(&c[0]).unwrap(), before, "card unchanged");
    assert_eq!(
        names_in(&cards),
        ["card-1.kwcard", "card-2.kwcard", "card-3.kwcard"]
    );
    let m = std::fs::metadata(&c[0]).unwrap();
    assert_eq!((m.uid(), mode(&c[0])), (65534, 0o600));
    intact(&c[0], "802514", &c[1]);
}
