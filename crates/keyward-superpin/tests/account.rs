//! Account recovery slots and the escrow repository. Small Argon2 parameters
//! keep these fast; one test runs the OWASP defaults.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::needless_range_loop
)]

use keyward_core::os_rng;
use keyward_superpin::{
    AccountKeys, Argon2Params, Error, KeyPurpose, Proof, Record, RecoveryCode, Repository,
    SlotKind, SuperPin,
};

const FAST: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const MASTER_PW: &str = "twenty-two characters!";

fn account(id: &str) -> (AccountKeys, keyward_core::Aes256Key) {
    AccountKeys::create(id.as_bytes(), b"hunter2", FAST, &mut os_rng()).unwrap()
}

#[test]
fn unlock_with_password_and_super_pin() {
    let mut rng = os_rng();
    let (mut keys, master) = account("alice");
    assert!(!keys.has_super_pin());
    assert_eq!(keys.unlock_with_password(b"hunter2").unwrap(), master);
    assert_eq!(
        keys.unlock_with_password(b"hunter3").unwrap_err(),
        Error::Unlock {
            slot: SlotKind::Password
        }
    );
    let stranger = SuperPin::generate(&mut rng);
    assert_eq!(
        keys.unlock_with_super_pin(&stranger).unwrap_err(),
        Error::NoSuperPin
    );
    // Activation needs proof.
    assert_eq!(
        keys.activate_super_pin(Proof::Password(b"wrong"), &mut rng)
            .unwrap_err(),
        Error::Unlock {
            slot: SlotKind::Password
        }
    );
    let pin = keys
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    assert!(keys.has_super_pin());
    assert_eq!(keys.unlock_with_super_pin(&pin).unwrap(), master);
    assert_eq!(
        keys.unlock_with_super_pin(&stranger).unwrap_err(),
        Error::Unlock {
            slot: SlotKind::SuperPin
        }
    );
    // Round trip through the record.
    let again = AccountKeys::from_bytes(&keys.to_bytes()).unwrap();
    assert_eq!(again, keys);
    assert_eq!(again.unlock_with_super_pin(&pin).unwrap(), master);
}

#[test]
fn slots_are_bound_to_the_account_id() {
    let mut rng = os_rng();
    let (mut alice, _) = account("alice");
    let pin = alice
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    // Move alice's slots under bob's id: the associated data no longer
    // matches, so nothing unlocks.
    let rec = alice.to_bytes();
    let mut forged = Vec::new();
    forged.extend_from_slice(&rec[..5]);
    forged.push(5);
    forged.extend_from_slice(b"alicf");
    forged.extend_from_slice(&rec[11..]);
    let bob = AccountKeys::from_bytes(&forged).unwrap();
    assert_eq!(bob.account_id(), b"alicf");
    assert_eq!(
        bob.unlock_with_password(b"hunter2").unwrap_err(),
        Error::Unlock {
            slot: SlotKind::Password
        }
    );
    assert_eq!(
        bob.unlock_with_super_pin(&pin).unwrap_err(),
        Error::Unlock {
            slot: SlotKind::SuperPin
        }
    );
}

