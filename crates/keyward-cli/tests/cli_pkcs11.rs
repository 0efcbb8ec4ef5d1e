//! `keyward pkcs11 ...` end to end against SoftHSM2: each test has its own
//! token directory and `SOFTHSM2_CONF`, two tokens standing for two HSMs.
//! Outside CI a missing SoftHSM2 skips with one line; in CI it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../../keyward-pkcs11/tests/support/softhsm.rs"]
mod softhsm;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use softhsm::SoftHsm;

/// RFC 4493 section 4's AES-256 example key (design.md's known answers 1A0B2D / E568F6).
const RFC4493_256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
/// The transport key entered from the same components on both HSMs.
const TRANSPORT: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Runs `keyward ARGS` in the test's SoftHSM2 installation, stdin piped in.
fn run(hsm: &SoftHsm, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env_remove("KEYWARD_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        out(&o),
        err(&o)
    );
    o
}

fn fails(o: &Output, needle: &str) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        out(o),
        err(o)
    );
    assert!(
        err(o).contains(needle),
        "expected {needle:?} in:\n{}",
        err(o)
    );
}

/// `keyward components split --count N` of a key: the custodians' lines.
fn split(hsm: &SoftHsm, key: &str, count: &str) -> String {
    out(&ok(run(
        hsm,
        &["components", "split", "--count", count],
        key.as_bytes(),
    )))
}

/// The secret-key lines of `pkcs11 list URI`.
fn keys(hsm: &SoftHsm, token: &str) -> Vec<String> {
    let o = ok(run(hsm, &["pkcs11", "list", &hsm.uri(token, None)], b""));
    out(&o)
        .lines()
        .skip(1)
        .filter(|l| *l != "  no secret key")
        .map(str::to_owned)
        .collect()
}

#[test]
fn rfc4493_components_give_the_known_kcvs_computed_by_the_token() {
    let Some(hsm) = SoftHsm::new("cli-rfc4493", &["hsm1"]) else {
        return;
    };
    let comps = split(&hsm, RFC4493_256, "3");
    let key_uri = hsm.uri("hsm1", Some("HSM_KEY_AES_ENCRYPTION_VER_13"));
    let o = ok(run(
        &hsm,
        &["pkcs11", "import-components", &key_uri],
        comps.as_bytes(),
    ));
    assert_eq!(out(&o), "KCV 1A0B2D\n");
    assert!(err(&o).contains("non-extractable"), "{}", err(&o));
    assert!(!out(&o).contains(RFC4493_256) && !err(&o).contains(RFC4493_256));

    let o = ok(run(&hsm, &["pkcs11", "kcv", &key_uri], b""));
    assert!(
        out(&o).starts_with("1A0B2D\ttoken \"hsm1\" (serial "),
        "{}",
        out(&o)
    );
    assert!(out(&o).ends_with("key \"HSM_KEY_AES_ENCRYPTION_VER_13\"\n"));
    let o = ok(run(
        &hsm,
        &["pkcs11", "kcv", "--method", "ecb", &key_uri],
        b"",
    ));
    assert!(out(&o).starts_with("E568F6\t"), "{}", out(&o));

    let listed = keys(&hsm, "hsm1");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0]
            .contains("\"HSM_KEY_AES_ENCRYPTION_VER_13\"\tAES-256\tKCV 1A0B2D\tnon-extractable")
    );

    // The same label again: refused, nothing added.
    let o = run(
        &hsm,
        &["pkcs11", "import-components", &key_uri],
        comps.as_bytes(),
    );
    fails(
        &o,
        "already holds a key labelled \"HSM_KEY_AES_ENCRYPTION_VER_13\"; give --replace",
    );
    assert_eq!(keys(&hsm, "hsm1").len(), 1);
    // --replace with the same components: still one key, same KCV.
    ok(run(
        &hsm,
        &["pkcs11", "import-components", &key_uri, "--replace"],
        comps.as_bytes(),
    ));
    assert_eq!(keys(&hsm, "hsm1"), listed);
}

