#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! `keyward blob …` end to end: stdin piped, stdout/stderr/exit code checked.

mod common;
use common::{keyward, stderr};

const SDK_HEX: &str = "00112233445566778899aabbccddeeffffeeddccbbaa99887766554433221100";
const SDK_PARAMS: &str = "StorageDeriveKey1 = 0x00112233\nStorageDeriveKey2 = 0x44556677\nStorageDeriveKey3 = 0x8899AABB\n\
StorageDeriveKey4 = 0xCCDDEEFF\nStorageDeriveKey5 = 0xFFEEDDCC\nStorageDeriveKey6 = 0xBBAA9988\n\
StorageDeriveKey7 = 0x77665544\nStorageDeriveKey8 = 0x33221100\n";

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keyward-cli-blob-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn seal_open_round_trip_binary_and_base64() {
    let rec = ["--serial", "VDS0012345", "--app", "RESPONSE_ONLY"];
    let seal = keyward(
        &[&["blob", "seal"], &rec[..], &["--derive-vector", "0x2A"]].concat(),
        b"seed\x00\xff",
    );
    assert!(seal.status.success(), "{}", stderr(&seal));
    assert_eq!(seal.stdout.len(), 8 + 16 + 6);
    assert!(stderr(&seal).contains("tenant separation, not secrecy"));
    let open = keyward(
        &[&["blob", "open"], &rec[..], &["--derive-vector", "42"]].concat(),
        &seal.stdout,
    );
    assert!(open.status.success(), "{}", stderr(&open));
    assert_eq!(open.stdout, b"seed\x00\xff");

    // The vector of tests/data/blob_vectors.json #1, through the CLI.
    let seal = keyward(
        &[
            &["blob", "seal", "--base64"],
            &rec[..],
            &["--derive-vector", "42"],
        ]
        .concat(),
        &hex("0123456789abcdeffedcba9876543210a5a5a5a5"),
    );
    let b64 = String::from_utf8(seal.stdout).unwrap();
    assert_eq!(
        b64.trim(),
        "AQEAAJzEGuH1qt2HrFUOPm13GmyUUcAPDnWO9Fvv7fvdInKeUSaReYBrUHQ="
    );
    let open = keyward(
        &[
            &["blob", "open", "--base64"],
            &rec[..],
            &["--derive-vector", "42"],
        ]
        .concat(),
        b64.as_bytes(),
    );
    assert_eq!(open.stdout, hex("0123456789abcdeffedcba9876543210a5a5a5a5"));
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn wrong_settings_and_identity_are_named() {
    let rec = ["--serial", "S1", "--app", "APP"];
    let blob = keyward(
        &[
            &["blob", "seal", "--nonce"],
            &rec[..],
            &["--derive-vector", "7"],
        ]
        .concat(),
        b"x",
    )
    .stdout;
    assert_eq!(blob.len(), 8 + 16 + 16 + 1);
    let wrong_dv = keyward(
        &[&["blob", "open"], &rec[..], &["--derive-vector", "8"]].concat(),
        &blob,
    );
    assert_eq!(wrong_dv.status.code(), Some(1));
    let e = stderr(&wrong_dv);
    assert!(
        e.starts_with("keyward: error: BLOB is sealed under key id "),
        "{e}"
    );
    assert!(
        e.contains("which is not in the keyring (held: ") && e.contains("wrong derive vector"),
        "{e}"
    );
    assert!(wrong_dv.stdout.is_empty(), "no plaintext on failure");

    let other = keyward(
        &[
            "blob",
            "open",
            "--serial",
            "S2",
            "--app",
            "APP",
            "--derive-vector",
            "7",
        ],
        &blob,
    );
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr(&other).contains("BLOB authentication failed"),
        "{}",
        stderr(&other)
    );
    assert!(other.stdout.is_empty());
    let kind = keyward(
        &[
            &["blob", "open", "--kind", "payload"],
            &rec[..],
            &["--derive-vector", "7"],
        ]
        .concat(),
        &blob,
    );
    assert!(stderr(&kind).contains("BLOB authentication failed"));

    let trunc = keyward(
        &[&["blob", "open"], &rec[..], &["--derive-vector", "7"]].concat(),
        &blob[..5],
    );
    assert_eq!(
        stderr(&trunc).trim(),
        "keyward: error: sealed BLOB is truncated: the header needs 8 bytes, found 5"
    );

    let range = keyward(
        &[
            &["blob", "seal"],
            &rec[..],
            &["--derive-vector", "0x80000000"],
        ]
        .concat(),
        b"x",
    );
    assert_eq!(range.status.code(), Some(1));
    assert!(
        stderr(&range).contains("out of range: expected 0x0..=0x7FFFFFFF"),
        "{}",
        stderr(&range)
    );

    let usage = keyward(&["blob", "seal", "--serial", "S", "--app", "A"], b"x");
    assert_eq!(usage.status.code(), Some(2));
    let both = keyward(
        &[
            "blob",
            "seal",
            "--serial",
            "S",
            "--app",
            "A",
            "--derive-vector",
            "1",
            "--storage-derive-key-file",
            "/x",
        ],
        b"x",
    );
    // Both may be given (docs/formats.md "Key derivation"): the missing
    // file is now the error, not the combination.
    assert_eq!(both.status.code(), Some(1), "{}", stderr(&both));
}

