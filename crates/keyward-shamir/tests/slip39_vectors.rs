//! The 45 official SLIP-0039 test vectors (passphrase "TREZOR").
//!
//! Source: `vectors.json` of trezor/python-shamir-mnemonic (MIT, SatoshiLabs),
//! copied unchanged to `tests/data/slip39_vectors.json`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use keyward_shamir::Error;
use keyward_shamir::slip39;

/// The error kind each invalid vector must fail with, by vector number
/// (the number that starts its description), written out from the
/// descriptions in the file.
fn expected_kind(number: usize) -> &'static str {
    match number {
        2 | 21 => "checksum",
        3 | 22 => "padding",
        5 | 24 => "insufficient",
        6 | 25 => "identifier",
        7 | 26 => "iteration exponent",
        8 | 27 => "group threshold",
        9 | 28 => "group count",
        10 | 29 => "group threshold above count",
        11 | 30 => "duplicate member index",
        12 | 31 => "member threshold",
        13 | 32 => "digest",
        14 | 15 | 16 | 33 | 34 | 35 => "insufficient",
        39 | 40 => "length",
        _ => "no error expected",
    }
}

fn kind_of(e: &Error) -> &'static str {
    use keyward_shamir::Field;
    match e {
        Error::Checksum { .. } => "checksum",
        Error::Padding { .. } => "padding",
        Error::ForeignShare {
            field: Field::Identifier,
            ..
        } => "identifier",
        Error::ForeignShare {
            field: Field::IterationExponent,
            ..
        } => "iteration exponent",
        Error::ForeignShare {
            field: Field::GroupThreshold,
            ..
        } => "group threshold",
        Error::ForeignShare {
            field: Field::GroupCount,
            ..
        } => "group count",
        Error::ForeignShare {
            field: Field::MemberThreshold,
            ..
        } => "member threshold",
        Error::GroupThresholdAboveCount { .. } => "group threshold above count",
        Error::ConflictingShares { .. } => "duplicate member index",
        Error::Digest { .. } => "digest",
        Error::InsufficientGroups { .. } | Error::InsufficientMembers { .. } => "insufficient",
        Error::MnemonicLength { .. } => "length",
        _ => "other",
    }
}

#[test]
fn all_45_official_vectors() {
    let text = include_str!("data/slip39_vectors.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = v.as_array().unwrap();
    assert_eq!(cases.len(), 45);
    let mut passed = 0;
    for case in cases {
        let desc = case[0].as_str().unwrap();
        let mnemonics: Vec<&str> = case[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let want = case[2].as_str().unwrap();
        let got = slip39::combine_mnemonics(&mnemonics, b"TREZOR");
        let number: usize = desc.split('.').next().unwrap().parse().unwrap();
        if want.is_empty() {
            let err = got.expect_err(desc);
            assert_eq!(
                kind_of(&err),
                expected_kind(number),
                "{desc}: got {err:?} ({err})"
            );
        } else {
            assert_eq!(expected_kind(number), "no error expected");
            let secret = got.unwrap_or_else(|e| panic!("{desc}: {e}"));
            assert_eq!(hex(secret.expose_secret()), want, "{desc}");
            // Every valid share re-encodes to the same words and survives the
            // bytes form exactly.
            for (i, m) in mnemonics.iter().enumerate() {
                let share = slip39::Share::from_mnemonic(m, i + 1).unwrap();
                assert_eq!(share.to_mnemonic().as_str(), *m, "{desc}");
                let bytes = share.to_bytes();
                assert_eq!(bytes.len(), (m.split(' ').count() * 10).div_ceil(8));
                assert_eq!(slip39::Share::from_bytes(&bytes, 1).unwrap(), share);
            }
        }
        passed += 1;
    }
    assert_eq!(passed, 45);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