#[test]
fn a_changed_component_is_refused_with_nothing_left_in_the_token() {
    let Some(hsm) = SoftHsm::new("cli-changed", &["hsm1"]) else {
        return;
    };
    let comps = split(&hsm, RFC4493_256, "3");
    let uri = hsm.uri("hsm1", Some("DEK"));
    // One digit of component 2 changed, its KCV kept: line 2 named.
    let mut lines: Vec<String> = comps.lines().map(str::to_owned).collect();
    let flipped = if lines[1].starts_with('0') { "1" } else { "0" };
    lines[1].replace_range(0..1, flipped);
    let o = run(
        &hsm,
        &["pkcs11", "import-components", &uri],
        lines.join("\n").as_bytes(),
    );
    fails(&o, "line 2: component 2: KCV mismatch");
    // Component 2 replaced by another with a matching KCV of its own: the
    // combined KCV line refuses it.
    let other = split(&hsm, TRANSPORT, "2");
    let mut lines: Vec<String> = comps.lines().map(str::to_owned).collect();
    lines[1] = other.lines().next().unwrap().to_owned();
    let o = run(
        &hsm,
        &["pkcs11", "import-components", &uri],
        lines.join("\n").as_bytes(),
    );
    fails(&o, "line 4: combined key: KCV mismatch: expected 1A0B2D");
    assert!(keys(&hsm, "hsm1").is_empty(), "{:?}", keys(&hsm, "hsm1"));
    // Without object= there is no label to create.
    let o = run(
        &hsm,
        &["pkcs11", "import-components", &hsm.uri("hsm1", None)],
        comps.as_bytes(),
    );
    fails(&o, "needs object=LABEL");
}

#[test]
fn export_from_hsm1_import_into_hsm2_and_compare_kcvs() {
    let Some(hsm) = SoftHsm::new("cli-export", &["hsm1", "hsm2"]) else {
        return;
    };
    let transport = split(&hsm, TRANSPORT, "2");
    for token in ["hsm1", "hsm2"] {
        ok(run(
            &hsm,
            &[
                "pkcs11",
                "import-components",
                &hsm.uri(token, Some("KEK")),
                "--transport",
            ],
            transport.as_bytes(),
        ));
    }
    let dek1 = hsm.uri("hsm1", Some("DEK"));
    let dek2 = hsm.uri("hsm2", Some("DEK"));
    let comps = split(&hsm, RFC4493_256, "2");
    ok(run(
        &hsm,
        &["pkcs11", "import-components", &dek1, "--extractable"],
        comps.as_bytes(),
    ));

    let o = ok(run(
        &hsm,
        &[
            "pkcs11",
            "export",
            &dek1,
            "--wrapping-key",
            "pkcs11:object=KEK",
        ],
        b"",
    ));
    let file = o.stdout.clone();
    assert_eq!(&file[..8], b"kw-p11wk");
    let clear: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&RFC4493_256[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(
        !file.windows(4).any(|w| clear.windows(4).any(|k| k == w)),
        "clear key bytes in the file"
    );
    assert!(
        err(&o).contains("wrapped with RFC 5649 under \"KEK\""),
        "{}",
        err(&o)
    );

    let o = ok(run(
        &hsm,
        &[
            "pkcs11",
            "import",
            &dek2,
            "--wrapping-key",
            "pkcs11:object=KEK",
        ],
        &file,
    ));
    assert_eq!(out(&o), "KCV 1A0B2D\n");
    // Both HSMs hold the same key: equal, exit 0.
    let o = ok(run(&hsm, &["pkcs11", "kcv", &dek1, &dek2], b""));
    assert_eq!(out(&o).lines().count(), 2);
    assert!(
        out(&o).lines().all(|l| l.starts_with("1A0B2D\t")),
        "{}",
        out(&o)
    );
    assert!(err(&o).contains("all 2 KCVs are equal"), "{}", err(&o));
    // Two different keys: exit 1 naming the token whose KCV differs.
    let o = run(
        &hsm,
        &["pkcs11", "kcv", &dek1, &hsm.uri("hsm2", Some("KEK"))],
        b"",
    );
    fails(&o, "KCVs differ: token \"hsm2\"");
    assert_eq!(out(&o).lines().count(), 2, "every KCV is still printed");

    // The imported key is non-extractable: it cannot be exported again.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "export",
            &dek2,
            "--wrapping-key",
            "pkcs11:object=KEK",
        ],
        b"",
    );
    fails(&o, "CKA_EXTRACTABLE is false");
    assert!(o.stdout.is_empty());
    // A wrapping key in another token is refused.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "export",
            &dek1,
            "--wrapping-key",
            &hsm.uri("hsm2", Some("KEK")),
        ],
        b"",
    );
    fails(&o, "the wrapping key must be in the token of the key");

    // Under the wrong wrapping key: named before any unwrap, nothing created.
    ok(run(
        &hsm,
        &[
            "pkcs11",
            "import-components",
            &hsm.uri("hsm2", Some("KEK2")),
            "--transport",
        ],
        comps.as_bytes(),
    ));
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "import",
            &hsm.uri("hsm2", Some("DEK3")),
            "--wrapping-key",
            "pkcs11:object=KEK2",
        ],
        &file,
    );
    fails(&o, "the file was wrapped under a key with KCV");
    assert!(!keys(&hsm, "hsm2").iter().any(|l| l.contains("DEK3")));
    // A damaged file is refused naming the field.
    let mut damaged = file.clone();
    damaged[9] = 0xff;
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "import",
            &hsm.uri("hsm2", Some("DEK4")),
            "--wrapping-key",
            "pkcs11:object=KEK",
        ],
        &damaged,
    );
    fails(&o, "wrapped-key file: mechanism: expected 0x0000210A");
}

