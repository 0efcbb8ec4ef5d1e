//! Behaviour of hashing and verifying: outcomes, rehash, malformed strings,
//! limits, the caller-memory path and the `password_hash` traits.

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::indexing_slicing,
    clippy::panic
)]

use keyward_core::rand_core::CryptoRng;
use keyward_pinhash::{
    Block, Error, HashKey, Limits, Params, ParsedHash, PasswordPolicy, Pepper, PepperSet, PhcPart,
    PinHasher, PinPolicy, RehashReason, SecretBytes, TrivialKind,
};
use proptest::prelude::*;

/// The user every hash of this file is bound to.
const USER: &[u8] = b"alice";

/// Small parameters keep the suite fast; the OWASP default is exercised by
/// the vectors and one test below.
fn small() -> Params {
    Params::new(64, 1, 1).unwrap()
}

fn site() -> HashKey {
    HashKey::new("Site-HashKey/for:demo#2026-11-22").unwrap()
}

fn hasher() -> PinHasher {
    PinHasher::from_hash_key(&site()).with_params(small())
}

fn rng() -> impl CryptoRng {
    keyward_core::os_rng()
}

#[test]
fn hash_then_verify_and_wrong_pin_is_an_opaque_mismatch() {
    let h = hasher();
    let phc = h
        .hash_pin(&PinPolicy::DEFAULT, USER, "483920", &mut rng())
        .unwrap();
    let s = phc.as_str();
    assert!(s.starts_with("$argon2id$v=19$m=64,t=1,p=1,keyid="), "{s}");
    let v = h.verify(USER, b"483920", s).unwrap();
    assert!(!v.needs_rehash);
    assert_eq!(v.reason, None);
    let e = h.verify(USER, b"483921", s).unwrap_err();
    assert_eq!(e, Error::Mismatch);
    assert_eq!(e.to_string(), "the PIN or password does not match");
    // Fresh salt each time.
    let again = h.hash(USER, b"483920", &mut rng()).unwrap();
    assert_ne!(again.as_str(), s);
}

#[test]
fn owasp_defaults_are_the_default() {
    let p = Params::default();
    assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1));
    assert_eq!(p.block_count(), 19_456);
    let h = PinHasher::from_hash_key(&site());
    assert_eq!(*h.params(), Params::OWASP);
    let phc = h.hash(USER, b"2580", &mut rng()).unwrap();
    assert!(
        phc.as_str()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1,keyid=zCnlFw,bind=user$"),
        "{phc}"
    );
    assert!(h.verify(USER, b"2580", phc.as_str()).is_ok());
}

#[test]
fn keyid_is_the_hashkey_key_id_in_b64_and_is_not_hashed() {
    let h = hasher();
    let phc = h.hash(USER, b"1357", &mut rng()).unwrap();
    let parsed = ParsedHash::parse(phc.as_str()).unwrap();
    assert_eq!(parsed.keyid, site().key_id());
    // Same pepper bytes under another key id: the tag is unchanged, so the
    // keyid only locates the pepper.
    let raw = Pepper::from_raw(SecretBytes::from_array(
        *site()
            .subkey(keyward_core::Purpose::PinPepper)
            .expose_secret(),
    ));
    let other = PinHasher::new(PepperSet::new(raw.clone())).with_params(small());
    let phc2 = other.hash_with_salt(USER, b"1357", parsed.salt()).unwrap();
    assert_eq!(
        ParsedHash::parse(phc2.as_str()).unwrap().tag(),
        parsed.tag()
    );
    assert_ne!(raw.key_id(), site().key_id());
}

