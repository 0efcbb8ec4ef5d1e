//! Kill loops (`docs/design.md#card-storage`): `ceremony recover`, `card
//! change-pin`, `card copy`, `ceremony backup` and `hashkey migrate` are
//! SIGKILLed at spread-out moments of their run, a bounded number of times
//! (RUNS each, at most LIMIT of wall time per loop). After every kill each
//! file is the old one or the new one and readable, no partial output
//! exists, and a temporary file or staging directory a kill left behind is
//! removed by the next command writing in that directory. The figures are
//! printed (`--nocapture`) and quoted in the report.
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
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::Encoding;
use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};

/// Runs per loop.
const RUNS: usize = 200;
/// Wall-time bound per loop: a loop stops early (and says so) past it.
const LIMIT: Duration = Duration::from_secs(120);

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-cli-kill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What one killed run did.
#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    finished: usize,
    killed: usize,
    leftovers: usize,
}

impl Tally {
    fn report(&self, what: &str, extra: &str) {
        eprintln!(
            "kill loop {what}: {} runs, {} killed mid-run, {} finished before the kill; {} left a temporary file or staging directory (removed by the next write){extra}",
            self.runs, self.killed, self.finished, self.leftovers
        );
        assert!(self.runs >= 50, "{what}: only {} runs", self.runs);
        assert!(self.killed > 0, "{what}: no run was killed mid-way");
    }
}

/// Runs `keyward ARGS` with `stdin`, SIGKILLs it after `delay` unless it
/// finished; returns whether it finished by itself.
fn run_killed(args: &[&str], stdin: &[u8], delay: Duration) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        if start.elapsed() >= delay {
            child.kill().unwrap();
            child.wait().unwrap();
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// How long a run takes, unkilled (the median of 5).
fn duration_of(mut run: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[2]
}

/// The i-th kill delay: spread over 0 .. 1.2 × the unkilled duration.
fn delay(i: usize, full: Duration) -> Duration {
    let percent = u32::try_from((i * 37) % 120).unwrap();
    full * percent / 100
}

/// Temporary files and staging directories in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.starts_with(".keyward-backup-"))
        .collect()
}

fn backup_into(out: &Path) -> Vec<PathBuf> {
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            s(out),
            "--default-pin",
            "--weak-argon2-for-tests",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    (1..=3)
        .map(|i| out.join(format!("card-{i}.kwcard")))
        .collect()
}

fn info(card: &Path) -> String {
    let o = keyward(&["card", "info", s(card)], "");
    assert!(
        o.status.success(),
        "{} unreadable: {}",
        card.display(),
        stderr(&o)
    );
    stdout(&o)
}

fn tries(card: &Path) -> String {
    info(card)
        .lines()
        .find_map(|l| l.strip_prefix("tries left: "))
        .unwrap()
        .to_owned()
}

fn recover_ok(a: &Path, b: &Path, pins: &str) -> bool {
    keyward(
        &["ceremony", "recover", "--weak-argon2-for-tests", s(a), s(b)],
        pins,
    )
    .status
    .success()
}

/// `ceremony recover` with the right PINs, killed: each card stays
/// readable; a kill after the try was counted leaves the try counted (never
/// a free guess), and the next right PIN gives it back.
#[test]
fn kill_loop_recover() {
    let d = tmp("recover");
    let c = backup_into(&d.join("cards"));
    let dir = c[0].parent().unwrap().to_owned();
    let args = [
        "ceremony",
        "recover",
        "--weak-argon2-for-tests",
        s(&c[0]),
        s(&c[1]),
    ];
    let full = duration_of(|| assert!(recover_ok(&c[0], &c[1], "123456\n123456\n")));
    let (mut t, start, mut counted) = (Tally::default(), Instant::now(), 0);
    while t.runs < RUNS && start.elapsed() < LIMIT {
        let done = run_killed(&args, b"123456\n123456\n", delay(t.runs, full));
        t.runs += 1;
        if done {
            t.finished += 1;
        } else {
            t.killed += 1;
        }
        for card in &c[..2] {
            match tries(card).as_str() {
                "3" => {}
                "2" => counted += 1,
                other => panic!("run {}: tries left {other}", t.runs),
            }
        }
        if !leftovers(&dir).is_empty() {
            t.leftovers += 1;
        }
        // The next recovery (right PINs) gives counted tries back and
        // removes an abandoned temporary file.
        assert!(recover_ok(&c[0], &c[1], "123456\n123456\n"));
        assert_eq!((tries(&c[0]), tries(&c[1])), ("3".into(), "3".into()));
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }
    t.report(
        "ceremony recover",
        &format!(
            "; {counted} kills landed after a try was counted and before the right PIN reset it (the try stayed counted); unkilled run {full:?}"
        ),
    );
}