#[test]
fn pins_modules_and_uris_are_checked() {
    let Some(hsm) = SoftHsm::new("cli-pins", &["hsm1"]) else {
        return;
    };
    let module = hsm.module.to_str().unwrap().to_owned();
    // A PIN in the URI is refused without being echoed.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "kcv",
            &format!("pkcs11:token=hsm1;object=DEK?module-path={module}&pin-value=987123"),
        ],
        b"",
    );
    fails(&o, "pin-value attribute");
    assert!(!err(&o).contains("987123"));
    // No module anywhere.
    let o = run(&hsm, &["pkcs11", "list"], b"");
    fails(&o, "no PKCS#11 module");
    // --pkcs11-module and KEYWARD_PKCS11_MODULE name it.
    let o = ok(run(
        &hsm,
        &["pkcs11", "list", "--pkcs11-module", &module],
        b"",
    ));
    assert!(out(&o).contains("token \"hsm1\" (serial "), "{}", out(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args([
            "pkcs11",
            "list",
            "pkcs11:token=hsm1",
            "--pin-file",
            hsm.pin_file.to_str().unwrap(),
        ])
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env("KEYWARD_PKCS11_MODULE", &module)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("no secret key"), "{}", out(&o));
    // A wrong PIN names the token.
    let bad = hsm.dir.join("bad.pin");
    softhsm::write_secret(&bad, "999999\n");
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "list",
            &format!(
                "pkcs11:token=hsm1?module-path={module}&pin-source=file:{}",
                bad.display()
            ),
        ],
        b"",
    );
    fails(&o, "token \"hsm1\" (serial ");
    fails(&o, "wrong PIN");
    // An unknown token lists the tokens present.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "list",
            &format!("pkcs11:token=hsm9?module-path={module}"),
        ],
        b"",
    );
    fails(
        &o,
        "no token matches pkcs11:token=hsm9 (tokens present: token \"hsm1\"",
    );
    // A misspelt attribute is refused rather than matching every token.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "list",
            &format!("pkcs11:tokn=hsm1?module-path={module}"),
        ],
        b"",
    );
    fails(&o, "unknown path attribute `tokn`");
    // A missing key lists the keys there.
    let o = run(
        &hsm,
        &["pkcs11", "kcv", &hsm.uri("hsm1", Some("NOPE"))],
        b"",
    );
    fails(&o, "no secret key matches");
}

