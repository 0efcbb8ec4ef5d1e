//! `keyward pin hash|verify` end to end: secrets on stdin and in files, PHC
//! string on stdout, one error line and exit 1 on failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{keyward, text};

use std::path::PathBuf;

/// Two keys from `keyward hashkey generate` (strong): SITE has key id
/// 8c293cf7 (`jCk89w`) under derivation 2 and 71a4e927 (`caTpJw`) under
/// derivation 1.
const SITE: &str = "HCjQFrv)G1cUFl>fi;b%Rm?L1&MSla[U";
const NEXT: &str = "Jty0TI/ZU$/gH-=560wB*g?+8fKnEG=/";
/// A typed key below the strength floor.
const WEAK: &str = "Site-HashKey/for:demo#2026-11-22";

fn key_file(name: &str, key: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyward-cli-pinhash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("{key}\n")).unwrap();
    path
}

fn hash(key: &std::path::Path, pin: &str) -> String {
    let out = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--hash-key-file",
            key.to_str().unwrap(),
        ],
        &format!("{pin}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[test]
fn hash_then_verify_match_and_mismatch() {
    let site = key_file("site", SITE);
    let phc = hash(&site, "483920");
    assert!(
        phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1,keyid=jCk89w,bind=user$"),
        "{phc}"
    );
    let args = [
        "pin",
        "verify",
        "--user",
        "alice",
        "--hash-key-file",
        site.to_str().unwrap(),
    ];
    let ok = keyward(&args, &format!("483920\n{phc}\n"));
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout), "match\n");
    let bad = keyward(&args, &format!("483921\n{phc}\n"));
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        text(&bad.stderr),
        "keyward: error: the PIN or password does not match\n"
    );
    assert!(bad.stdout.is_empty());
    // The hash is bound to alice: bob cannot log in with it, even with
    // alice's PIN (a hash copied between rows of the table).
    let bob = [
        "pin",
        "verify",
        "--user",
        "bob",
        "--hash-key-file",
        site.to_str().unwrap(),
    ];
    let copied = keyward(&bob, &format!("483920\n{phc}\n"));
    assert_eq!(copied.status.code(), Some(1));
    assert_eq!(
        text(&copied.stderr),
        "keyward: error: the PIN or password does not match\n"
    );
}

#[test]
fn retired_hash_key_needs_rehash_and_removed_one_says_re_enrol() {
    let site = key_file("site2", SITE);
    let next = key_file("next", NEXT);
    let phc = hash(&site, "2580");
    let rotated = keyward(
        &[
            "pin",
            "verify",
            "--user",
            "alice",
            "--hash-key-file",
            next.to_str().unwrap(),
            "--retired-hash-key-file",
            site.to_str().unwrap(),
        ],
        &format!("2580\n{phc}\n"),
    );
    assert_eq!(rotated.status.code(), Some(0));
    assert!(text(&rotated.stdout).starts_with("match; needs rehash: made under a retired HashKey"));
    let gone = keyward(
        &[
            "pin",
            "verify",
            "--user",
            "alice",
            "--hash-key-file",
            next.to_str().unwrap(),
        ],
        &format!("2580\n{phc}\n"),
    );
    assert_eq!(gone.status.code(), Some(1));
    let err = text(&gone.stderr);
    assert!(
        err.starts_with("keyward: error: the hash was made under a HashKey this site no longer holds (key id 8c293cf7)")
            && err.contains("re-enrol"),
        "{err}"
    );
}

#[test]
fn bad_pins_bad_strings_and_bad_keys_are_one_line_errors() {
    let site = key_file("site3", SITE);
    let s = site.to_str().unwrap();
    let out = keyward(
        &["pin", "hash", "--user", "alice", "--hash-key-file", s],
        "12a4\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "keyward: error: PIN character 3 is not a digit (0-9 expected)\n"
    );
    let out = keyward(
        &["pin", "hash", "--user", "alice", "--hash-key-file", s],
        "1111\n",
    );
    assert_eq!(
        text(&out.stderr),
        "keyward: error: the PIN is too easy to guess: one repeated digit\n"
    );
    let out = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--hash-key-file",
            s,
            "--allow-trivial",
        ],
        "1111\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let out = keyward(
        &["pin", "verify", "--user", "alice", "--hash-key-file", s],
        "2580\n$argon2id$v=19$m=19456,t=2,p=1$abc\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "keyward: error: malformed PHC string: parameters: expected m=<KiB>,t=<passes>,p=<lanes>,keyid=<id>, optionally ,bind=user, in this order\n"
    );
    let out = keyward(
        &["pin", "verify", "--user", "alice", "--hash-key-file", s],
        "2580\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("line 2"));
    let short = key_file("short", "0123456789abcdef0123456789abcde");
    let out = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--hash-key-file",
            short.to_str().unwrap(),
        ],
        "483920\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("found 31 of 32") && !err.contains("0123456789"),
        "{err}"
    );
    // The PIN is never an argument: a missing file is a usage-level failure.
    let out = keyward(&["pin", "hash"], "483920\n");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn passwords_are_normalised() {
    let site = key_file("site4", SITE);
    let s = site.to_str().unwrap();
    let out = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--password",
            "--hash-key-file",
            s,
        ],
        "ﬁrst Ⅻ café\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let phc = text(&out.stdout).trim().to_string();
    let ok = keyward(
        &[
            "pin",
            "verify",
            "--user",
            "alice",
            "--password",
            "--hash-key-file",
            s,
        ],
        &format!("first XII café\n{phc}\n"),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let out = keyward(
        &[
            "pin",
            "hash",
            "--user",
            "alice",
            "--password",
            "--hash-key-file",
            s,
        ],
        "short\n",
    );
    assert_eq!(
        text(&out.stderr),
        "keyward: error: a password must have 8 to 128 characters (after NFKC normalisation), found 5\n"
    );
}