/// `card change-pin`, killed: afterwards exactly one of the old and the new
/// PIN opens the card.
#[test]
fn kill_loop_change_pin() {
    let d = tmp("chg");
    let c = backup_into(&d.join("cards"));
    let dir = c[0].parent().unwrap().to_owned();
    let pins = ["590317", "604958"];
    // Start from pins[0].
    let o = keyward(
        &["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])],
        format!("123456\n{}\n", pins[0]).as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let args = ["card", "change-pin", "--weak-argon2-for-tests", s(&c[0])];
    let mut cur = 0;
    let full = duration_of(|| {
        let input = format!("{}\n{}\n", pins[cur], pins[1 - cur]);
        assert!(keyward(&args, input.as_bytes()).status.success());
        cur = 1 - cur;
    });
    let (mut t, start, mut changed) = (Tally::default(), Instant::now(), 0);
    while t.runs < RUNS && start.elapsed() < LIMIT {
        let input = format!("{}\n{}\n", pins[cur], pins[1 - cur]);
        let done = run_killed(&args, input.as_bytes(), delay(t.runs, full));
        t.runs += 1;
        if done {
            t.finished += 1;
        } else {
            t.killed += 1;
        }
        if !leftovers(&dir).is_empty() {
            t.leftovers += 1;
        }
        let old = recover_ok(&c[0], &c[1], &format!("{}\n123456\n", pins[cur]));
        if !old {
            assert!(
                recover_ok(&c[0], &c[1], &format!("{}\n123456\n", pins[1 - cur])),
                "run {}: neither PIN opens the card",
                t.runs
            );
            cur = 1 - cur;
            changed += 1;
        }
        assert_eq!(tries(&c[0]), "3");
        assert_eq!(leftovers(&dir), Vec::<String>::new());
    }
    t.report(
        "card change-pin",
        &format!("; the new PIN took effect in {changed} runs, the old one stayed in the others; unkilled run {full:?}"),
    );
}

/// `card copy`, killed: NEW is absent or a byte-for-byte copy, never a
/// partial or empty file blocking the rerun.
#[test]
fn kill_loop_copy() {
    let d = tmp("copy");
    let c = backup_into(&d.join("cards"));
    let new = d.join("copy.kwcard");
    let want = std::fs::read(&c[0]).unwrap();
    let args = ["card", "copy", s(&c[0]), s(&new)];
    let full = duration_of(|| {
        assert!(keyward(&args, "").status.success());
        std::fs::remove_file(&new).unwrap();
    });
    let (mut t, start, mut copied) = (Tally::default(), Instant::now(), 0);
    while t.runs < RUNS && start.elapsed() < LIMIT {
        let done = run_killed(&args, b"", delay(t.runs, full));
        t.runs += 1;
        if done {
            t.finished += 1;
        } else {
            t.killed += 1;
        }
        match std::fs::read(&new) {
            Ok(bytes) => {
                assert_eq!(bytes, want, "run {}: a partial copy", t.runs);
                copied += 1;
                std::fs::remove_file(&new).unwrap();
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
        }
        if !leftovers(&d).is_empty() {
            t.leftovers += 1;
        }
    }
    // The rerun works and removes what kills left.
    assert!(keyward(&args, "").status.success());
    assert_eq!(std::fs::read(&new).unwrap(), want);
    assert_eq!(leftovers(&d), Vec::<String>::new());
    t.report(
        "card copy",
        &format!("; NEW was a whole copy after {copied} runs and absent after the others; unkilled run {full:?}"),
    );
}

/// `ceremony backup`, killed: the set directory is absent or holds the
/// whole set, every card readable; an abandoned staging directory is
/// removed by the next backup in the same place.
#[test]
fn kill_loop_backup() {
    let d = tmp("backup");
    let full = duration_of(|| {
        let out = d.join("calibrate");
        backup_into(&out);
        std::fs::remove_dir_all(&out).unwrap();
    });
    let (mut t, start, mut whole) = (Tally::default(), Instant::now(), 0);
    while t.runs < RUNS && start.elapsed() < LIMIT {
        let out = d.join(format!("set-{}", t.runs));
        let args = [
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            s(&out),
            "--default-pin",
            "--weak-argon2-for-tests",
        ];
        let done = run_killed(&args, b"", delay(t.runs, full));
        t.runs += 1;
        if done {
            t.finished += 1;
        } else {
            t.killed += 1;
        }
        if out.exists() {
            let mut names: Vec<String> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(
                names,
                ["card-1.kwcard", "card-2.kwcard", "card-3.kwcard"],
                "run {}: a partial set",
                t.runs
            );
            for n in &names {
                info(&out.join(n));
            }
            whole += 1;
        }
        if !leftovers(&d).is_empty() {
            t.leftovers += 1;
        }
    }
    backup_into(&d.join("last"));
    assert_eq!(leftovers(&d), Vec::<String>::new());
    t.report(
        "ceremony backup",
        &format!("; the set appeared whole after {whole} runs and not at all after the others; unkilled run {full:?}"),
    );
}

/// `hashkey migrate`, killed: OUT is absent or the whole table (every row),
/// never a partial one.
#[test]
fn kill_loop_migrate() {
    let d = tmp("migrate");
    // A random-looking HashKey, so a strength check does not refuse it.
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
    std::fs::write(d.join("templates.tsv"), table).unwrap();
    std::fs::write(d.join("hashes.txt"), "").unwrap();
    let out = d.join("out.tsv");
    let key = d.join("new.key");
    let templates = d.join("templates.tsv");
    let hashes = d.join("hashes.txt");
    let args = [
        "hashkey",
        "migrate",
        // The templates were sealed by the library's default derivation 1.
        "--old-derivation",
        "1",
        "--new-hashkey-file",
        s(&key),
        "--templates",
        s(&templates),
        "--hashes",
        s(&hashes),
        "--out",
        s(&out),
    ];
    let full = duration_of(|| {
        let o = keyward(&args, "");
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::remove_file(&out).unwrap();
    });
    let (mut t, start, mut written) = (Tally::default(), Instant::now(), 0);
    while t.runs < RUNS && start.elapsed() < LIMIT {
        let done = run_killed(&args, b"", delay(t.runs, full));
        t.runs += 1;
        if done {
            t.finished += 1;
        } else {
            t.killed += 1;
        }
        match std::fs::read_to_string(&out) {
            Ok(text) => {
                assert_eq!(
                    text.lines().count(),
                    3000,
                    "run {}: a partial table",
                    t.runs
                );
                assert!(text.ends_with('\n'));
                written += 1;
                std::fs::remove_file(&out).unwrap();
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
        }
        if !leftovers(&d).is_empty() {
            t.leftovers += 1;
        }
    }
    assert!(keyward(&args, "").status.success());
    assert_eq!(leftovers(&d), Vec::<String>::new());
    t.report(
        "hashkey migrate (3,000 rows)",
        &format!("; OUT was whole after {written} runs and absent after the others; unkilled run {full:?}"),
    );
}
