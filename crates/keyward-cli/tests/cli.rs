#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The `keyward` CLI contract (issue 3): stdin in, stdout results, stderr
//! messages, exit codes 0 / 1 / 2.

mod common;
use common::{keyward, stderr, stdout};

const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const K256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

#[test]
fn kcv_known_answers_from_design_md() {
    for (key, method, want) in [
        (K128, "cmac", "7AD386"),
        (K128, "ecb", "7DF76B"),
        (K256, "cmac", "1A0B2D"),
        (K256, "ecb", "E568F6"),
    ] {
        let o = keyward(&["kcv", "--method", method], &format!("{key}\n"));
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), format!("{want}\n"), "{method}");
    }
    // Default method is CMAC.
    assert_eq!(stdout(&keyward(&["kcv"], K256)), "1A0B2D\n");
}

#[test]
fn bad_key_input_is_one_line_and_exit_1() {
    let o = keyward(
        &["kcv"],
        "603deb1015ca71be2b73aef0857d7781\u{20}1f352c073b6108d72d9810a30914dfzz\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: invalid hex character 'z' at position 64\n"
    );
    assert!(stdout(&o).is_empty());
    let o = keyward(&["kcv"], "00112233\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("found 8"), "{}", stderr(&o));
    let o = keyward(&["kcv"], "");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        keyward(&["kcv", "--method", "des"], K256).status.code(),
        Some(2)
    );
    assert_eq!(
        keyward(&["key", "generate", "--bytes", "20"], "")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        keyward(&["components", "split", "--count", "17"], K256)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(keyward(&["no-such-command"], "").status.code(), Some(2));
}

#[test]
fn key_generate_prints_hex_and_kcv_on_stderr() {
    for (bytes, digits) in [("16", 32), ("24", 48), ("32", 64)] {
        let o = keyward(&["key", "generate", "--bytes", bytes], "");
        assert!(o.status.success());
        let hex = stdout(&o);
        let hex = hex.trim_end();
        assert_eq!(hex.len(), digits);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        // The KCV on stderr is the KCV of the printed key.
        let kcv = stdout(&keyward(&["kcv"], hex));
        assert_eq!(stderr(&o), format!("KCV {kcv}"));
    }
    let a = stdout(&keyward(&["key", "generate"], ""));
    let b = stdout(&keyward(&["key", "generate"], ""));
    assert_ne!(a, b);
}

#[test]
fn components_split_then_combine_round_trips() {
    let split = keyward(&["components", "split", "--count", "3"], K256);
    assert!(split.status.success(), "{}", stderr(&split));
    let text = stdout(&split);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3], "KCV 1A0B2D");
    for l in &lines[..3] {
        let (hex, kcv) = l.split_once(' ').unwrap();
        assert_eq!(hex.len(), 64);
        assert_eq!(stdout(&keyward(&["kcv"], hex)).trim(), kcv);
    }
    let combined = keyward(&["components", "combine"], &text);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K256}\n"));
    assert_eq!(stderr(&combined), "KCV 1A0B2D\n");
    // ECB method throughout: the form records it (docs/formats.md, "XOR key
    // components"), so combine needs no --method.
    let split = keyward(
        &["components", "split", "--count", "2", "--method", "ecb"],
        K128,
    );
    let form = stdout(&split);
    assert!(form.ends_with("\nKCV-ECB 7DF76B\n"), "{form}");
    for l in form.lines().take(2) {
        let (hex, kcv) = l.split_once(' ').unwrap();
        assert_eq!(
            stdout(&keyward(&["kcv", "--method", "ecb"], hex)).trim(),
            kcv
        );
    }
    let combined = keyward(&["components", "combine"], &form);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K128}\n"));
    assert_eq!(stderr(&combined), "KCV-ECB 7DF76B\n");
    // The agreeing --method is accepted.
    let combined = keyward(&["components", "combine", "--method", "ecb"], &form);
    assert_eq!(stdout(&combined), format!("{K128}\n"));
    // A form printed before the method was recorded (last line `KCV`) still
    // combines with --method ecb.
    let old_form = form.replace("KCV-ECB", "KCV");
    let combined = keyward(&["components", "combine", "--method", "ecb"], &old_form);
    assert!(combined.status.success(), "{}", stderr(&combined));
    assert_eq!(stdout(&combined), format!("{K128}\n"));
}

#[test]
fn a_method_conflicting_with_the_form_is_named() {
    let form = stdout(&keyward(
        &["components", "split", "--count", "2", "--method", "ecb"],
        K128,
    ));
    let o = keyward(&["components", "combine", "--method", "cmac"], &form);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: line 3: the KCV-ECB line records KCV method ecb, but --method cmac was given\n"
    );
    assert!(stdout(&o).is_empty());
    // Two label lines that disagree.
    let o = keyward(
        &["components", "combine"],
        &format!("{form}KCV-CMAC 7AD386\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: line 4: a KCV-CMAC line, but line 3 is a KCV-ECB line: one KCV method per form\n"
    );
    // An ECB form without its label line: the error points at --method ecb.
    let bare: String = form.lines().take(2).map(|l| format!("{l}\n")).collect();
    let o = keyward(&["components", "combine"], &bare);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("keyward: error: line 1: component 1: KCV mismatch"),
        "{err}"
    );
    assert!(
        err.ends_with("(every component's KCV matches the legacy ECB method: give --method ecb)\n"),
        "{err}"
    );
    // An explicit KCV-CMAC line combines a CMAC form.
    let cmac = stdout(&keyward(&["components", "split", "--count", "2"], K128))
        .replace("KCV ", "kcv-cmac ");
    let o = keyward(&["components", "combine"], &cmac);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{K128}\n"));
}

#[test]
fn a_changed_component_fails_naming_its_line() {
    let text = stdout(&keyward(&["components", "split", "--count", "3"], K256));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Change one hex digit of the second component, keep its KCV.
    let mut chars: Vec<char> = lines[1].chars().collect();
    chars[10] = if chars[10] == '0' { '1' } else { '0' };
    lines[1] = chars.into_iter().collect();
    // A blank line before it: line numbers count every input line.
    let input = format!("{}\n\n{}\n{}\n{}\n", lines[0], lines[1], lines[2], lines[3]);
    let o = keyward(&["components", "combine"], &input);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("keyward: error: line 3: component 2: KCV mismatch"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert!(stdout(&o).is_empty());
    // Without per-component KCVs, the combined KCV catches it.
    let bare: String = lines[..3]
        .iter()
        .map(|l| format!("{}\n", &l[..64]))
        .collect::<String>()
        + &lines[3]
        + "\n";
    let o = keyward(&["components", "combine"], &bare);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("combined key: KCV mismatch: expected 1A0B2D"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn hashkey_check() {
    let o = keyward(&["hashkey", "check"], "0123456789abcdef0123456789abcde\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "keyward: error: a HashKey must be exactly 32 characters, found 31 of 32\n"
    );
    let o = keyward(&["hashkey", "check"], "keyward-default-hashkey-CHANGEME\n");
    assert!(o.status.success());
    assert_eq!(stdout(&o), "valid HashKey, key id 7ecc060f\n");
    assert!(stderr(&o).contains("built-in default"));
    let o = keyward(&["hashkey", "check"], "SecretPart1 SecretPart2 Secret33\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("SecretPart"));
}

#[test]
fn demo_passes_and_ends_with_a_summary_line() {
    let o = keyward(&["demo"], "");
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("demo: ") && last.ends_with(" passed, 0 failed"),
        "{last}"
    );
    assert!(!out.contains("FAIL"));
}
