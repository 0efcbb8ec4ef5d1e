//! `keyward shamir split --recipient … --out DIR` and `shamir combine
//! --identity`: shares sealed to each custodian with age, opened by the
//! `age` command-line tool (Debian package `age`) and by keyward.
//! Outside CI a missing `age`/`age-keygen`/`ssh-keygen` skips with one
//! line; with `CI` set it fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;
use common::{keyward, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-cli-age-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Whether the tools exist; in CI their absence is a failure.
fn tools_present(names: &[&str]) -> bool {
    for n in names {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {n}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "{n} is not installed (Debian packages age, openssh-client; .ci/kits.sh installs them)"
            );
            eprintln!("skipped: {n} is not installed");
            return false;
        }
    }
    true
}

/// A custodian: identity file and recipient text.
struct Custodian {
    identity: PathBuf,
    recipient: String,
}

fn age_custodian(dir: &Path, name: &str) -> Custodian {
    let identity = dir.join(format!("{name}.key"));
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = Command::new("age-keygen")
        .arg("-y")
        .arg(&identity)
        .output()
        .unwrap();
    let recipient = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    assert!(recipient.starts_with("age1"));
    Custodian {
        identity,
        recipient,
    }
}

fn ssh_custodian(dir: &Path, name: &str) -> Custodian {
    let identity = dir.join(name);
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "custodian", "-f"])
        .arg(&identity)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recipient = std::fs::read_to_string(identity.with_extension("pub")).unwrap();
    let recipient = recipient.trim().to_owned();
    assert!(recipient.starts_with("ssh-ed25519 "));
    Custodian {
        identity,
        recipient,
    }
}

/// `age -d -i IDENTITY FILE`: the plaintext, or None when it does not open.
fn age_decrypt(identity: &Path, file: &Path) -> Option<String> {
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .unwrap();
    o.status
        .success()
        .then(|| String::from_utf8(o.stdout).unwrap())
}

fn split_sealed(dir: &Path, custodians: &[Custodian]) -> (String, Vec<PathBuf>) {
    let out = dir.join("sealed");
    let mut args = vec![
        "shamir",
        "split",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--generate",
        "32",
    ];
    for c in custodians {
        args.push("--recipient");
        args.push(&c.recipient);
    }
    args.push("--out");
    args.push(s(&out));
    let o = keyward(&args, "");
    assert!(o.status.success(), "{}", stderr(&o));
    let kcv = stderr(&o).trim().strip_prefix("KCV ").unwrap().to_owned();
    assert_eq!(kcv.len(), 6);
    let listing = stdout(&o);
    let paths: Vec<PathBuf> = listing
        .lines()
        .zip(custodians)
        .map(|(l, c)| {
            let (p, r) = l.split_once('\t').unwrap();
            assert_eq!(r, c.recipient);
            PathBuf::from(p)
        })
        .collect();
    assert_eq!(paths.len(), 3, "{listing}");
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(*p, out.join(format!("share-{}.age", i + 1)));
    }
    (kcv, paths)
}

