//! Recovery URL tokens: issue, verify, one use, and the Recovery Code issued
//! on redemption (`docs/formats.md`, "Recovery URL token").

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_alloc
)]

use keyward_core::os_rng;
use keyward_superpin::{
    AccountKeys, Argon2Params, Error, MAX_TOKEN_VALIDITY_SECS, Proof, RECOVERY_URL_TOKEN_CHARS,
    Record, RecoveryUrlKey, RecoveryUrlToken, Repository, UsedTokens, parse_recovery_url,
    recovery_url,
};
use proptest::prelude::*;

const FAST: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

fn key() -> RecoveryUrlKey {
    RecoveryUrlKey::generate(&mut os_rng())
}

#[test]
fn genuine_token_verifies_once() {
    let k = key();
    let t = k
        .issue(b"alice@example.com", NOW, DAY, &mut os_rng())
        .unwrap();
    assert_eq!(t.issued_at(), NOW);
    assert_eq!(t.expires_at(), NOW + DAY);
    k.verify(&t, b"alice@example.com", NOW + 10).unwrap();
    let mut used = UsedTokens::new();
    k.redeem(&t, b"alice@example.com", NOW + 10, &mut used)
        .unwrap();
    assert!(used.contains(&t.id()));
    assert_eq!(
        k.redeem(&t, b"alice@example.com", NOW + 11, &mut used),
        Err(Error::TokenUsed)
    );
    // The used set survives its record format.
    let mut reread = UsedTokens::from_bytes(&used.to_bytes()).unwrap();
    assert_eq!(
        k.redeem(&t, b"alice@example.com", NOW + 12, &mut reread),
        Err(Error::TokenUsed)
    );
}

#[test]
fn expired_foreign_forged_and_future_tokens_are_named() {
    let k = key();
    let t = k.issue(b"alice", NOW, 600, &mut os_rng()).unwrap();
    assert_eq!(
        k.verify(&t, b"alice", NOW + 600),
        Err(Error::TokenExpired {
            expired_at: NOW + 600,
            now: NOW + 600
        })
    );
    assert_eq!(
        k.verify(&t, b"bob", NOW + 1),
        Err(Error::TokenForeignAccount)
    );
    assert_eq!(
        k.verify(&t, b"alice", NOW - 1),
        Err(Error::TokenNotYetValid {
            issued_at: NOW,
            now: NOW - 1
        })
    );
    // Another server key: forged.
    assert_eq!(key().verify(&t, b"alice", NOW + 1), Err(Error::TokenForged));
    // Every single bit flipped anywhere in the token (after the version and
    // purpose bytes, which the parser checks) is refused as forged.
    for byte in 2..t.as_bytes().len() {
        for bit in 0..8 {
            let mut b = *t.as_bytes();
            b[byte] ^= 1 << bit;
            let forged = RecoveryUrlToken::from_bytes(b).unwrap();
            assert_eq!(
                k.verify(&forged, b"alice", NOW + 1),
                Err(Error::TokenForged),
                "byte {byte} bit {bit}"
            );
        }
    }
    // A longer expiry written into a genuine token: forged.
    let mut b = *t.as_bytes();
    b[26..34].copy_from_slice(&(NOW + 10 * DAY).to_be_bytes());
    let stretched = RecoveryUrlToken::from_bytes(b).unwrap();
    assert_eq!(
        k.verify(&stretched, b"alice", NOW + DAY),
        Err(Error::TokenForged)
    );
}

#[test]
fn validity_is_bounded() {
    let k = key();
    assert_eq!(
        k.issue(b"a", NOW, 0, &mut os_rng()).unwrap_err(),
        Error::TokenValidity {
            found: 0,
            max: MAX_TOKEN_VALIDITY_SECS
        }
    );
    assert!(
        k.issue(b"a", NOW, MAX_TOKEN_VALIDITY_SECS + 1, &mut os_rng())
            .is_err()
    );
    assert!(k.issue(b"", NOW, 60, &mut os_rng()).is_err());
    assert!(k.issue(&[b'a'; 256], NOW, 60, &mut os_rng()).is_err());
}

#[test]
fn url_names_the_account_and_round_trips() {
    let k = key();
    let t = k
        .issue(b"alice+kw@example.com", NOW, DAY, &mut os_rng())
        .unwrap();
    let url = recovery_url("https://id.example.com/recover", "alice+kw@example.com", &t).unwrap();
    assert!(
        url.starts_with("https://id.example.com/recover?account=alice%2Bkw%40example.com&token=")
    );
    assert_eq!(
        url.len(),
        "https://id.example.com/recover?account=alice%2Bkw%40example.com&token=".len()
            + RECOVERY_URL_TOKEN_CHARS
    );
    let (base, account, parsed) = parse_recovery_url(&url).unwrap();
    assert_eq!(base, "https://id.example.com/recover");
    assert_eq!(account, "alice+kw@example.com");
    assert_eq!(parsed, t);
    for bad in [
        "ftp://x/y",
        "https://",
        "https://x/y?z=1",
        "https://x/a b",
        "https://x/#f",
    ] {
        assert!(
            matches!(recovery_url(bad, "a", &t), Err(Error::RecoveryUrl { .. })),
            "{bad}"
        );
    }
    assert!(parse_recovery_url("https://x/y?account=a").is_err());
    assert!(parse_recovery_url("https://x/y?account=%4&token=AAAA").is_err());
}