#[test]
fn change_password_requires_proof_and_recovery_codes_are_one_time() {
    let mut rng = os_rng();
    let (mut keys, master) = account("carol");
    let pin = keys
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();

    // Wrong proofs change nothing.
    let before = keys.to_bytes();
    assert!(
        keys.change_password(Proof::Password(b"nope"), b"new", FAST, &mut rng)
            .is_err()
    );
    let other_pin = SuperPin::generate(&mut rng);
    assert!(
        keys.change_password(Proof::SuperPin(&other_pin), b"new", FAST, &mut rng)
            .is_err()
    );
    let stray = RecoveryCode::generate(&mut rng);
    assert_eq!(
        keys.change_password(Proof::RecoveryCode(&stray), b"new", FAST, &mut rng)
            .unwrap_err(),
        Error::RecoveryCodeUnknown
    );
    assert_eq!(keys.to_bytes(), before);

    // By current password.
    keys.change_password(Proof::Password(b"hunter2"), b"pw-2", FAST, &mut rng)
        .unwrap();
    assert!(keys.unlock_with_password(b"hunter2").is_err());
    assert_eq!(keys.unlock_with_password(b"pw-2").unwrap(), master);
    // Lost password: by Super PIN.
    keys.change_password(Proof::SuperPin(&pin), b"pw-3", FAST, &mut rng)
        .unwrap();
    assert_eq!(keys.unlock_with_password(b"pw-3").unwrap(), master);
    // By Recovery Code: consumed.
    let code = keys
        .issue_recovery_code(Proof::SuperPin(&pin), &mut rng)
        .unwrap();
    assert_eq!(keys.recovery_code_count(), 1);
    keys.change_password(Proof::RecoveryCode(&code), b"pw-4", FAST, &mut rng)
        .unwrap();
    assert_eq!(keys.recovery_code_count(), 0);
    assert_eq!(keys.unlock_with_password(b"pw-4").unwrap(), master);
    assert_eq!(
        keys.change_password(Proof::RecoveryCode(&code), b"pw-5", FAST, &mut rng)
            .unwrap_err(),
        Error::RecoveryCodeUsed
    );
    // Persisted state remembers the use.
    let mut reloaded = AccountKeys::from_bytes(&keys.to_bytes()).unwrap();
    assert_eq!(
        reloaded.unlock_with_recovery_code(&code).unwrap_err(),
        Error::RecoveryCodeUsed
    );
    assert_eq!(
        Error::RecoveryCodeUsed.to_string(),
        "this Recovery Code has already been used; ask the manager for a new one"
    );
}

#[test]
fn recovery_code_slots_are_limited_and_old_uses_forgotten() {
    let mut rng = os_rng();
    let (mut keys, master) = account("dave");
    let pin = keys
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    let mut codes = Vec::new();
    for _ in 0..16 {
        codes.push(
            keys.issue_recovery_code(Proof::SuperPin(&pin), &mut rng)
                .unwrap(),
        );
    }
    assert_eq!(
        keys.issue_recovery_code(Proof::SuperPin(&pin), &mut rng)
            .unwrap_err(),
        Error::TooManyRecoveryCodes { max: 16 }
    );
    for c in &codes {
        assert_eq!(keys.unlock_with_recovery_code(c).unwrap(), master);
    }
    let rec = keys.to_bytes();
    assert_eq!(AccountKeys::from_bytes(&rec).unwrap(), keys);
}

#[test]
fn corrupted_or_truncated_records_are_errors() {
    let mut rng = os_rng();
    let (mut keys, master) = account("erin");
    let pin = keys
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    keys.issue_recovery_code(Proof::SuperPin(&pin), &mut rng)
        .unwrap();
    let rec = keys.to_bytes();
    // Every truncation.
    for n in 0..rec.len() {
        let e = AccountKeys::from_bytes(&rec[..n]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Truncated {
                    record: Record::AccountKeys,
                    ..
                }
            ),
            "{n}: {e:?}"
        );
    }
    // Trailing bytes.
    let mut long = rec.clone();
    long.push(0);
    assert_eq!(
        AccountKeys::from_bytes(&long).unwrap_err(),
        Error::TrailingBytes {
            record: Record::AccountKeys,
            found: 1
        }
    );
    // Header fields.
    let mut bad = rec.clone();
    bad[0] = b'X';
    assert_eq!(
        AccountKeys::from_bytes(&bad).unwrap_err(),
        Error::Magic {
            record: Record::AccountKeys
        }
    );
    let mut bad = rec.clone();
    bad[4] = 2;
    assert_eq!(
        AccountKeys::from_bytes(&bad).unwrap_err(),
        Error::RecordVersion {
            record: Record::AccountKeys,
            found: 2,
            expected: 1
        }
    );
    // Argon2 memory below Argon2's minimum.
    let mut bad = rec.clone();
    bad[10..14].copy_from_slice(&1u32.to_be_bytes());
    assert!(matches!(
        AccountKeys::from_bytes(&bad).unwrap_err(),
        Error::Field {
            offset: 10,
            field: "Argon2 parameters",
            ..
        }
    ));
    // Super PIN flag 2.
    let flag_at = 5 + 1 + 4 + 12 + 16 + 48; // 86
    let mut bad = rec.clone();
    bad[flag_at] = 2;
    assert!(matches!(
        AccountKeys::from_bytes(&bad).unwrap_err(),
        Error::Field {
            field: "Super PIN flag",
            ..
        }
    ));
    // Every single bit flip: an error, or a record whose slots yield the
    // master key or fail, never another key (SIV authenticates every wrapped
    // byte, and the account id is associated data). Flips in the Argon2
    // parameters (bytes 10..22) are not unlocked: they may ask for up to the
    // 1 GiB cap.
    let mut parsed = 0;
    for i in 0..rec.len() {
        for bit in 0..8 {
            let mut bad = rec.clone();
            bad[i] ^= 1 << bit;
            if let Ok(k) = AccountKeys::from_bytes(&bad) {
                parsed += 1;
                assert_ne!(k, keys);
                if !(10..22).contains(&i) {
                    if let Ok(m) = k.unlock_with_password(b"hunter2") {
                        assert_eq!(m, master, "flip {i}.{bit}");
                        assert!(
                            i >= 38 + 48,
                            "flip {i}.{bit} in the password slot still opens it"
                        );
                    }
                }
                if let Ok(m) = k.unlock_with_super_pin(&pin) {
                    assert_eq!(m, master, "flip {i}.{bit}");
                    assert!(
                        !(87..87 + 48).contains(&i),
                        "flip {i}.{bit} in the Super PIN slot still opens it"
                    );
                }
            }
        }
    }
    assert!(parsed > rec.len() * 4, "{parsed}");
}

