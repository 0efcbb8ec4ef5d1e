//! Known answers from the independent Python implementation
//! (`tests/data/gen_vectors.py` → `tests/data/superpin_vectors.json`).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::needless_range_loop
)]

use keyward_core::SecretBytes;
use keyward_superpin::{
    AccountKeys, Argon2Params, CodeKind, Error, KeyPurpose, RecoveryCode, Repository, SuperPin,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/superpin_vectors.json")).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn purpose(label: &str) -> KeyPurpose {
    KeyPurpose::ALL
        .into_iter()
        .find(|p| p.label() == label)
        .unwrap()
}

#[test]
fn algebra_constants_match_the_python_implementation() {
    let v = vectors();
    let weights: Vec<u8> = serde_json::from_value(v["weights"].clone()).unwrap();
    assert_eq!(weights, keyward_superpin::WEIGHTS);
    let sp: Vec<u8> = serde_json::from_value(v["group_constants"]["super-pin"].clone()).unwrap();
    assert_eq!(sp, SuperPin::GROUP_CONSTANTS);
    let rc: Vec<u8> =
        serde_json::from_value(v["group_constants"]["recovery-code"].clone()).unwrap();
    assert_eq!(rc, RecoveryCode::GROUP_CONSTANTS);
}

#[test]
fn codes_display_and_derive_keys_like_python() {
    let v = vectors();
    let codes = v["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 16);
    for c in codes {
        let name = c["name"].as_str().unwrap();
        let symbols: Vec<u8> = serde_json::from_value(c["payload_symbols"].clone()).unwrap();
        let display = c["display"].as_str().unwrap();
        let keys = c["keys"].as_object().unwrap();
        let check =
            |shown: String, parsed_eq: bool, derived: &dyn Fn(KeyPurpose) -> SecretBytes<32>| {
                assert_eq!(shown, display, "{name}");
                assert!(parsed_eq, "{name}: parse(display) differs");
                for (label, want) in keys {
                    let got = derived(purpose(label));
                    assert_eq!(
                        got.expose_secret().to_vec(),
                        hex(want.as_str().unwrap()),
                        "{name} {label}"
                    );
                }
            };
        match c["kind"].as_str().unwrap() {
            "super-pin" => {
                let pin =
                    SuperPin::from_payload_symbols(&symbols.clone().try_into().unwrap()).unwrap();
                let parsed = SuperPin::parse(display).unwrap();
                check(pin.to_string(), parsed == pin, &|p| pin.derive_key(p));
            }
            "recovery-code" => {
                let code = RecoveryCode::from_payload_symbols(&symbols.clone().try_into().unwrap())
                    .unwrap();
                let parsed = RecoveryCode::parse(display).unwrap();
                check(code.to_string(), parsed == code, &|p| code.derive_key(p));
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

fn kind_of(s: &str) -> CodeKind {
    match s {
        "super-pin" => CodeKind::SuperPin,
        "recovery-code" => CodeKind::RecoveryCode,
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn parse_results_match_python() {
    let v = vectors();
    let cases = v["parse"].as_array().unwrap();
    assert!(cases.len() >= 35);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let input = c["input"].as_str().unwrap();
        let kind = kind_of(c["kind"].as_str().unwrap());
        let (result, shown) = match kind {
            CodeKind::SuperPin => {
                let r = SuperPin::parse(input);
                (
                    r.as_ref().map(|_| ()).map_err(|e| *e),
                    r.map(|p| p.to_string()).ok(),
                )
            }
            CodeKind::RecoveryCode => {
                let r = RecoveryCode::parse(input);
                (
                    r.as_ref().map(|_| ()).map_err(|e| *e),
                    r.map(|p| p.to_string()).ok(),
                )
            }
        };
        let u = |k: &str| usize::try_from(c[k].as_u64().unwrap()).unwrap();
        match c["result"].as_str().unwrap() {
            "ok" => {
                assert_eq!(shown.as_deref(), c["display"].as_str(), "{name}");
            }
            "check" => {
                let groups: Vec<usize> = serde_json::from_value(c["groups"].clone()).unwrap();
                let Err(Error::Check {
                    kind: k,
                    groups: got,
                    ..
                }) = result
                else {
                    panic!("{name}: expected a check error, got {result:?}");
                };
                assert_eq!(k, kind);
                assert_eq!(got.iter().collect::<Vec<_>>(), groups, "{name}");
            }
            "length" => assert_eq!(
                result,
                Err(Error::Length {
                    kind,
                    expected: u("expected"),
                    found: u("found")
                }),
                "{name}"
            ),
            "letter_u" => assert_eq!(
                result,
                Err(Error::LetterU {
                    kind,
                    position: u("position"),
                    group: u("group"),
                    index: u("index")
                }),
                "{name}"
            ),
            "character" => assert_eq!(
                result,
                Err(Error::Character {
                    kind,
                    position: u("position"),
                    group: u("group"),
                    index: u("index"),
                    character: c["character"].as_str().unwrap().chars().next().unwrap(),
                }),
                "{name}"
            ),
            "version" => assert_eq!(
                result,
                Err(Error::Version {
                    kind,
                    found: u8::try_from(u("found")).unwrap(),
                    expected: 1
                }),
                "{name}"
            ),
            other => panic!("unknown result {other}"),
        }
    }
}

#[test]
fn account_keys_record_from_python_unlocks_every_slot() {
    let v = vectors();
    let a = &v["account_keys"];
    let record = hex(a["record_hex"].as_str().unwrap());
    let master = hex(a["master_key_hex"].as_str().unwrap());
    let mut keys = AccountKeys::from_bytes(&record).unwrap();
    assert_eq!(keys.to_bytes(), record, "re-encoding differs");
    assert_eq!(
        keys.account_id(),
        a["account_id"].as_str().unwrap().as_bytes()
    );
    assert_eq!(
        keys.password_params(),
        Argon2Params {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1
        }
    );
    // The Argon2id KEK itself.
    let salt: [u8; 16] = hex(a["salt_hex"].as_str().unwrap()).try_into().unwrap();
    let kek = keys
        .password_params()
        .derive(a["password"].as_str().unwrap().as_bytes(), &salt)
        .unwrap();
    assert_eq!(
        kek.expose_secret().to_vec(),
        hex(a["password_kek_hex"].as_str().unwrap())
    );

    let by_pw = keys
        .unlock_with_password(a["password"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(by_pw.expose_secret().to_vec(), master);
    let pin = SuperPin::parse(a["super_pin"].as_str().unwrap()).unwrap();
    assert_eq!(
        keys.unlock_with_super_pin(&pin)
            .unwrap()
            .expose_secret()
            .to_vec(),
        master
    );
    let used = RecoveryCode::parse(a["used_recovery_code"].as_str().unwrap()).unwrap();
    assert_eq!(
        keys.unlock_with_recovery_code(&used).unwrap_err(),
        Error::RecoveryCodeUsed
    );
    let rc = RecoveryCode::parse(a["recovery_code"].as_str().unwrap()).unwrap();
    assert_eq!(
        keys.unlock_with_recovery_code(&rc)
            .unwrap()
            .expose_secret()
            .to_vec(),
        master
    );
    assert_eq!(
        keys.unlock_with_recovery_code(&rc).unwrap_err(),
        Error::RecoveryCodeUsed
    );
}

#[test]
fn repository_record_from_python_opens_and_issues_a_recovery_code() {
    let v = vectors();
    let r = &v["repository"];
    let record = hex(r["record_hex"].as_str().unwrap());
    let mut repo = Repository::from_bytes(&record).unwrap();
    assert_eq!(repo.to_bytes(), record, "re-encoding differs");
    assert_eq!(repo.id(), r["repository_id"].as_str().unwrap().as_bytes());
    let a = &v["account_keys"];
    let mut keys = AccountKeys::from_bytes(&hex(a["record_hex"].as_str().unwrap())).unwrap();
    assert!(repo.contains(keys.account_id()));
    assert_eq!(
        repo.open("a wrong master password, long enough")
            .unwrap_err(),
        Error::MasterPassword
    );
    let open = repo.open(r["master_password"].as_str().unwrap()).unwrap();
    let mut rng = keyward_core::os_rng();
    let code = open.issue_recovery_code(&mut keys, &mut rng).unwrap();
    let master = keys.unlock_with_recovery_code(&code).unwrap();
    assert_eq!(
        master.expose_secret().to_vec(),
        hex(a["master_key_hex"].as_str().unwrap())
    );
}