#[test]
fn retired_pepper_verifies_with_needs_rehash_and_unknown_pepper_says_re_enrol() {
    let old = HashKey::builtin_default();
    let old_hasher = PinHasher::from_hash_key(&old).with_params(small());
    let phc = old_hasher.hash(USER, b"8642", &mut rng()).unwrap();

    // The site rotated: new current HashKey, the old one retired.
    let set = PepperSet::new(Pepper::from_hash_key(&site()))
        .with_retired(Pepper::from_hash_key(&old))
        .unwrap();
    let rotated = PinHasher::new(set).with_params(small());
    let v = rotated.verify(USER, b"8642", phc.as_str()).unwrap();
    assert!(v.needs_rehash);
    assert_eq!(v.reason, Some(RehashReason::RetiredPepper));
    assert_eq!(
        rotated.verify(USER, b"8643", phc.as_str()).unwrap_err(),
        Error::Mismatch
    );
    // The caller rehashes with the PIN it now holds: current pepper, no rehash.
    let fresh = rotated.hash(USER, b"8642", &mut rng()).unwrap();
    assert!(
        !rotated
            .verify(USER, b"8642", fresh.as_str())
            .unwrap()
            .needs_rehash
    );

    // The old HashKey is gone entirely.
    let gone = hasher();
    let e = gone.verify(USER, b"8642", phc.as_str()).unwrap_err();
    assert_eq!(
        e,
        Error::UnknownPepper {
            keyid: old.key_id()
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("HashKey this site no longer holds")
            && text.contains(&old.key_id().to_string())
            && text.contains("re-enrol"),
        "{text}"
    );
    // Even the right PIN gets no other answer, and a wrong one the same.
    assert_eq!(gone.verify(USER, b"0000", phc.as_str()).unwrap_err(), e);
}

#[test]
fn weaker_params_need_rehash_stronger_do_not() {
    let weak = hasher().with_params(Params::new(32, 1, 1).unwrap());
    let phc = weak.hash(USER, b"97531", &mut rng()).unwrap();
    let v = hasher().verify(USER, b"97531", phc.as_str()).unwrap();
    assert_eq!(
        (v.needs_rehash, v.reason),
        (true, Some(RehashReason::WeakerParams))
    );
    let strong = hasher().with_params(Params::new(64, 2, 1).unwrap());
    let phc = strong.hash(USER, b"97531", &mut rng()).unwrap();
    assert!(
        !hasher()
            .verify(USER, b"97531", phc.as_str())
            .unwrap()
            .needs_rehash
    );
    // A different lane count alone is not weaker.
    let lanes = hasher().with_params(Params::new(64, 1, 2).unwrap());
    let phc = lanes.hash(USER, b"97531", &mut rng()).unwrap();
    assert!(
        !hasher()
            .verify(USER, b"97531", phc.as_str())
            .unwrap()
            .needs_rehash
    );
    // A shorter salt than 16 bytes verifies and asks for a rehash.
    let phc = hasher().hash_with_salt(USER, b"97531", &[9u8; 8]).unwrap();
    let v = hasher().verify(USER, b"97531", phc.as_str()).unwrap();
    assert_eq!(v.reason, Some(RehashReason::SaltLength));
}

fn good() -> String {
    hasher()
        .hash_with_salt(USER, b"2468", &[7u8; 16])
        .unwrap()
        .to_string()
}

#[test]
fn malformed_strings_name_the_part() {
    let good = good();
    let (head, tail) = good.split_once(",keyid=").unwrap();
    let (keyid, rest) = tail.split_once('$').unwrap();
    // The cases below write the keyid without `,bind=user` (still a
    // well-formed, unbound string up to the part they break).
    let keyid = keyid.strip_suffix(",bind=user").unwrap();
    let (salt, hash) = rest.split_once('$').unwrap();
    let cases: Vec<(String, PhcPart)> = vec![
        (good.replace(",bind=user", ",bind=users"), PhcPart::Params),
        (
            good.replace(",bind=user", ",bind=user,bind=user"),
            PhcPart::Params,
        ),
        (good.replace(",bind=user", ",bind="), PhcPart::Params),
        (String::new(), PhcPart::Algorithm),
        (good.trim_start_matches('$').to_string(), PhcPart::Algorithm),
        (good.replace("argon2id", "argon2i"), PhcPart::Algorithm),
        (good.replace("$v=19", "$v=16"), PhcPart::Version),
        (good.replace("$v=19", ""), PhcPart::Version),
        (good.replace("m=64,t=1", "t=1,m=64"), PhcPart::Params),
        (
            good.replace(",keyid=", ",data=AAAA,keyid="),
            PhcPart::Params,
        ),
        (
            format!("{head},keyid={keyid},data=AAAA${rest}"),
            PhcPart::Params,
        ),
        (format!("{head}${rest}"), PhcPart::Params),
        (good.replace("m=64", "m=064"), PhcPart::MemoryCost),
        (good.replace("m=64", "m=4294967296"), PhcPart::MemoryCost),
        (good.replace("m=64", "m=-1"), PhcPart::MemoryCost),
        (good.replace("t=1", "t="), PhcPart::TimeCost),
        (good.replace("p=1", "p=one"), PhcPart::Parallelism),
        (format!("{head},keyid={keyid}AA${rest}"), PhcPart::KeyId),
        (format!("{head},keyid=zCnl${rest}"), PhcPart::KeyId),
        (format!("{head},keyid=zCn!Fw${rest}"), PhcPart::KeyId),
        (
            format!("{head},keyid={keyid}${salt}=${hash}"),
            PhcPart::Salt,
        ),
        (format!("{head},keyid={keyid}$AAAA${hash}"), PhcPart::Salt),
        (format!("{head},keyid={keyid}"), PhcPart::Salt),
        (format!("{head},keyid={keyid}${salt}"), PhcPart::Hash),
        (
            format!("{head},keyid={keyid}${salt}${}", &hash[..42]),
            PhcPart::Hash,
        ),
        (
            format!("{head},keyid={keyid}${salt}${hash}A"),
            PhcPart::Hash,
        ),
        (format!("{good}$"), PhcPart::Trailing),
        (format!("{good}$x"), PhcPart::Trailing),
    ];
    for (s, part) in cases {
        match hasher().verify(USER, b"2468", &s) {
            Err(Error::Malformed {
                part: found,
                expected,
            }) => {
                assert_eq!(found, part, "{s}");
                let text = Error::Malformed { part, expected }.to_string();
                assert!(
                    text.starts_with(&format!("malformed PHC string: {part}: expected ")),
                    "{text}"
                );
            }
            other => panic!("{s}: expected malformed {part:?}, got {other:?}"),
        }
    }
    // Non-canonical B64 (trailing bits set) in the hash is refused.
    let last = hash.chars().last().unwrap();
    let bumped = if last == 'A' { 'B' } else { 'A' };
    let mut noncanon = good.clone();
    noncanon.pop();
    noncanon.push(bumped);
    // Either non-canonical (malformed) or a different valid tag (mismatch),
    // never a match.
    assert!(hasher().verify(USER, b"2468", &noncanon).is_err());
    assert!(hasher().verify(USER, b"2468", &good).is_ok());
}

#[test]
fn costs_over_the_limits_fail_before_any_work() {
    let good = good();
    let huge = good.replace("m=64", "m=4294967295");
    let e = hasher().verify(USER, b"2468", &huge).unwrap_err();
    assert_eq!(
        e,
        Error::CostOverBudget {
            budget: 1 << 20,
            found: u64::from(u32::MAX)
        }
    );
    assert_eq!(
        e.to_string(),
        "Argon2 cost over budget: expected memory × passes of at most 1048576 KiB·passes, \
         found 4294967295"
    );
    // The budget bounds the product: neither m = 65536 (64 MiB) nor t = 17
    // is large alone, together they are 1,114,112 KiB·passes.
    let e = hasher()
        .verify(USER, b"2468", &good.replace("m=64,t=1", "m=65536,t=17"))
        .unwrap_err();
    assert_eq!(
        e,
        Error::CostOverBudget {
            budget: 1 << 20,
            found: 65_536 * 17
        }
    );
    // ... while each alone at its largest passes the budget check and is
    // only refused by the tag (a wrong hash for these costs).
    let e = hasher()
        .verify(USER, b"2468", &good.replace("t=1", "t=65"))
        .unwrap_err();
    assert_eq!(e, Error::Mismatch);
    let e = hasher()
        .verify(
            USER,
            b"2468",
            &good.replace("m=64,t=1,p=1", "m=512,t=1,p=17"),
        )
        .unwrap_err();
    assert!(matches!(
        e,
        Error::CostOutOfRange {
            part: PhcPart::Parallelism,
            found: 17,
            ..
        }
    ));
    // Argon2's own rules: m ≥ 8·p, t ≥ 1.
    let e = hasher()
        .verify(USER, b"2468", &good.replace("m=64,t=1,p=1", "m=64,t=1,p=9"))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::CostOutOfRange {
            part: PhcPart::MemoryCost,
            min: 72,
            found: 64,
            ..
        }
    ));
    let e = hasher()
        .verify(USER, b"2468", &good.replace("t=1", "t=0"))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::CostOutOfRange {
            part: PhcPart::TimeCost,
            ..
        }
    ));
    // Tighter custom limits.
    let tight = hasher()
        .with_params(Params::new(16, 1, 1).unwrap())
        .with_limits(Limits {
            max_work: 32,
            ..Limits::DEFAULT
        });
    assert_eq!(
        tight.verify(USER, b"2468", &good),
        Err(Error::CostOverBudget {
            budget: 32,
            found: 64
        })
    );
    // An unknown pepper is reported before the limits (it says more).
    let gone = PinHasher::from_hash_key(&HashKey::builtin_default());
    assert!(matches!(
        gone.verify(USER, b"2468", &huge),
        Err(Error::UnknownPepper { .. })
    ));
}