#[test]
fn master_password_must_have_twenty_characters() {
    let mut rng = os_rng();
    let e = Repository::create(b"example.com", "nineteen characters", FAST, &mut rng).unwrap_err();
    assert_eq!(e, Error::MasterPasswordLength { found: 19, min: 20 });
    assert_eq!(
        e.to_string(),
        "a Master Password must have at least 20 characters, found 19"
    );
    // Characters, not bytes: 20 characters of which some are multi-byte.
    assert!(Repository::create(b"example.com", "äöüäöüäöüäöüäöüäöüäö", FAST, &mut rng).is_ok());
}

#[test]
fn repository_escrow_issue_recovery_code_and_rekey() {
    let mut rng = os_rng();
    let mut repo = Repository::create(b"example.com", MASTER_PW, FAST, &mut rng).unwrap();
    let (mut alice, master) = account("alice");
    let pin = alice
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    let (mut bob, _) = account("bob");

    {
        let mut open = repo.open(MASTER_PW).unwrap();
        // Escrow needs the right Super PIN.
        let wrong = SuperPin::generate(&mut rng);
        assert_eq!(
            open.escrow(&alice, &wrong).unwrap_err(),
            Error::Unlock {
                slot: SlotKind::SuperPin
            }
        );
        open.escrow(&alice, &pin).unwrap();
        assert_eq!(
            open.escrow(&alice, &pin).unwrap_err(),
            Error::AlreadyEscrowed
        );
        assert_eq!(
            open.issue_recovery_code(&mut bob, &mut rng).unwrap_err(),
            Error::NotEscrowed
        );
    }
    assert_eq!(repo.len(), 1);
    assert_eq!(
        repo.open("twenty-two characters?").unwrap_err(),
        Error::MasterPassword
    );

    // The user lost the password; the manager issues a Recovery Code.
    let stored = repo.to_bytes();
    let mut repo = Repository::from_bytes(&stored).unwrap();
    let code = repo
        .open(MASTER_PW)
        .unwrap()
        .issue_recovery_code(&mut alice, &mut rng)
        .unwrap();
    let mut alice = AccountKeys::from_bytes(&alice.to_bytes()).unwrap();
    alice
        .change_password(Proof::RecoveryCode(&code), b"fresh", FAST, &mut rng)
        .unwrap();
    assert_eq!(alice.unlock_with_password(b"fresh").unwrap(), master);
    assert_eq!(
        alice.unlock_with_recovery_code(&code).unwrap_err(),
        Error::RecoveryCodeUsed
    );

    // Re-key under a new Master Password.
    let new_pw = "another master password";
    repo.open(MASTER_PW)
        .unwrap()
        .change_master_password(new_pw, FAST, &mut rng)
        .unwrap();
    assert_eq!(repo.open(MASTER_PW).unwrap_err(), Error::MasterPassword);
    let code2 = repo
        .open(new_pw)
        .unwrap()
        .issue_recovery_code(&mut alice, &mut rng)
        .unwrap();
    assert_eq!(alice.unlock_with_recovery_code(&code2).unwrap(), master);
    // Too short a new Master Password is refused and changes nothing.
    let before = repo.to_bytes();
    assert_eq!(
        repo.open(new_pw)
            .unwrap()
            .change_master_password("short", FAST, &mut rng)
            .unwrap_err(),
        Error::MasterPasswordLength { found: 5, min: 20 }
    );
    assert_eq!(repo.to_bytes(), before);
    // Disable escrow for alice.
    assert!(repo.open(new_pw).unwrap().remove(b"alice"));
    assert!(!repo.contains(b"alice"));
    // The Super PIN is not in the repository record.
    let packed_hex_free = repo.to_bytes();
    let kek = pin.derive_key(KeyPurpose::AccountSlot);
    assert!(
        !packed_hex_free
            .windows(32)
            .any(|w| w == kek.expose_secret())
    );
}

