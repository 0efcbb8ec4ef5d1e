//! `keyward superpin export` (the recovery sheet) and `keyward superpin
//! recovery-url new-key|issue|redeem`, tested as a person would: the QR code
//! of the PNG sheet (and of the SVG and terminal forms) is decoded by a real
//! scanner, `zbarimg` (Debian `zbar-tools`). Outside CI a missing `zbarimg`
//! skips those tests with one line; with `CI` set it fails.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;
use common::{keyward, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Command;

use keyward_superpin::{
    AccountKeys, Argon2Params, Error, Proof, RecoveryCode, RecoveryUrlKey, Repository,
    parse_recovery_url,
};

const BASE: &str = "https://id.example.com/recover";
const MASTER_PW: &str = "correct horse battery staple 2026";
const FAST: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-cli-sheet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn zbarimg_present() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v zbarimg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "zbarimg is not installed (Debian package zbar-tools; .ci/kits.sh installs it)"
        );
        eprintln!("skipped: zbarimg is not installed");
    }
    found
}

/// Every code zbarimg finds in the image, one per entry.
fn scan(image: &Path) -> Vec<String> {
    let o = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(image)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "zbarimg found no code in {}",
        image.display()
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A binary PGM of a module matrix (true = dark), 6 px per module, with a
/// 4-module quiet zone, for zbarimg.
fn write_pgm(path: &Path, modules: &[Vec<bool>]) {
    let n = modules.len();
    let px = 6;
    let side = (n + 8) * px;
    let mut img = vec![255u8; side * side];
    for (y, row) in modules.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                for dy in 0..px {
                    for dx in 0..px {
                        img[((y + 4) * px + dy) * side + (x + 4) * px + dx] = 0;
                    }
                }
            }
        }
    }
    let mut out = format!("P5\n{side} {side}\n255\n").into_bytes();
    out.extend_from_slice(&img);
    std::fs::write(path, out).unwrap();
}