#[test]
fn caller_memory_path_without_alloc_types() {
    let h = hasher();
    assert_eq!(h.block_count(), 64);
    let mut memory = [Block::new(); 64];
    let phc = h
        .hash_pin_with_memory(&PinPolicy::DEFAULT, USER, "90210", &mut rng(), &mut memory)
        .unwrap();
    assert!(
        h.verify_with_memory(USER, b"90210", phc.as_str(), &mut memory)
            .is_ok()
    );
    assert_eq!(
        h.verify_with_memory(USER, b"90211", phc.as_str(), &mut memory),
        Err(Error::Mismatch)
    );
    // The same as the allocating path.
    let a = h
        .hash_with_salt_and_memory(USER, b"90210", &[1; 16], &mut memory)
        .unwrap();
    assert_eq!(a, h.hash_with_salt(USER, b"90210", &[1; 16]).unwrap());
    // Too little memory is an error, not a panic.
    let mut few = [Block::new(); 63];
    assert_eq!(
        h.hash_with_memory(USER, b"90210", &mut rng(), &mut few),
        Err(Error::MemoryTooSmall {
            needed: 64,
            available: 63
        })
    );
    assert_eq!(
        h.verify_with_memory(USER, b"90210", phc.as_str(), &mut few),
        Err(Error::MemoryTooSmall {
            needed: 64,
            available: 63
        })
    );
    // m rounds down to a multiple of 4·p blocks.
    assert_eq!(Params::new(70, 1, 2).unwrap().block_count(), 64);
}