#[test]
fn repository_records_fail_cleanly() {
    let mut rng = os_rng();
    let mut repo = Repository::create(b"example.com", MASTER_PW, FAST, &mut rng).unwrap();
    let (mut alice, _) = account("alice");
    let pin = alice
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    repo.open(MASTER_PW).unwrap().escrow(&alice, &pin).unwrap();
    let rec = repo.to_bytes();
    for n in 0..rec.len() {
        assert!(matches!(
            Repository::from_bytes(&rec[..n]).unwrap_err(),
            Error::Truncated {
                record: Record::Repository,
                ..
            }
        ));
    }
    // An account keys record is not a repository.
    assert_eq!(
        Repository::from_bytes(&alice.to_bytes()).unwrap_err(),
        Error::Magic {
            record: Record::Repository
        }
    );
    // A damaged escrow entry: opening works, issuing reports the entry.
    let mut bad = rec.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut damaged = Repository::from_bytes(&bad).unwrap();
    let open = damaged.open(MASTER_PW).unwrap();
    assert_eq!(
        open.issue_recovery_code(&mut alice, &mut rng).unwrap_err(),
        Error::EscrowEntry
    );
}

#[test]
fn debug_output_has_no_secrets() {
    let mut rng = os_rng();
    let (mut keys, master) = account("frank");
    let pin = keys
        .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
        .unwrap();
    let d = format!("{keys:?}");
    assert!(
        d.contains("\"frank\"") && d.contains("super_pin: true"),
        "{d}"
    );
    assert_eq!(
        format!("{:?}", Proof::SuperPin(&pin)),
        "Proof::SuperPin([REDACTED])"
    );
    assert_eq!(
        format!("{:?}", Proof::Password(b"hunter2")),
        "Proof::Password([REDACTED])"
    );
    assert!(!format!("{master:?}").contains(&master.expose_hex()[..8]));
    let k = pin.derive_key(KeyPurpose::AccountSlot);
    assert_eq!(format!("{k:?}"), "SecretBytes<32>([REDACTED])");
}

#[test]
fn owasp_default_parameters() {
    assert_eq!(
        Argon2Params::default(),
        Argon2Params {
            m_cost_kib: 19_456,
            t_cost: 2,
            p_cost: 1
        }
    );
    let mut rng = os_rng();
    let (keys, master) =
        AccountKeys::create(b"grace", b"a real password", Argon2Params::OWASP, &mut rng).unwrap();
    let keys = AccountKeys::from_bytes(&keys.to_bytes()).unwrap();
    assert_eq!(keys.password_params(), Argon2Params::OWASP);
    assert_eq!(
        keys.unlock_with_password(b"a real password").unwrap(),
        master
    );
}

mod mutations {
    use super::*;
    use proptest::prelude::*;

