//! The raw layer's validation: every misuse is a typed error, never a wrong secret.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward_shamir::Error;
use keyward_shamir::raw::{self, Share, ShareRef};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([1; 32])
}

const KEY: [u8; 32] = [0xA5; 32];

#[test]
fn threshold_and_count_limits() {
    let r: Result<[Share<32>; 3], _> = raw::split(&KEY, 1, &mut rng());
    assert_eq!(r.unwrap_err(), Error::Threshold { k: 1, n: 3 });
    let r: Result<[Share<32>; 3], _> = raw::split(&KEY, 4, &mut rng());
    assert_eq!(r.unwrap_err(), Error::Threshold { k: 4, n: 3 });
    let r: Result<[Share<32>; 256], _> = raw::split(&KEY, 2, &mut rng());
    assert_eq!(r.unwrap_err(), Error::Threshold { k: 2, n: 256 });
    let ok: [Share<32>; 255] = raw::split(&KEY, 255, &mut rng()).unwrap();
    assert_eq!(ok[254].x(), 255);
    assert_eq!(raw::combine(255, &ok).unwrap().expose_secret(), &KEY);
    let empty: Result<[Share<0>; 3], _> = raw::split(&[], 2, &mut rng());
    assert_eq!(empty.unwrap_err(), Error::EmptySecret);
    let shares: [Share<32>; 3] = raw::split(&KEY, 2, &mut rng()).unwrap();
    assert_eq!(
        raw::combine(1, &shares).unwrap_err(),
        Error::Threshold { k: 1, n: 3 }
    );
}

#[test]
fn caller_x_coordinates() {
    let shares: [Share<32>; 3] = raw::split_at(&KEY, 2, &[9, 200, 255], &mut rng()).unwrap();
    assert_eq!(
        shares.iter().map(|s| s.x()).collect::<Vec<_>>(),
        [9, 200, 255]
    );
    assert_eq!(raw::combine(2, &shares[1..]).unwrap().expose_secret(), &KEY);
    let zero: Result<[Share<32>; 3], _> = raw::split_at(&KEY, 2, &[1, 0, 3], &mut rng());
    assert_eq!(zero.unwrap_err(), Error::ZeroX { share: 2 });
    let dup: Result<[Share<32>; 3], _> = raw::split_at(&KEY, 2, &[5, 6, 5], &mut rng());
    assert_eq!(
        dup.unwrap_err(),
        Error::DuplicateX {
            share: 3,
            first: 1,
            x: 5
        }
    );
}

#[test]
fn interpolate_at_any_x_makes_a_replacement_share() {
    let shares: [Share<32>; 4] = raw::split_at(&KEY, 3, &[1, 2, 3, 77], &mut rng()).unwrap();
    let again = raw::interpolate(3, &shares[..3], 77).unwrap();
    assert_eq!(again, shares[3]);
    let at_zero = raw::interpolate(3, &shares[1..], 0).unwrap();
    assert_eq!(at_zero.expose_value(), &KEY);
}

#[test]
fn too_few_shares_is_an_error() {
    let shares: [Share<32>; 5] = raw::split(&KEY, 3, &mut rng()).unwrap();
    assert_eq!(
        raw::combine(3, &shares[..2]).unwrap_err(),
        Error::TooFewShares {
            needed: 3,
            found: 2
        }
    );
    assert_eq!(
        raw::combine::<32>(3, &[]).unwrap_err(),
        Error::TooFewShares {
            needed: 3,
            found: 0
        }
    );
}

#[test]
fn zero_x_share_is_rejected() {
    // An injected x = 0 "share" would otherwise be taken as the secret.
    let shares: [Share<32>; 3] = raw::split(&KEY, 2, &mut rng()).unwrap();
    let forged = [shares[0].clone(), Share::new(0, [0; 32])];
    assert_eq!(
        raw::combine(2, &forged).unwrap_err(),
        Error::ZeroX { share: 2 }
    );
}

#[test]
fn identical_and_conflicting_duplicates_differ() {
    let shares: [Share<32>; 3] = raw::split(&KEY, 2, &mut rng()).unwrap();
    let same = [shares[1].clone(), shares[1].clone()];
    assert_eq!(
        raw::combine(2, &same).unwrap_err(),
        Error::DuplicateShare { share: 2, first: 1 }
    );
    let mut other = *shares[1].expose_value();
    other[0] ^= 1;
    let conflict = [shares[1].clone(), shares[0].clone(), Share::new(2, other)];
    assert_eq!(
        raw::combine(2, &conflict).unwrap_err(),
        Error::ConflictingShares {
            share: 3,
            first: 1,
            x: 2
        }
    );
}

#[test]
fn slice_api_lengths() {
    let mut flat = [0u8; 3 * 20];
    let secret = [3u8; 20];
    raw::split_into(&secret, 2, &[1, 2, 3], &mut flat, &mut rng()).unwrap();
    let a = ShareRef {
        x: 1,
        y: &flat[..20],
    };
    let b = ShareRef {
        x: 3,
        y: &flat[40..],
    };
    let mut out = [0u8; 20];
    raw::combine_into(2, &[b, a], &mut out).unwrap();
    assert_eq!(out, secret);
    let short = ShareRef {
        x: 2,
        y: &flat[20..39],
    };
    assert_eq!(
        raw::combine_into(2, &[a, short], &mut out).unwrap_err(),
        Error::LengthMismatch {
            share: 2,
            expected: 20,
            found: 19
        }
    );
    let mut small = [0u8; 19];
    assert_eq!(
        raw::combine_into(2, &[a, b], &mut small).unwrap_err(),
        Error::BufferLength {
            expected: 20,
            found: 19
        }
    );
    assert_eq!(
        raw::split_into(&secret, 2, &[1, 2, 3], &mut flat[1..], &mut rng()).unwrap_err(),
        Error::BufferLength {
            expected: 60,
            found: 59
        }
    );
}

#[test]
fn extra_shares_check_consistency_and_name_the_liar() {
    let shares: [Share<32>; 6] = raw::split(&KEY, 3, &mut rng()).unwrap();
    // All six consistent: fine.
    assert_eq!(raw::combine(3, &shares).unwrap().expose_secret(), &KEY);
    for bad in 0..6 {
        let mut list = shares.clone();
        let mut v = *list[bad].expose_value();
        v[17] ^= 0x40;
        list[bad] = Share::new(list[bad].x(), v);
        // k + 3 shares: the bad one is named, whichever it is.
        assert_eq!(
            raw::combine(3, &list).unwrap_err(),
            Error::ShareOffPolynomial { share: bad + 1 }
        );
        // k + 1 shares: inconsistency detected, but not attributable.
        if bad < 4 {
            assert_eq!(
                raw::combine(3, &list[..4]).unwrap_err(),
                Error::InconsistentShares { found: 4 }
            );
        }
    }
}

#[test]
fn debug_is_redacted() {
    let shares: [Share<32>; 2] = raw::split(&[0xEE; 32], 2, &mut rng()).unwrap();
    let s = format!("{:?}", shares[0]);
    assert!(
        s.contains("REDACTED") && !s.to_lowercase().contains("ee, "),
        "{s}"
    );
}