#[test]
fn malformed_token_text_is_named() {
    assert!(matches!(
        RecoveryUrlToken::parse("abc"),
        Err(Error::Truncated {
            record: Record::RecoveryUrlToken,
            needed: 110,
            found: 3
        })
    ));
    let t = key().issue(b"a", NOW, 60, &mut os_rng()).unwrap();
    let text = t.encode().as_str().to_owned();
    assert!(matches!(
        RecoveryUrlToken::parse(&format!("{text}A")),
        Err(Error::TrailingBytes { found: 1, .. })
    ));
    let bad = format!("{}!", &text[..109]);
    assert!(matches!(
        RecoveryUrlToken::parse(&bad),
        Err(Error::Field { .. })
    ));
    let mut b = *t.as_bytes();
    b[0] = 2;
    assert!(matches!(
        RecoveryUrlToken::from_bytes(b),
        Err(Error::RecordVersion {
            found: 2,
            expected: 1,
            ..
        })
    ));
    let mut b = *t.as_bytes();
    b[1] = 9;
    assert!(matches!(
        RecoveryUrlToken::from_bytes(b),
        Err(Error::Field { offset: 1, .. })
    ));
}

/// The token never contains the Super PIN, nor any key derived from it:
/// it is a function of the server key, the account, times and a random id.
#[test]
fn redemption_issues_a_recovery_code_and_the_token_holds_no_super_pin() {
    let mut rng = os_rng();
    let (mut keys, master) = AccountKeys::create(b"alice", b"pw", FAST, &mut rng).unwrap();
    let pin = keys
        .activate_super_pin(Proof::Password(b"pw"), &mut rng)
        .unwrap();
    let mut repo = Repository::create(b"org", "twenty-two characters!", FAST, &mut rng).unwrap();
    let mut open = repo.open("twenty-two characters!").unwrap();
    open.escrow(&keys, &pin).unwrap();
    let k = key();
    let t = k.issue(b"alice", NOW, DAY, &mut rng).unwrap();
    let url = recovery_url("https://id.example.com/r", "alice", &t).unwrap();
    let pin_text = pin.to_zeroizing_string();
    assert!(!url.contains(pin_text.as_str()));
    for group in pin_text.split('-') {
        assert!(!url.contains(group), "a Super PIN group appears in the URL");
    }
    let mut used = UsedTokens::new();
    let code = k
        .redeem_recovery_code(&t, NOW + 5, &mut used, &open, &mut keys, &mut rng)
        .unwrap();
    assert_eq!(keys.unlock_with_recovery_code(&code).unwrap(), master);
    assert_eq!(
        k.redeem_recovery_code(&t, NOW + 6, &mut used, &open, &mut keys, &mut rng)
            .unwrap_err(),
        Error::TokenUsed
    );
}

#[test]
fn used_tokens_drop_expired_ids_and_refuse_bad_records() {
    let mut used = UsedTokens::new();
    used.insert([1; 16], NOW + 10, NOW).unwrap();
    used.insert([0; 16], NOW + 100, NOW).unwrap();
    assert_eq!(used.len(), 2);
    // At NOW + 10 the first has expired and is dropped when another is added.
    used.insert([2; 16], NOW + 100, NOW + 10).unwrap();
    assert!(!used.contains(&[1; 16]));
    assert_eq!(used.len(), 2);
    let bytes = used.to_bytes();
    assert_eq!(&bytes[..5], b"KWUT\x01");
    assert_eq!(UsedTokens::from_bytes(&bytes).unwrap(), used);
    // Ids out of order.
    let mut swapped = bytes.clone();
    let (a, b) = (swapped[9..33].to_vec(), swapped[33..57].to_vec());
    swapped[9..33].copy_from_slice(&b);
    swapped[33..57].copy_from_slice(&a);
    assert!(matches!(
        UsedTokens::from_bytes(&swapped),
        Err(Error::Field { offset: 33, .. })
    ));
    // A count larger than the bytes present.
    let mut big = bytes.clone();
    big[5..9].copy_from_slice(&1000u32.to_be_bytes());
    assert!(matches!(
        UsedTokens::from_bytes(&big),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        UsedTokens::from_bytes(&[bytes.as_slice(), &[0]].concat()),
        Err(Error::TrailingBytes { found: 1, .. })
    ));
}

proptest! {
    #[test]
    fn token_text_round_trips(id in any::<[u8; 16]>(), now in 0u64..1 << 40, valid in 1..=MAX_TOKEN_VALIDITY_SECS) {
        let k = RecoveryUrlKey::from_bytes([7; 32]);
        let t = k.issue_with_id(b"acct", id, now, valid).unwrap();
        let text = t.encode();
        prop_assert_eq!(text.as_str().len(), RECOVERY_URL_TOKEN_CHARS);
        let back = RecoveryUrlToken::parse(text.as_str()).unwrap();
        prop_assert_eq!(&back, &t);
        prop_assert_eq!(back.id(), id);
        prop_assert!(k.verify(&back, b"acct", now).is_ok());
        prop_assert!(k.verify(&back, b"acct", now + valid).is_err());
    }

    #[test]
    fn used_tokens_never_accept_an_id_twice(ids in proptest::collection::vec(any::<[u8; 2]>(), 1..64)) {
        let mut used = UsedTokens::new();
        let mut seen = std::collections::BTreeSet::new();
        for short in ids {
            let mut id = [0u8; 16];
            id[..2].copy_from_slice(&short);
            let r = used.insert(id, NOW + 100, NOW);
            prop_assert_eq!(r.is_ok(), seen.insert(id));
        }
        prop_assert_eq!(UsedTokens::from_bytes(&used.to_bytes()).unwrap(), used);
    }
}