/// A token without CKM_AES_CMAC or CKM_AES_KEY_WRAP_PAD (SoftHSM2 configured
/// without them): every operation that needs one names it.
#[test]
fn a_mechanism_the_token_lacks_is_named() {
    let Some(hsm) = SoftHsm::with_conf(
        "cli-mechanisms",
        &["hsm1"],
        // The leading empty entry: SoftHSM2 2.6 ignores the first name after `-`.
        "slots.mechanisms = -,CKM_AES_CMAC,CKM_AES_KEY_WRAP_PAD",
    ) else {
        return;
    };
    let uri = hsm.uri("hsm1", Some("DEK"));
    let comps = split(&hsm, RFC4493_256, "2");
    // The CMAC check after creation cannot run: the new key is not kept.
    let o = run(
        &hsm,
        &["pkcs11", "import-components", &uri, "--extractable"],
        comps.as_bytes(),
    );
    fails(&o, "does not offer CKM_AES_CMAC");
    fails(&o, "nothing was kept");
    assert!(keys(&hsm, "hsm1").is_empty());
    // With the legacy method the token can check it.
    let ecb_comps = out(&ok(run(
        &hsm,
        &["components", "split", "--count", "2", "--method", "ecb"],
        RFC4493_256.as_bytes(),
    )));
    let o = ok(run(
        &hsm,
        &[
            "pkcs11",
            "import-components",
            &uri,
            "--extractable",
            "--method",
            "ecb",
        ],
        ecb_comps.as_bytes(),
    ));
    assert_eq!(out(&o), "KCV E568F6\n");
    let o = run(&hsm, &["pkcs11", "kcv", &uri], b"");
    fails(&o, "does not offer CKM_AES_CMAC (the CMAC KCV)");
    let listed = keys(&hsm, "hsm1");
    assert!(
        listed[0].contains("KCV - (the token does not offer CKM_AES_CMAC)"),
        "{listed:?}"
    );
    // A transport key has no CKA_ENCRYPT: its legacy KCV is refused by name.
    let kek = hsm.uri("hsm1", Some("KEK"));
    let t = out(&ok(run(
        &hsm,
        &["components", "split", "--count", "2", "--method", "ecb"],
        TRANSPORT.as_bytes(),
    )));
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "import-components",
            &kek,
            "--transport",
            "--method",
            "ecb",
        ],
        t.as_bytes(),
    );
    fails(&o, "CKA_ENCRYPT is false");
    // Export needs CKM_AES_KEY_WRAP_PAD.
    let o = run(
        &hsm,
        &[
            "pkcs11",
            "export",
            &uri,
            "--wrapping-key",
            "pkcs11:object=DEK",
            "--method",
            "ecb",
        ],
        b"",
    );
    fails(&o, "does not offer CKM_AES_KEY_WRAP_PAD");
    assert!(o.stdout.is_empty());
}

/// OpenSC interop: a key generated by `pkcs11-tool --keygen` (extractable,
/// not sensitive) has, computed by the token through keyward, the KCV that
/// keyward computes in software from the value pkcs11-tool reads out.
#[test]
fn pkcs11_tool_keygen_has_the_kcv_keyward_reports() {
    let Some(hsm) = SoftHsm::new("cli-opensc", &["hsm1"]) else {
        return;
    };
    let pin = softhsm::USER_PIN;
    let Some(gen_out) = hsm.pkcs11_tool(&[
        "--token-label",
        "hsm1",
        "--login",
        "--pin",
        pin,
        "--keygen",
        "--key-type",
        "AES:32",
        "--label",
        "GEN",
        "--extractable",
    ]) else {
        return;
    };
    assert!(gen_out.status.success(), "{}", err(&gen_out));
    let value_file = hsm.dir.join("gen.bin");
    let read = hsm
        .pkcs11_tool(&[
            "--token-label",
            "hsm1",
            "--login",
            "--pin",
            pin,
            "--read-object",
            "--type",
            "secrkey",
            "--label",
            "GEN",
            "--output-file",
            value_file.to_str().unwrap(),
        ])
        .unwrap();
    assert!(read.status.success(), "{}", err(&read));
    let value = std::fs::read(&value_file).unwrap();
    assert_eq!(value.len(), 32);
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    for method in ["cmac", "ecb"] {
        let software = ok(run(&hsm, &["kcv", "--method", method], hex.as_bytes()));
        let token = ok(run(
            &hsm,
            &[
                "pkcs11",
                "kcv",
                "--method",
                method,
                &hsm.uri("hsm1", Some("GEN")),
            ],
            b"",
        ));
        let sw = out(&software);
        let sw = sw.split_whitespace().last().unwrap();
        assert!(
            out(&token).starts_with(&format!("{sw}\t")),
            "{method}: software {sw}, token {}",
            out(&token)
        );
    }
    let listed = keys(&hsm, "hsm1");
    assert!(listed[0].contains("\"GEN\"\tAES-256\tKCV "), "{listed:?}");
}