#[test]
fn three_sealed_shares_each_opened_only_by_its_custodian_any_two_combine() {
    if !tools_present(&["age", "age-keygen", "ssh-keygen"]) {
        return;
    }
    let dir = tmp("three");
    let custodians = [
        age_custodian(&dir, "alice"),
        age_custodian(&dir, "bob"),
        ssh_custodian(&dir, "carol"),
    ];
    let (kcv, paths) = split_sealed(&dir, &custodians);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(paths[0].parent().unwrap()), 0o700);
        for p in &paths {
            assert_eq!(mode(p), 0o600, "{}", p.display());
        }
    }
    // Each file opens with its custodian's identity only (age CLI).
    let mut shares = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        for (j, c) in custodians.iter().enumerate() {
            let plain = age_decrypt(&c.identity, p);
            assert_eq!(
                plain.is_some(),
                i == j,
                "share {} with identity {}",
                i + 1,
                j + 1
            );
            if let Some(plain) = plain {
                // One line: the share as `shamir split` prints it.
                assert_eq!(plain.lines().count(), 1);
                assert!(plain.ends_with('\n'));
                assert!(plain.split_whitespace().count() >= 20, "SLIP-0039 words");
                shares.push(plain);
            }
        }
    }
    assert_eq!(shares.len(), 3);
    // No share in clear on disk: no file of the output directory holds any
    // share's words.
    for entry in std::fs::read_dir(paths[0].parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for share in &shares {
            let words: Vec<&str> = share.split_whitespace().collect();
            assert!(!text.contains(&words[4..8].join(" ")));
        }
    }
    // Any two decrypted files, fed to `shamir combine` as they are, give the
    // key with the printed KCV.
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let o = keyward(
            &["shamir", "combine"],
            &format!("{}{}", shares[a], shares[b]),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().nth(1).unwrap(), format!("KCV {kcv}"));
    }
    // `combine --identity`: the custodians' identities open their files
    // (age X25519 and OpenSSH ed25519).
    let o = keyward(
        &[
            "shamir",
            "combine",
            "--identity",
            s(&custodians[1].identity),
            "--identity",
            s(&custodians[2].identity),
            s(&paths[1]),
            s(&paths[2]),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().nth(1).unwrap(), format!("KCV {kcv}"));
    // An identity that opens none of the files is named with the file.
    let o = keyward(
        &[
            "shamir",
            "combine",
            "--identity",
            s(&custodians[0].identity),
            s(&paths[1]),
            s(&paths[2]),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("share-2.age: none of the identities given opens it"),
        "{}",
        stderr(&o)
    );
    // The files are never overwritten.
    let again = split_sealed_err(&dir, &custodians);
    assert!(again.contains("exists: refusing to overwrite"), "{again}");
}

fn split_sealed_err(dir: &Path, custodians: &[Custodian]) -> String {
    let out = dir.join("sealed");
    let mut args = vec![
        "shamir",
        "split",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--generate",
        "32",
    ];
    for c in custodians {
        args.push("--recipient");
        args.push(&c.recipient);
    }
    args.push("--out");
    args.push(s(&out));
    let o = keyward(&args, "");
    assert_eq!(o.status.code(), Some(1));
    stderr(&o)
}

#[test]
fn recipients_file_and_usage_errors_name_the_recipient() {
    if !tools_present(&["age-keygen"]) {
        return;
    }
    let dir = tmp("usage");
    let a = age_custodian(&dir, "a");
    let b = age_custodian(&dir, "b");
    let out = dir.join("o");
    let split = |extra: &[&str]| {
        let mut args = vec![
            "shamir",
            "split",
            "--threshold",
            "2",
            "--shares",
            "2",
            "--generate",
            "16",
        ];
        args.extend_from_slice(extra);
        keyward(&args, "")
    };
    // Count mismatch.
    let o = split(&["--recipient", &a.recipient, "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("2 shares, found 1 recipients"),
        "{}",
        stderr(&o)
    );
    // Malformed recipient, named by position.
    let o = split(&[
        "--recipient",
        &a.recipient,
        "--recipient",
        "age1notakey",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--recipient 2"), "{}", stderr(&o));
    let o = split(&[
        "--recipient",
        &a.recipient,
        "--recipient",
        "pgp:0xDEADBEEF",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected an age recipient"),
        "{}",
        stderr(&o)
    );
    // --out alone, and --recipient without --out.
    assert_eq!(split(&["--out", s(&out)]).status.code(), Some(2));
    assert_eq!(split(&["--recipient", &a.recipient]).status.code(), Some(2));
    assert!(!out.exists(), "nothing written on a usage error");
    // A recipients file: comments and blank lines skipped, a bad line named.
    let file = dir.join("custodians.txt");
    std::fs::write(
        &file,
        format!(
            "# custodians\n{}\n\nssh-ed25519 AAAAnotbase64\n",
            a.recipient
        ),
    )
    .unwrap();
    let o = split(&["--recipients-file", s(&file), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("custodians.txt line 4"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &file,
        format!("# custodians\n{}\n\n{}\n", a.recipient, b.recipient),
    )
    .unwrap();
    let o = split(&["--recipients-file", s(&file), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("share-1.age").exists() && out.join("share-2.age").exists());
    // The two files combine through --identity (age X25519 identities).
    let o = keyward(
        &[
            "shamir",
            "combine",
            "--identity",
            s(&a.identity),
            "--identity",
            s(&b.identity),
            s(&out.join("share-1.age")),
            s(&out.join("share-2.age")),
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).lines().nth(1).unwrap().starts_with("KCV "));
}

#[test]
fn ceremony_backup_delivers_each_cards_share_sealed_to_its_custodian() {
    if !tools_present(&["age", "age-keygen"]) {
        return;
    }
    let dir = tmp("ceremony");
    let custodians = [
        age_custodian(&dir, "c1"),
        age_custodian(&dir, "c2"),
        age_custodian(&dir, "c3"),
    ];
    let out = dir.join("cards");
    let mut args = vec![
        "ceremony",
        "backup",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--out",
        s(&out),
        "--argon2-memory",
        "64",
        "--argon2-passes",
        "1",
        "--weak-argon2-for-tests",
        "--default-pin",
    ];
    for c in &custodians {
        args.push("--recipient");
        args.push(&c.recipient);
    }
    let o = keyward(&args, "");
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = stdout(&o);
    for (i, c) in custodians.iter().enumerate() {
        let line = format!(
            "{}\t{}",
            out.join(format!("share-{}.age", i + 1)).display(),
            c.recipient
        );
        assert!(listing.lines().any(|l| l == line), "{listing}");
    }
    // The key as the cards give it.
    let o = keyward(
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            s(&out.join("card-1.kwcard")),
            s(&out.join("card-2.kwcard")),
        ],
        "123456\n123456\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let key = stdout(&o).trim().to_owned();
    // Each custodian opens their own file only; two files combine to the key.
    let mut shares = Vec::new();
    for (i, c) in custodians.iter().enumerate() {
        let file = out.join(format!("share-{}.age", i + 1));
        assert!(age_decrypt(&custodians[(i + 1) % 3].identity, &file).is_none());
        shares.push(age_decrypt(&c.identity, &file).unwrap());
    }
    let o = keyward(
        &["shamir", "combine"],
        &format!("{}{}", shares[2], shares[0]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().next().unwrap(), key);
    // A wrong recipient count is a usage error before any card is written.
    let out2 = dir.join("cards2");
    let o = keyward(
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            s(&out2),
            "--recipient",
            &custodians[0].recipient,
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("3 shares, found 1 recipients"),
        "{}",
        stderr(&o)
    );
    assert!(!out2.exists());
}