#[test]
fn a_weak_hash_key_is_refused_unless_accepted_with_a_warning() {
    let weak = key_file("weak", WEAK);
    let w = weak.to_str().unwrap();
    let refused = keyward(
        &["pin", "hash", "--user", "alice", "--hash-key-file", w],
        "483920\n",
    );
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "keyward: error: the HashKey in {w} is weak: below the strength floor of 10^25 guesses"
        )) && err.contains("keyward hashkey generate")
            && err.contains("--accept-weak-hashkey"),
        "{err}"
    );
    assert!(!err.contains("Site-HashKey"), "{err}");
    assert!(refused.stdout.is_empty());
    let args = [
        "pin",
        "hash",
        "--user",
        "alice",
        "--hash-key-file",
        w,
        "--accept-weak-hashkey",
    ];
    let accepted = keyward(&args, "483920\n");
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        text(&accepted.stderr)
    );
    let phc = text(&accepted.stdout).trim().to_string();
    let warning = format!("keyward: warning: the HashKey in {w} is weak");
    assert!(
        text(&accepted.stderr).starts_with(&warning),
        "{}",
        text(&accepted.stderr)
    );
    // Every use warns again; verification without the flag is refused too.
    let verify = [
        "pin",
        "verify",
        "--accept-weak-hashkey",
        "--user",
        "alice",
        "--hash-key-file",
        w,
    ];
    let again = keyward(&verify, &format!("483920\n{phc}\n"));
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).starts_with(&warning));
    let refused = keyward(
        &["pin", "verify", "--user", "alice", "--hash-key-file", w],
        &format!("483920\n{phc}\n"),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("is weak"));
}

#[test]
fn derivation_1_hashes_still_verify_and_ask_for_a_rehash() {
    let site = key_file("site5", SITE);
    let s = site.to_str().unwrap();
    // A hash made as before derivation 2 existed.
    let old = keyward(
        &[
            "pin",
            "hash",
            "--hashkey-derivation",
            "1",
            "--user",
            "alice",
            "--hash-key-file",
            s,
        ],
        "483920\n",
    );
    assert_eq!(old.status.code(), Some(0), "{}", text(&old.stderr));
    let old = text(&old.stdout).trim().to_string();
    assert!(old.contains(",keyid=caTpJw,"), "{old}");
    let verify = ["pin", "verify", "--user", "alice", "--hash-key-file", s];
    // Under derivation 2 (the default) it verifies and asks for a rehash.
    let v = keyward(&verify, &format!("483920\n{old}\n"));
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert_eq!(
        text(&v.stdout),
        "match; needs rehash: made under a retired HashKey or HashKey derivation 1 (hash the PIN again and store the new hash)\n"
    );
    assert_eq!(
        keyward(&verify, &format!("483921\n{old}\n")).status.code(),
        Some(1)
    );
    // The rehash is under derivation 2: a plain match.
    let new = hash(&site, "483920");
    assert!(new.contains(",keyid=jCk89w,"), "{new}");
    let v = keyward(&verify, &format!("483920\n{new}\n"));
    assert_eq!(text(&v.stdout), "match\n");
    // Read as derivation 1 only, a derivation-2 hash names its key id.
    let mut v1 = verify.to_vec();
    v1.extend(["--hashkey-derivation", "1"]);
    let v = keyward(&v1, &format!("483920\n{new}\n"));
    assert_eq!(v.status.code(), Some(1));
    assert!(
        text(&v.stderr).contains("no longer holds (key id 8c293cf7)"),
        "{}",
        text(&v.stderr)
    );
    let v = keyward(&v1, &format!("483920\n{old}\n"));
    assert_eq!(text(&v.stdout), "match\n");
    // Only derivations 1 and 2 exist.
    let mut bad = verify.to_vec();
    bad.extend(["--hashkey-derivation", "3"]);
    assert_eq!(keyward(&bad, "").status.code(), Some(2));
}