    fn sample_record() -> Vec<u8> {
        let mut rng = os_rng();
        let (mut keys, _) = account("mallory");
        let pin = keys
            .activate_super_pin(Proof::Password(b"hunter2"), &mut rng)
            .unwrap();
        keys.issue_recovery_code(Proof::SuperPin(&pin), &mut rng)
            .unwrap();
        keys.to_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary edits of a valid record (overwrite a byte, cut, insert)
        /// decode to an error or to a record that re-encodes identically.
        #[test]
        fn edited_records_never_panic(at in any::<prop::sample::Index>(), byte in any::<u8>(), op in 0u8..3) {
            let mut rec = sample_record();
            let i = at.index(rec.len());
            match op {
                0 => rec[i] = byte,
                1 => rec.truncate(i),
                _ => rec.insert(i, byte),
            }
            if let Ok(k) = AccountKeys::from_bytes(&rec) {
                prop_assert_eq!(k.to_bytes(), rec.clone());
            }
            if let Ok(r) = Repository::from_bytes(&rec) {
                prop_assert_eq!(r.to_bytes(), rec);
            }
        }

        #[test]
        fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = AccountKeys::from_bytes(&data);
            let _ = Repository::from_bytes(&data);
        }
    }
}

/// A record with the most entries a repository holds parses (the duplicate
/// check is O(n log n), not O(n²)), and a duplicate id at the very end is
/// still found, at its offset.
#[test]
fn repository_of_65535_entries_parses() {
    let repo = Repository::create(b"acme", MASTER_PW, FAST, &mut os_rng()).unwrap();
    let mut bytes = repo.to_bytes();
    // The record ends with the u16 entry count (0 for a new repository).
    let count_at = bytes.len() - 2;
    bytes[count_at..].copy_from_slice(&u16::MAX.to_be_bytes());
    for i in 0..u32::from(u16::MAX) {
        let id = format!("user-{i:05}");
        bytes.push(id.len() as u8);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&[0xA5; keyward_superpin::WRAPPED_LEN]);
    }
    let parsed = Repository::from_bytes(&bytes).unwrap();
    assert_eq!(parsed.len(), 65_535);
    assert!(parsed.contains(b"user-65534"));

    // Make the last id repeat the first: found, and named by its offset.
    let last_at = bytes.len() - (1 + 10 + keyward_superpin::WRAPPED_LEN);
    bytes[last_at + 1..last_at + 11].copy_from_slice(b"user-00000");
    assert_eq!(
        Repository::from_bytes(&bytes).unwrap_err(),
        Error::Field {
            record: Record::Repository,
            offset: last_at,
            field: "account id (duplicate)",
        }
    );
}

/// Argon2 costs are bounded by one budget on memory × passes: neither
/// 64 MiB nor 17 passes is large alone, together they are over it. Refused
/// when read from a record and when writing one, before any Argon2 work.
#[test]
fn argon2_cost_is_bounded_by_a_budget_on_memory_times_passes() {
    let heavy = Argon2Params {
        m_cost_kib: 65_536,
        t_cost: 17,
        p_cost: 1,
    };
    let over = Error::Argon2Cost {
        budget: 1 << 20,
        found: 65_536 * 17,
    };
    assert_eq!(
        AccountKeys::create(b"x", b"pw", heavy, &mut os_rng()).unwrap_err(),
        over
    );
    assert_eq!(
        Repository::create(b"acme", MASTER_PW, heavy, &mut os_rng()).unwrap_err(),
        over
    );
    assert!(
        over.to_string()
            .contains("at most 1048576 KiB·passes, found 1114112")
    );
    // A record asking for it: magic (4), version (1), id length (1), "acme",
    // then m and t as big-endian u32.
    let mut bytes = Repository::create(b"acme", MASTER_PW, FAST, &mut os_rng())
        .unwrap()
        .to_bytes();
    bytes[10..14].copy_from_slice(&65_536u32.to_be_bytes());
    bytes[14..18].copy_from_slice(&17u32.to_be_bytes());
    assert_eq!(Repository::from_bytes(&bytes).unwrap_err(), over);
    // Each alone at its size is within the budget.
    bytes[14..18].copy_from_slice(&1u32.to_be_bytes());
    assert!(Repository::from_bytes(&bytes).is_ok());
}