#[test]
fn pin_policy_names_positions_and_never_echoes() {
    let p = PinPolicy::DEFAULT;
    assert_eq!(p.check("12a456"), Err(Error::PinCharacter { position: 3 }));
    assert_eq!(p.check("٣٤٥٦"), Err(Error::PinCharacter { position: 1 })); // Arabic-Indic digits
    assert_eq!(p.check("4839 20"), Err(Error::PinCharacter { position: 5 }));
    let text = p.check("98x7").unwrap_err().to_string();
    assert_eq!(text, "PIN character 3 is not a digit (0-9 expected)");
    assert!(!text.contains("98"));
    assert_eq!(
        p.check("123"),
        Err(Error::PinLength {
            min: 4,
            max: 16,
            found: 3
        })
    );
    assert_eq!(
        p.check("12345678901234567"),
        Err(Error::PinLength {
            min: 4,
            max: 16,
            found: 17
        })
    );
    assert_eq!(
        p.check(""),
        Err(Error::PinLength {
            min: 4,
            max: 16,
            found: 0
        })
    );
    assert_eq!(
        p.check("123456"),
        Err(Error::TrivialPin {
            kind: TrivialKind::Ascending
        })
    );
    assert_eq!(
        p.check("000000"),
        Err(Error::TrivialPin {
            kind: TrivialKind::Repeated
        })
    );
    assert_eq!(
        p.check("987654"),
        Err(Error::TrivialPin {
            kind: TrivialKind::Descending
        })
    );
    assert_eq!(p.check("483920"), Ok(()));
    assert_eq!(p.allow_trivial().check("123456"), Ok(()));
    let six = PinPolicy {
        min_digits: 6,
        max_digits: 6,
        reject_trivial: false,
    };
    assert_eq!(
        six.check("4839"),
        Err(Error::PinLength {
            min: 6,
            max: 6,
            found: 4
        })
    );
    // The policy is checked before hashing.
    assert_eq!(
        hasher().hash_pin(&p, USER, "1111", &mut rng()),
        Err(Error::TrivialPin {
            kind: TrivialKind::Repeated
        })
    );
}

