//! SLIP-0039 recovery names what is wrong.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward_shamir::slip39::{self, GroupSpec, Params, Recovery, Share};
use keyward_shamir::{Error, Field};

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

const KEY: [u8; 32] = *b"backup key for the smart cards!!";

fn set(t: u8, n: u8, seed: u8) -> Vec<Share> {
    let mut p = Params::single(t, n).unwrap();
    p.iteration_exponent = 0;
    slip39::split(&KEY, b"", &p, &mut rng(seed))
        .unwrap()
        .remove(0)
}

#[test]
fn progress_and_any_order() {
    let shares = set(3, 5, 1);
    let mut r = Recovery::new();
    assert_eq!(r.progress().to_string(), "no shares yet");
    let p = r.add(shares[4].clone()).unwrap();
    assert_eq!(p.groups[0].still_needed(), 2);
    assert!(!p.is_complete());
    r.add_mnemonic(&shares[0].to_mnemonic()).unwrap();
    let p = r.add_bytes(&shares[2].to_bytes()).unwrap();
    assert!(p.is_complete());
    assert_eq!(
        p.to_string(),
        "1 of 1 groups complete; group 1: 3 of 3 shares"
    );
    assert_eq!(r.finish(b"").unwrap().expose_secret(), &KEY);
}

#[test]
fn duplicate_card_is_named_and_recovery_goes_on() {
    let shares = set(2, 3, 2);
    let mut r = Recovery::new();
    r.add(shares[1].clone()).unwrap();
    assert_eq!(
        r.add(shares[1].clone()).unwrap_err(),
        Error::DuplicateShare { share: 2, first: 1 }
    );
    // The rejected share left the recovery as it was.
    r.add(shares[2].clone()).unwrap();
    assert_eq!(r.finish(b"").unwrap().expose_secret(), &KEY);
}

#[test]
fn foreign_share_says_which_field_differs() {
    let a = set(2, 3, 3);
    let b = set(2, 3, 4);
    assert_ne!(a[0].identifier(), b[0].identifier());
    let mut r = Recovery::new();
    r.add(a[0].clone()).unwrap();
    assert_eq!(
        r.add(b[1].clone()).unwrap_err(),
        Error::ForeignShare {
            share: 2,
            field: Field::Identifier
        }
    );

    // Same identifier, other iteration exponent.
    let mut p = Params::single(2, 3).unwrap();
    p.identifier = Some(a[0].identifier());
    p.iteration_exponent = 1;
    let c = slip39::split(&KEY, b"", &p, &mut rng(5)).unwrap().remove(0);
    assert_eq!(
        r.add(c[1].clone()).unwrap_err(),
        Error::ForeignShare {
            share: 3,
            field: Field::IterationExponent
        }
    );

    // Same identifier and exponent, other length.
    p.iteration_exponent = 0;
    let d = slip39::split(&KEY[..16], b"", &p, &mut rng(6))
        .unwrap()
        .remove(0);
    assert_eq!(
        r.add(d[1].clone()).unwrap_err(),
        Error::ForeignShare {
            share: 4,
            field: Field::Length
        }
    );

    // Same everything but another polynomial: the digest catches it.
    let e = slip39::split(&KEY, b"", &p, &mut rng(7)).unwrap().remove(0);
    r.add(e[1].clone()).unwrap();
    assert_eq!(r.finish(b"").unwrap_err(), Error::Digest { group: Some(0) });
}

#[test]
fn damaged_word_is_located() {
    let shares = set(2, 3, 8);
    let words: Vec<String> = shares[0]
        .to_mnemonic()
        .split(' ')
        .map(str::to_owned)
        .collect();
    for pos in [0usize, 1, 4, 17, 30, 32] {
        let mut w = words.clone();
        w[pos] = if w[pos] == "zero" {
            "academic".into()
        } else {
            "zero".into()
        };
        let err = Share::from_mnemonic(&w.join(" "), 7).unwrap_err();
        assert_eq!(
            err,
            Error::Checksum {
                share: 7,
                word: Some(pos + 1)
            },
            "position {pos}"
        );
    }
    // Two damaged words: detected, not located.
    let mut w = words.clone();
    w[3] = if w[3] == "zero" {
        "academic".into()
    } else {
        "zero".into()
    };
    w[9] = if w[9] == "zero" {
        "academic".into()
    } else {
        "zero".into()
    };
    assert_eq!(
        Share::from_mnemonic(&w.join(" "), 1).unwrap_err(),
        Error::Checksum {
            share: 1,
            word: None
        }
    );
    // Unknown word.
    let mut w = words.clone();
    w[5] = "qwerty".into();
    assert_eq!(
        Share::from_mnemonic(&w.join(" "), 2).unwrap_err(),
        Error::UnknownWord {
            share: 2,
            position: 6
        }
    );
}