fn new_key(dir: &Path) -> PathBuf {
    let key = dir.join("server.key");
    let o = keyward(
        &["superpin", "recovery-url", "new-key", "--out", s(&key)],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    key
}

fn read_key(path: &Path) -> RecoveryUrlKey {
    let text = std::fs::read_to_string(path).unwrap();
    let mut b = [0u8; 32];
    keyward_core::hex::decode_into(text.trim(), &mut b).unwrap();
    RecoveryUrlKey::from_bytes(b)
}

fn export(key: &Path, pin: &str, out: &[&str]) -> std::process::Output {
    let mut args = vec![
        "superpin",
        "export",
        "--account",
        "alice@example.com",
        "--recovery-url-base",
        BASE,
        "--server-key",
        s(key),
    ];
    args.extend_from_slice(out);
    keyward(&args, &format!("{pin}\n"))
}

fn generate_pin() -> String {
    let o = keyward(&["superpin", "generate"], "");
    stdout(&o).trim().to_owned()
}

/// The URL names the account, verifies under the server key for that
/// account only, and holds no part of the Super PIN.
fn check_url(url: &str, key: &RecoveryUrlKey, pin: &str) {
    assert!(
        url.starts_with(&format!("{BASE}?account=alice%40example.com&token=")),
        "{url}"
    );
    for group in pin.split('-') {
        assert!(
            !url.to_uppercase().contains(group),
            "Super PIN group {group} in the URL"
        );
    }
    let (_, account, token) = parse_recovery_url(url).unwrap();
    assert_eq!(account, "alice@example.com");
    let now = token.issued_at() + 1;
    key.verify(&token, b"alice@example.com", now).unwrap();
    assert_eq!(
        key.verify(&token, b"bob@example.com", now),
        Err(Error::TokenForeignAccount)
    );
}

#[test]
fn png_sheet_qr_code_scans_to_the_recovery_url() {
    if !zbarimg_present() {
        return;
    }
    let dir = tmp("png");
    let key = new_key(&dir);
    let pin = generate_pin();
    let sheet = dir.join("sheet.png");
    let o = export(&key, &pin, &["--out", s(&sheet)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "nothing on stdout: {}", stdout(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&key, &sheet] {
            assert_eq!(
                std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    let bytes = std::fs::read(&sheet).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let codes = scan(&sheet);
    assert_eq!(codes.len(), 1, "{codes:?}");
    check_url(&codes[0], &read_key(&key), &pin);
    // Never overwritten.
    let o = export(&key, &pin, &["--out", s(&sheet)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn svg_and_terminal_qr_codes_scan_to_the_recovery_url() {
    if !zbarimg_present() {
        return;
    }
    let dir = tmp("svg");
    let key = new_key(&dir);
    let pin = generate_pin();
    let sheet = dir.join("sheet.svg");
    let o = export(&key, &pin, &["--out", s(&sheet)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&sheet).unwrap();
    assert!(svg.contains("alice@example.com"));
    for (i, group) in pin.split('-').enumerate() {
        assert!(
            svg.contains(&format!("{} {group}", i + 1)),
            "group {}",
            i + 1
        );
    }
    // The QR path: "M{x} {y}h8v8h-8z" per dark module.
    let d = svg.split("<path fill=\"#000\" d=\"").nth(1).unwrap();
    let d = d.split('"').next().unwrap();
    let cells: Vec<(usize, usize)> = d
        .split('M')
        .filter(|c| !c.is_empty())
        .map(|c| {
            let xy = c.split('h').next().unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    let (x0, y0) = (
        cells.iter().map(|c| c.0).min().unwrap(),
        cells.iter().map(|c| c.1).min().unwrap(),
    );
    let n = (cells.iter().map(|c| c.0).max().unwrap() - x0) / 8 + 1;
    let mut m = vec![vec![false; n]; n];
    for (x, y) in cells {
        m[(y - y0) / 8][(x - x0) / 8] = true;
    }
    let pgm = dir.join("svg-qr.pgm");
    write_pgm(&pgm, &m);
    let codes = scan(&pgm);
    assert_eq!(codes.len(), 1);
    check_url(&codes[0], &read_key(&key), &pin);
    // --terminal: Unicode half blocks, dark modules drawn as the terminal's
    // background (for dark terminals): a module is dark where its half of
    // the cell is not filled.
    let o = export(&key, &pin, &["--terminal"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let url_line = out
        .lines()
        .find(|l| l.starts_with(BASE))
        .unwrap()
        .to_owned();
    let block: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| matches!(c, ' ' | '█' | '▀' | '▄')))
        .collect();
    let mut rows = Vec::new();
    for line in &block {
        let upper: Vec<bool> = line.chars().map(|c| !matches!(c, '█' | '▀')).collect();
        let lower: Vec<bool> = line.chars().map(|c| !matches!(c, '█' | '▄')).collect();
        rows.push(upper);
        rows.push(lower);
    }
    let pgm = dir.join("terminal-qr.pgm");
    // The rendering has its own quiet zone (light modules, filled blocks).
    let w = rows[0].len();
    let mut img = Vec::new();
    for r in &rows {
        assert_eq!(r.len(), w);
        for dark in r {
            for _ in 0..6 {
                img.push(if *dark { 0u8 } else { 255 });
            }
        }
    }
    let mut scaled = Vec::new();
    for r in img.chunks(w * 6) {
        for _ in 0..6 {
            scaled.extend_from_slice(r);
        }
    }
    let mut bytes = format!("P5\n{} {}\n255\n", w * 6, rows.len() * 6).into_bytes();
    bytes.extend_from_slice(&scaled);
    std::fs::write(&pgm, bytes).unwrap();
    let codes = scan(&pgm);
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0], url_line);
    check_url(&url_line, &read_key(&key), &pin);
    // The terminal sheet shows the 9 groups.
    for (i, group) in pin.split('-').enumerate() {
        assert!(out.contains(&format!("{} {group}", i + 1)));
    }
}

#[test]
fn export_errors_name_what_is_wrong() {
    let dir = tmp("errors");
    let key = new_key(&dir);
    let pin = generate_pin();
    let o = export(&key, &pin, &["--out", s(&dir.join("sheet.pdf"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected a file name ending in .png or .svg, found .pdf"),
        "{}",
        stderr(&o)
    );
    // A mistyped Super PIN: the failing group is named, nothing written.
    let mut typo: Vec<char> = pin.chars().collect();
    typo[8] = if typo[8] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let out = dir.join("s.png");
    let o = export(&key, &typo, &["--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("group 2"), "{}", stderr(&o));
    assert!(!out.exists());
    // A server key file that is not one: named, its contents not shown.
    let bad = dir.join("bad.key");
    std::fs::write(&bad, "SECRETSECRET\n").unwrap();
    let o = export(&bad, &pin, &["--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.key: expected a Recovery URL server key of 64 hex digits"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("SECRET"));
    // A base URL with a query.
    let o = keyward(
        &[
            "superpin",
            "export",
            "--account",
            "a",
            "--recovery-url-base",
            "https://x/?q=1",
            "--server-key",
            s(&key),
            "--terminal",
        ],
        &format!("{pin}\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("invalid Recovery URL"),
        "{}",
        stderr(&o)
    );
}

/// The server side from the command line: a Recovery URL redeemed once
/// gives a Recovery Code that opens the account; reused, foreign and forged
/// URLs are refused by name.
#[test]
fn recovery_url_issue_and_redeem() {
    let dir = tmp("redeem");
    let key = new_key(&dir);
    let mut rng = keyward_core::os_rng();
    let (mut keys, master) =
        AccountKeys::create(b"alice@example.com", b"pw", FAST, &mut rng).unwrap();
    let pin = keys
        .activate_super_pin(Proof::Password(b"pw"), &mut rng)
        .unwrap();
    let mut repo = Repository::create(b"org", MASTER_PW, FAST, &mut rng).unwrap();
    repo.open(MASTER_PW).unwrap().escrow(&keys, &pin).unwrap();
    let keys_file = dir.join("alice.kwak");
    let repo_file = dir.join("repo.kwsr");
    let pw_file = dir.join("master.txt");
    std::fs::write(&keys_file, keys.to_bytes()).unwrap();
    std::fs::write(&repo_file, repo.to_bytes()).unwrap();
    std::fs::write(&pw_file, format!("{MASTER_PW}\n")).unwrap();
    let used = dir.join("used.kwut");
    let issue = |account: &str| {
        let o = keyward(
            &[
                "superpin",
                "recovery-url",
                "issue",
                "--server-key",
                s(&key),
                "--account",
                account,
                "--recovery-url-base",
                BASE,
                "--valid-days",
                "2",
            ],
            "",
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    };
    let redeem = |url: &str| {
        keyward(
            &[
                "superpin",
                "recovery-url",
                "redeem",
                "--server-key",
                s(&key),
                "--used-tokens",
                s(&used),
                "--account-keys",
                s(&keys_file),
                "--repository",
                s(&repo_file),
                "--master-password-file",
                s(&pw_file),
            ],
            &format!("{url}\n"),
        )
    };
    let url = issue("alice@example.com");
    // Forged: one token character changed.
    let mut forged: Vec<char> = url.chars().collect();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == 'A' { 'B' } else { 'A' };
    let o = redeem(&forged.into_iter().collect::<String>());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("forged"), "{}", stderr(&o));
    // Foreign: Bob's genuine token presented for Alice.
    let bob = issue("bob@example.com");
    let token = bob.split("&token=").nth(1).unwrap();
    let o = redeem(&format!("{BASE}?account=alice%40example.com&token={token}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("issued for another account"),
        "{}",
        stderr(&o)
    );
    assert!(!used.exists(), "no refused token is recorded");
    // Genuine: a Recovery Code that opens the account record on disk.
    let o = redeem(&url);
    assert!(o.status.success(), "{}", stderr(&o));
    let code = RecoveryCode::parse(stdout(&o).trim()).unwrap();
    let mut stored = AccountKeys::from_bytes(&std::fs::read(&keys_file).unwrap()).unwrap();
    assert_eq!(stored.unlock_with_recovery_code(&code).unwrap(), master);
    // Reused.
    let o = redeem(&url);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already been used"), "{}", stderr(&o));
}