#[test]
fn passwords_are_nfkc_normalised_and_length_checked() {
    let h = hasher();
    let policy = PasswordPolicy::DEFAULT;
    // U+FB01 LATIN SMALL LIGATURE FI and U+216B ROMAN NUMERAL TWELVE
    // normalise to "fi" and "XII"; "é" precomposed vs "e" + U+0301.
    let phc = h
        .hash_password(&policy, USER, "ﬁrst Ⅻ café", &mut rng())
        .unwrap();
    for typed in ["ﬁrst Ⅻ café", "first XII café", "first XII cafe\u{301}"] {
        assert!(
            h.verify_password(USER, typed, phc.as_str()).is_ok(),
            "{typed}"
        );
    }
    assert_eq!(
        h.verify_password(USER, "first XII cafe", phc.as_str()),
        Err(Error::Mismatch)
    );
    // The raw bytes are the NFKC form.
    assert!(
        h.verify(USER, "first XII café".as_bytes(), phc.as_str())
            .is_ok()
    );
    assert_eq!(
        h.hash_password(&policy, USER, "short", &mut rng()),
        Err(Error::PasswordLength {
            min: 8,
            max: 128,
            found: 5
        })
    );
    // Counted after normalisation: "ﬃ" is 1 character before, 3 after.
    assert_eq!(
        policy.normalise("ﬃﬃ").map(|s| s.len()),
        Err(Error::PasswordLength {
            min: 8,
            max: 128,
            found: 6
        })
    );
    let long = "x".repeat(129);
    assert!(matches!(
        h.hash_password(&policy, USER, &long, &mut rng()),
        Err(Error::PasswordLength { found: 129, .. })
    ));
    // Verification does not apply the length policy.
    let relaxed = PasswordPolicy {
        min_chars: 1,
        max_chars: 128,
    };
    let phc = h.hash_password(&relaxed, USER, "pw", &mut rng()).unwrap();
    assert!(h.verify_password(USER, "pw", phc.as_str()).is_ok());
}