#[test]
fn storage_derive_key_file_rekey_and_key_id() {
    let params = temp_file("sdk.txt", SDK_PARAMS);
    let hexfile = temp_file("sdk.hex", SDK_HEX);
    let p = params.to_str().unwrap();
    let h = hexfile.to_str().unwrap();
    let id_params = keyward(&["blob", "key-id", "--storage-derive-key-file", p], b"");
    let id_hex = keyward(&["blob", "key-id", "--storage-derive-key-file", h], b"");
    assert!(id_params.status.success(), "{}", stderr(&id_params));
    assert_eq!(id_params.stdout, id_hex.stdout);
    let id_dv = keyward(&["blob", "key-id", "--derive-vector", "0x2A"], b"");
    assert_eq!(String::from_utf8(id_dv.stdout).unwrap().trim(), "9cc41ae1");

    let rec = ["--serial", "VDS1", "--app", "APP", "--context", "t1"];
    let old = keyward(
        &[
            &["blob", "seal", "--base64"],
            &rec[..],
            &["--derive-vector", "0x2A"],
        ]
        .concat(),
        b"secret",
    );
    let rekey = keyward(
        &[
            &["blob", "rekey", "--base64"],
            &rec[..],
            &[
                "--old-derive-vector",
                "0x2A",
                "--new-storage-derive-key-file",
                p,
            ],
        ]
        .concat(),
        &old.stdout,
    );
    assert!(rekey.status.success(), "{}", stderr(&rekey));
    assert!(
        stderr(&rekey).starts_with("resealed: key id 9cc41ae1 -> "),
        "{}",
        stderr(&rekey)
    );
    let from_blob = keyward(
        &["blob", "key-id", "--from-blob", "--base64"],
        &rekey.stdout,
    );
    assert_eq!(
        from_blob.stdout, id_params.stdout,
        "the BLOB's encryption version is the new key id"
    );
    let open = keyward(
        &[
            &["blob", "open", "--base64"],
            &rec[..],
            &["--storage-derive-key-file", h],
        ]
        .concat(),
        &rekey.stdout,
    );
    assert_eq!(open.stdout, b"secret");
    // Rekeying again: already current, unchanged.
    let again = keyward(
        &[
            &["blob", "rekey", "--base64"],
            &rec[..],
            &[
                "--old-derive-vector",
                "0x2A",
                "--new-storage-derive-key-file",
                p,
            ],
        ]
        .concat(),
        &rekey.stdout,
    );
    assert!(
        stderr(&again).starts_with("already current"),
        "{}",
        stderr(&again)
    );
    assert_eq!(again.stdout, rekey.stdout);
    // Wrong old setting: named.
    let wrong = keyward(
        &[
            &["blob", "rekey", "--base64"],
            &rec[..],
            &[
                "--old-derive-vector",
                "1",
                "--new-storage-derive-key-file",
                p,
            ],
        ]
        .concat(),
        &old.stdout,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("key id 9cc41ae1, which is not in the keyring"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn sdk_params_both_directions_and_errors() {
    let to_params = keyward(&["blob", "sdk-params"], SDK_HEX.as_bytes());
    assert!(to_params.status.success(), "{}", stderr(&to_params));
    assert_eq!(String::from_utf8(to_params.stdout).unwrap(), SDK_PARAMS);
    let mut shuffled: Vec<&str> = SDK_PARAMS.lines().collect();
    shuffled.reverse();
    let to_hex = keyward(&["blob", "sdk-params"], shuffled.join("\n").as_bytes());
    assert_eq!(String::from_utf8(to_hex.stdout).unwrap().trim(), SDK_HEX);
    let missing: String = SDK_PARAMS
        .lines()
        .filter(|l| !l.starts_with("StorageDeriveKey6"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = keyward(&["blob", "sdk-params"], missing.as_bytes());
    assert_eq!(e.status.code(), Some(1));
    assert!(
        stderr(&e).contains("StorageDeriveKey6 is missing"),
        "{}",
        stderr(&e)
    );
    let range = SDK_PARAMS.replace("0x77665544", "0x177665544");
    let e = keyward(&["blob", "sdk-params"], range.as_bytes());
    assert!(
        stderr(&e).contains("line 7: StorageDeriveKey7 is out of range"),
        "{}",
        stderr(&e)
    );
    assert!(!stderr(&e).contains("77665544"), "values are never echoed");
}