/// `ceremony backup` of a 2-of-3 set with test Argon2 costs into `dir`;
/// returns the cards' KCV and the card paths.
fn backup_cards(hsm: &SoftHsm, dir: &std::path::Path) -> (String, Vec<String>) {
    let o = ok(run(
        hsm,
        &[
            "ceremony",
            "backup",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--out",
            dir.to_str().unwrap(),
            "--argon2-memory",
            "64",
            "--argon2-passes",
            "1",
            "--weak-argon2-for-tests",
            "--default-pin",
        ],
        b"",
    ));
    let text = out(&o);
    let mut lines = text.lines();
    let kcv = lines
        .next()
        .unwrap()
        .strip_prefix("KCV ")
        .unwrap()
        .to_owned();
    let cards = lines
        .map(|l| l.split_once('\t').unwrap().0.to_owned())
        .collect();
    (kcv, cards)
}

#[test]
fn ceremony_recover_into_creates_the_key_in_the_hsm_and_prints_no_key() {
    let Some(hsm) = SoftHsm::new("cli-recover-into", &["hsm1"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (kcv, cards) = backup_cards(&hsm, dir.path());
    // The key in clear, recovered to stdout, only to prove no byte of it is
    // printed in --into mode.
    let clear = out(&ok(run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[0],
            &cards[2],
        ],
        b"123456\n123456\n",
    )));
    let clear = clear.trim();
    assert_eq!(clear.len(), 64);

    let key_uri = hsm.uri("hsm1", Some("BACKUP_KEY_AES"));
    let o = ok(run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[2],
            &cards[1],
            "--into",
            &key_uri,
        ],
        b"123456\n123456\n",
    ));
    assert_eq!(out(&o), format!("KCV {kcv}\n"));
    assert!(
        err(&o).contains("computed by the token equals the cards' KCV"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("non-extractable"), "{}", err(&o));
    assert!(!out(&o).contains(clear) && !err(&o).contains(clear));
    assert!(!out(&o).contains(&clear[..16]) && !err(&o).contains(&clear[..16]));

    // The token's own KCV of the new object is the backup's.
    let o = ok(run(&hsm, &["pkcs11", "kcv", &key_uri], b""));
    assert!(out(&o).starts_with(&format!("{kcv}\t")), "{}", out(&o));
    let listed = keys(&hsm, "hsm1");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].contains(&format!(
            "\"BACKUP_KEY_AES\"\tAES-256\tKCV {kcv}\tnon-extractable"
        )),
        "{listed:?}"
    );

    // The label is taken: refused before any card is read (no PIN read, no
    // try spent), the token unchanged.
    let o = run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[0],
            &cards[1],
            "--into",
            &key_uri,
        ],
        b"",
    );
    fails(
        &o,
        "already holds a key labelled \"BACKUP_KEY_AES\"; give --replace to replace it (no card was read)",
    );
    let info = ok(run(&hsm, &["card", "info", &cards[0]], b""));
    assert!(out(&info).contains("tries left: 3"), "{}", out(&info));
    assert_eq!(keys(&hsm, "hsm1"), listed);

    // --replace --extractable: still one key, the same KCV, now extractable.
    ok(run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[0],
            &cards[1],
            "--into",
            &key_uri,
            "--replace",
            "--extractable",
        ],
        b"123456\n123456\n",
    ));
    let listed = keys(&hsm, "hsm1");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].contains(&format!(
            "\"BACKUP_KEY_AES\"\tAES-256\tKCV {kcv}\textractable"
        )),
        "{listed:?}"
    );

    // --into without object= names what is missing; --extractable alone is a
    // usage error.
    let o = run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[0],
            &cards[1],
            "--into",
            &hsm.uri("hsm1", None),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("object="), "{}", err(&o));
    let o = run(
        &hsm,
        &[
            "ceremony",
            "recover",
            "--weak-argon2-for-tests",
            &cards[0],
            &cards[1],
            "--extractable",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}