#[test]
fn pepper_sets_reject_duplicates_and_overflow() {
    let a = Pepper::from_hash_key(&site());
    let e = PepperSet::new(a.clone())
        .with_retired(a.clone())
        .unwrap_err();
    assert_eq!(
        e,
        Error::DuplicateKeyId {
            keyid: site().key_id()
        }
    );
    let mut set = PepperSet::new(a);
    for i in 0..7u8 {
        set = set
            .with_retired(Pepper::from_raw(SecretBytes::from_array([i; 32])))
            .unwrap();
    }
    assert_eq!(set.retired().count(), 7);
    assert_eq!(
        set.with_retired(Pepper::from_raw(SecretBytes::from_array([9; 32])))
            .unwrap_err(),
        Error::TooManyPeppers { max: 7 }
    );
}

#[test]
fn debug_output_never_shows_pepper_bytes() {
    let raw = Pepper::from_raw(SecretBytes::from_array([0xAB; 32]));
    let d = format!("{raw:?}");
    assert!(
        d.starts_with("Pepper { key_id: ") && !d.to_lowercase().contains("abab"),
        "{d}"
    );
    let h = PinHasher::new(PepperSet::new(raw));
    let d = format!("{h:?}");
    assert!(
        !d.to_lowercase().contains("abab") && !d.contains("171, 171"),
        "{d}"
    );
}

#[test]
fn raw_pepper_key_id_is_hkdf_of_the_pepper() {
    // Independent: Python hmac/hashlib HKDF (tests/data/gen_vectors.py) for
    // pepper 20 21 … 3f.
    let bytes: [u8; 32] = core::array::from_fn(|i| 0x20 + i as u8);
    let p = Pepper::from_raw(SecretBytes::from_array(bytes));
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/pinhash_vectors.json")).unwrap();
    let want = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["pepper_source"] == "raw")
        .unwrap()["key_id_hex"]
        .clone();
    assert_eq!(p.key_id().to_string(), want);
    let h = PinHasher::from_raw_pepper(SecretBytes::from_array(bytes));
    assert_eq!(h.peppers().current(), &p);
}