#[test]
fn four_letter_prefixes_and_case_are_accepted() {
    let shares = set(2, 3, 9);
    let m = shares[0].to_mnemonic();
    let short: Vec<String> = m.split(' ').map(|w| w[..4].to_uppercase()).collect();
    assert_eq!(
        Share::from_mnemonic(&short.join("  "), 1).unwrap(),
        shares[0]
    );
}

#[test]
fn extra_member_shares_name_the_one_off_the_polynomial() {
    let shares = set(3, 5, 10);
    for bad in 0..4 {
        let mut list: Vec<Share> = shares[..4].to_vec();
        // Replace the bad share by a well-formed share with the same header
        // carrying another value: a forged card.
        let fake = forge_like(&list[bad], 40 + bad as u8);
        list[bad] = fake;
        let mut r = Recovery::new();
        for s in &list {
            r.add(s.clone()).unwrap();
        }
        assert_eq!(
            r.finish(b"").unwrap_err(),
            Error::ShareOffPolynomial { share: bad + 1 },
            "bad {bad}"
        );
    }
    // All five good: extras agree.
    let mut r = Recovery::new();
    for s in &shares {
        r.add(s.clone()).unwrap();
    }
    assert_eq!(r.finish(b"").unwrap().expose_secret(), &KEY);
}

/// A share with the header of `like` and a value from another split with the
/// same identifier (a forged card that passes every check but the polynomial).
fn forge_like(like: &Share, seed: u8) -> Share {
    let mut p = Params::single(like.member_threshold(), 5).unwrap();
    p.iteration_exponent = like.iteration_exponent();
    p.identifier = Some(like.identifier());
    let other = slip39::split(&KEY, b"", &p, &mut rng(seed))
        .unwrap()
        .remove(0);
    other[like.member_index() as usize].clone()
}

#[test]
fn groups_two_of_three_with_passphrase() {
    let mut p = Params::groups(
        2,
        &[
            GroupSpec {
                threshold: 2,
                count: 3,
            },
            GroupSpec {
                threshold: 1,
                count: 1,
            },
            GroupSpec {
                threshold: 3,
                count: 5,
            },
        ],
    )
    .unwrap();
    p.iteration_exponent = 0;
    let groups = slip39::split(&KEY, b"TREZOR", &p, &mut rng(12)).unwrap();
    assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [3, 1, 5]);
    let mut r = Recovery::new();
    r.add(groups[2][4].clone()).unwrap();
    r.add(groups[0][1].clone()).unwrap();
    let p1 = r.add(groups[2][0].clone()).unwrap();
    assert_eq!(p1.groups_complete(), 0);
    r.add(groups[2][2].clone()).unwrap();
    // Two groups present, group 1 (index 0) still short: that group is named.
    assert_eq!(
        r.finish(b"TREZOR").unwrap_err(),
        Error::InsufficientMembers {
            group: 0,
            needed: 2,
            found: 1
        }
    );
    let p2 = r.add(groups[1][0].clone()).unwrap();
    assert!(p2.is_complete());
    assert_eq!(r.finish(b"TREZOR").unwrap().expose_secret(), &KEY);
    assert_ne!(r.finish(b"").unwrap().expose_secret(), &KEY);
}

#[test]
fn split_parameter_errors() {
    assert_eq!(
        Params::single(1, 3).unwrap_err(),
        Error::SingleMemberThreshold { group: 1 }
    );
    assert_eq!(
        Params::single(2, 17).unwrap_err(),
        Error::Parameter {
            what: "a member count",
            found: 17,
            max: 16
        }
    );
    let g = GroupSpec {
        threshold: 1,
        count: 1,
    };
    assert_eq!(
        Params::groups(2, &[g]).unwrap_err(),
        Error::GroupThresholdAboveCount {
            share: 0,
            threshold: 2,
            count: 1
        }
    );
    let p = Params::single(2, 3).unwrap();
    assert_eq!(
        slip39::split(&KEY[..15], b"", &p, &mut rng(1)).unwrap_err(),
        Error::SecretLength { found: 15 }
    );
    assert_eq!(
        slip39::split(&KEY[..17], b"", &p, &mut rng(1)).unwrap_err(),
        Error::SecretLength { found: 17 }
    );
    assert_eq!(
        slip39::split(&KEY, b"caf\xc3\xa9", &p, &mut rng(1)).unwrap_err(),
        Error::PassphraseCharacter { position: 4 }
    );
}

