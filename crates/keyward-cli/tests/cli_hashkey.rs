//! `keyward hashkey generate|check` and the HashKey strength floor and
//! derivation as every command group that reads HashKey files applies them
//! (here `blob`; `pin` and `hashkey migrate|census` in their own files).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::{keyward, stderr, stdout};

use std::path::PathBuf;

fn key_file(name: &str, key: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyward-cli-hashkey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("{key}\n")).unwrap();
    path
}

#[test]
fn generated_keys_are_distinct_printable_and_pass_check() {
    let mut seen = Vec::new();
    for _ in 0..4 {
        let g = keyward(&["hashkey", "generate"], "");
        assert_eq!(g.status.code(), Some(0), "{}", stderr(&g));
        let out = stdout(&g);
        let key = out.strip_suffix('\n').unwrap();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{key}");
        assert!(!seen.contains(&key.to_string()));
        // The key is on stdout only; stderr names its key ids.
        let err = stderr(&g);
        assert!(!err.contains(key));
        let c = keyward(&["hashkey", "check"], &format!("{key}\n"));
        assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
        assert!(c.stderr.is_empty(), "{}", stderr(&c));
        // Same key ids from check as announced by generate.
        let v2 = stdout(&c)
            .lines()
            .next()
            .unwrap()
            .strip_prefix("valid HashKey, key id ")
            .unwrap()
            .to_string();
        assert!(err.contains(&v2), "{err} / {v2}");
        seen.push(key.to_string());
    }
}

#[test]
fn blob_refuses_a_weak_hashkey_and_seals_under_derivation_2() {
    let rec = [
        "--serial",
        "VDS0012345",
        "--app",
        "RESPONSE_ONLY",
        "--derive-vector",
        "7",
    ];
    let weak = key_file("weak", "Site-HashKey/for:demo#2026-11-22");
    let w = weak.to_str().unwrap();
    let seal = keyward(
        &[&["blob", "seal", "--static-key-hashkey-file", w], &rec[..]].concat(),
        b"secret record",
    );
    assert_eq!(seal.status.code(), Some(1));
    let err = stderr(&seal);
    assert!(
        err.contains(&format!("the HashKey in {w} is weak")),
        "{err}"
    );
    assert!(
        !err.contains("Site-HashKey") && seal.stdout.is_empty(),
        "{err}"
    );

    let strong = key_file("strong", "HCjQFrv)G1cUFl>fi;b%Rm?L1&MSla[U");
    let s = strong.to_str().unwrap();
    let with = |extra: &[&'static str]| {
        [
            &["blob"][..],
            extra,
            &["--static-key-hashkey-file", s],
            &rec[..],
        ]
        .concat()
    };
    let seal = keyward(&with(&["seal"]), b"secret record");
    assert_eq!(seal.status.code(), Some(0), "{}", stderr(&seal));
    let open = keyward(&with(&["open"]), &seal.stdout);
    assert_eq!(open.stdout, b"secret record", "{}", stderr(&open));
    // Under derivation 1 the same file is another static key: the BLOB's key
    // id is not that key's, and it says so instead of decrypting garbage.
    let open_v1 = keyward(&with(&["open", "--hashkey-derivation", "1"]), &seal.stdout);
    assert_eq!(open_v1.status.code(), Some(1));
    assert!(open_v1.stdout.is_empty());
    // A BLOB sealed under derivation 1 (records made before derivation 2)
    // still opens with --hashkey-derivation 1.
    let old = keyward(&with(&["seal", "--hashkey-derivation", "1"]), b"old record");
    assert_eq!(old.status.code(), Some(0), "{}", stderr(&old));
    let reopened = keyward(&with(&["open", "--hashkey-derivation", "1"]), &old.stdout);
    assert_eq!(reopened.stdout, b"old record", "{}", stderr(&reopened));
}