#[test]
fn password_hash_traits_drop_in() {
    use keyward_pinhash::password_hash::phc::PasswordHash;
    use keyward_pinhash::password_hash::{Error as PhError, PasswordHasher, PasswordVerifier};
    let h = hasher();
    let hash: PasswordHash = h
        .hash_password_with_salt(b"hunter42", b"saltsaltsalt1234")
        .unwrap();
    assert_eq!(hash.algorithm.as_str(), "argon2id");
    assert!(PasswordVerifier::<PasswordHash>::verify_password(&h, b"hunter42", &hash).is_ok());
    assert_eq!(
        PasswordVerifier::<PasswordHash>::verify_password(&h, b"hunter43", &hash),
        Err(PhError::PasswordInvalid)
    );
    let s = hash.to_string();
    assert!(PasswordVerifier::<str>::verify_password(&h, b"hunter42", &s).is_ok());
    let gone = PinHasher::from_hash_key(&HashKey::builtin_default());
    assert_eq!(
        PasswordVerifier::<str>::verify_password(&gone, b"hunter42", &s),
        Err(PhError::ParamInvalid { name: "keyid" })
    );
    assert_eq!(
        PasswordVerifier::<str>::verify_password(
            &h,
            b"hunter42",
            "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"
        ),
        Err(PhError::Algorithm)
    );
    // hash_password_with_rng (password_hash's rand_core path).
    let r = h.hash_password_with_rng(&mut rng(), b"pw").unwrap();
    assert!(PasswordVerifier::<PasswordHash>::verify_password(&h, b"pw", &r).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any input and salt: the string round-trips through the parser, the
    /// input verifies, and a one-byte change does not.
    #[test]
    fn hash_verify_round_trip(input in proptest::collection::vec(any::<u8>(), 0..64),
                              salt in proptest::collection::vec(any::<u8>(), 8..=48),
                              flip in any::<usize>()) {
        let h = PinHasher::from_hash_key(&site()).with_params(Params::new(8, 1, 1).unwrap());
        let phc = h.hash_with_salt(USER, &input, &salt).unwrap();
        let parsed = ParsedHash::parse(phc.as_str()).unwrap();
        prop_assert_eq!(parsed.salt(), &salt[..]);
        prop_assert!(h.verify(USER, &input, phc.as_str()).is_ok());
        let mut other = input.clone();
        if other.is_empty() { other.push(0) } else { let i = flip % other.len(); other[i] ^= 1; }
        prop_assert_eq!(h.verify(USER, &other, phc.as_str()), Err(Error::Mismatch));
    }

    #[test]
    fn pin_policy_positions(prefix in "[0-9]{0,10}", bad in "[^0-9]", suffix in "\\PC{0,5}") {
        let pin = format!("{prefix}{bad}{suffix}");
        prop_assert_eq!(PinPolicy::DEFAULT.check(&pin), Err(Error::PinCharacter { position: prefix.len() + 1 }));
    }
}

#[test]
fn own_params_always_pass_the_limits() {
    // 16384 KiB × 70 passes = 1,146,880 KiB·passes, over the default budget
    // of 2^20 (each alone is well within it).
    let big = Params::new(16_384, 70, 1).unwrap();
    let h = hasher().with_params(big);
    let phc = h.hash(USER, b"5791", &mut rng()).unwrap();
    assert!(h.verify(USER, b"5791", phc.as_str()).is_ok());
    // Another verifier with default parameters refuses the product.
    assert_eq!(
        hasher().verify(USER, b"5791", phc.as_str()),
        Err(Error::CostOverBudget {
            budget: 1 << 20,
            found: 16_384 * 70,
        })
    );
}

/// Someone who can write the hash table copies their own hash into another
/// user's row: it does not verify there, not even with their own PIN.
#[test]
fn a_hash_copied_between_users_does_not_verify() {
    let h = hasher();
    let mallory = h
        .hash_pin(&PinPolicy::DEFAULT, b"mallory", "739154", &mut rng())
        .unwrap();
    assert!(h.verify(b"mallory", b"739154", mallory.as_str()).is_ok());
    // Copied into alice's row.
    assert_eq!(
        h.verify(b"alice", b"739154", mallory.as_str()),
        Err(Error::Mismatch)
    );
    // User ids are compared as bytes: no case folding or trimming.
    assert_eq!(
        h.verify(b"Mallory", b"739154", mallory.as_str()),
        Err(Error::Mismatch)
    );
    assert_eq!(
        h.verify(b"mallory ", b"739154", mallory.as_str()),
        Err(Error::Mismatch)
    );
    // An empty user id is refused before any work.
    assert_eq!(
        h.verify(b"", b"739154", mallory.as_str()),
        Err(Error::EmptyUserId)
    );
    assert_eq!(
        h.hash_pin(&PinPolicy::DEFAULT, b"", "739154", &mut rng()),
        Err(Error::EmptyUserId)
    );
}

/// A hash made before binding (no user id: what the `password_hash` traits
/// still write) verifies once with "needs rehash"; the rehash binds it.
#[test]
fn unbound_hashes_verify_once_with_a_rehash_that_binds_them() {
    use keyward_pinhash::password_hash::PasswordHasher;
    let h = hasher();
    let old = h
        .hash_password_with_salt(b"2468", &[3; 16])
        .unwrap()
        .to_string();
    assert!(!old.contains("bind=user"));
    let v = h.verify(b"alice", b"2468", &old).unwrap();
    assert!(v.needs_rehash);
    assert_eq!(v.reason, Some(RehashReason::NotBoundToUser));
    let new = h.hash(b"alice", b"2468", &mut rng()).unwrap();
    assert_eq!(
        h.verify(b"alice", b"2468", new.as_str()).map(|v| v.reason),
        Ok(None)
    );
    assert_eq!(
        h.verify(b"bob", b"2468", new.as_str()),
        Err(Error::Mismatch)
    );
    // The traits, having no user id, never accept a bound hash.
    use keyward_pinhash::password_hash::PasswordVerifier;
    assert!(PasswordVerifier::<str>::verify_password(&h, b"2468", new.as_str()).is_err());
}