#[test]
fn bytes_form_sizes_and_rejections() {
    let s32 = set(2, 3, 13);
    assert_eq!(s32[0].to_bytes().len(), 42);
    let p16 = {
        let mut p = Params::single(2, 3).unwrap();
        p.iteration_exponent = 0;
        p
    };
    let s16 = slip39::split(&KEY[..16], b"", &p16, &mut rng(14))
        .unwrap()
        .remove(0);
    assert_eq!(s16[0].to_bytes().len(), 25);
    let b = s32[0].to_bytes();
    // Non-zero padding bits in the last byte (6 padding bits for 330 bits).
    let mut bad = b.to_vec();
    *bad.last_mut().unwrap() |= 1;
    assert_eq!(
        Share::from_bytes(&bad, 3).unwrap_err(),
        Error::BytesFormat {
            share: 3,
            found: 42
        }
    );
    // A byte of pure padding (26 bytes = 20 words + 8 bits).
    let mut long = s16[0].to_bytes().to_vec();
    long.push(0);
    assert_eq!(
        Share::from_bytes(&long, 1).unwrap_err(),
        Error::BytesFormat {
            share: 1,
            found: 26
        }
    );
    // A flipped bit is caught by the checksum and located.
    let mut flip = b.to_vec();
    flip[10] ^= 0x10;
    assert!(matches!(
        Share::from_bytes(&flip, 1).unwrap_err(),
        Error::Checksum {
            share: 1,
            word: Some(_)
        }
    ));
}

#[test]
fn errors_never_show_words() {
    let shares = set(2, 3, 15);
    let m = shares[0].to_mnemonic();
    let mut w: Vec<&str> = m.split(' ').collect();
    w[12] = "academic";
    if m.split(' ').nth(12) != Some("academic") {
        let e = Share::from_mnemonic(&w.join(" "), 1)
            .unwrap_err()
            .to_string();
        // Positions only, never words.
        assert_eq!(
            e,
            "share 1 is damaged (checksum mismatch); word 13 is probably wrong"
        );
    }
    assert!(format!("{:?}", shares[0]).contains("REDACTED"));
}

/// Shares at iteration exponents 6 and 15 (built by `split_ems`, which runs
/// no PBKDF2): refused at `add` under the default cap of 5, naming the share
/// and the exponent; accepted once the cap is raised, and exponent 5 is
/// accepted by default.
#[test]
fn iteration_exponent_is_capped_before_any_pbkdf2() {
    assert_eq!(slip39::DEFAULT_MAX_ITERATION_EXPONENT, 5);
    let ems = [0x5Au8; 16];
    let shares_at = |e: u8| {
        let mut p = Params::single(2, 3).unwrap();
        p.iteration_exponent = e;
        slip39::split_ems(&ems, 0x1234, &p, &mut rng(e))
            .unwrap()
            .remove(0)
    };
    for e in [6u8, 15] {
        let shares = shares_at(e);
        let mut r = Recovery::new();
        assert_eq!(r.max_iteration_exponent(), 5);
        let err = r.add_mnemonic(&shares[0].to_mnemonic()).unwrap_err();
        assert_eq!(
            err,
            Error::IterationExponentTooHigh {
                share: 1,
                found: e,
                max: 5
            }
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "share 1 has iteration exponent {e}, above the cap of 5"
            )),
            "{text}"
        );
        // Nothing was accepted: the recovery is still empty.
        assert_eq!(r.progress().groups_complete(), 0);
        assert!(matches!(
            slip39::combine_mnemonics(&[shares[0].to_mnemonic(), shares[1].to_mnemonic()], b""),
            Err(Error::IterationExponentTooHigh { found, .. }) if found == e
        ));

        let mut r = Recovery::new().with_max_iteration_exponent(e);
        r.add_mnemonic(&shares[2].to_mnemonic()).unwrap();
        r.add_mnemonic(&shares[0].to_mnemonic()).unwrap();
        assert!(r.is_complete());
        let (got, _, _, exponent) = r.finish_ems().unwrap();
        assert_eq!(&got[..], &ems[..]);
        assert_eq!(exponent, e);
    }
    let mut r = Recovery::new();
    r.add_mnemonic(&shares_at(5)[0].to_mnemonic()).unwrap();
}
