//! Invariants (crate README, "Security"): every k-subset recovers, every (k−1)-subset is an
//! error, one changed word is caught and named, two sets never combine.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward_shamir::Error;
use keyward_shamir::raw::{self, ShareRef};
use keyward_shamir::slip39::{self, Params, Recovery, Share};
use proptest::prelude::*;

/// All subsets of `0..n` with `k` elements.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).filter(|i| m >> i & 1 == 1).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn raw_every_k_subset_recovers_every_smaller_one_fails(
        secret in proptest::collection::vec(any::<u8>(), 1..48),
        n in 2usize..=7,
        k_off in 0usize..6,
        seed in any::<[u8; 32]>(),
    ) {
        let k = 2 + k_off % (n - 1);
        let len = secret.len();
        let xs: Vec<u8> = (1..=n as u8).collect();
        let mut flat = vec![0u8; n * len];
        raw::split_into(&secret, k, &xs, &mut flat, &mut ChaCha20Rng::from_seed(seed)).unwrap();
        let shares: Vec<ShareRef<'_>> = xs.iter().zip(flat.chunks(len)).map(|(&x, y)| ShareRef { x, y }).collect();
        let mut out = vec![0u8; len];
        for sub in subsets(n, k) {
            let pick: Vec<ShareRef<'_>> = sub.iter().rev().map(|&i| shares[i]).collect();
            raw::combine_into(k, &pick, &mut out).unwrap();
            prop_assert_eq!(&out, &secret);
        }
        for sub in subsets(n, k - 1) {
            let pick: Vec<ShareRef<'_>> = sub.iter().map(|&i| shares[i]).collect();
            prop_assert_eq!(
                raw::combine_into(k, &pick, &mut out),
                Err(Error::TooFewShares { needed: k, found: k - 1 })
            );
        }
        // All n together: consistent.
        raw::combine_into(k, &shares, &mut out).unwrap();
        prop_assert_eq!(&out, &secret);
    }

    #[test]
    fn slip39_one_changed_word_is_caught_and_named(
        seed in any::<[u8; 32]>(),
        pos in 0usize..33,
        delta in 1u16..1024,
    ) {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut p = Params::single(2, 3).unwrap();
        p.iteration_exponent = 0;
        // Splitting runs the Feistel once (PBKDF2); that's the cost here.
        let shares = slip39::split_ems(&[0x5A; 32], 1234, &p, &mut rng).unwrap().remove(0);
        let mut idx = shares[1].to_indices().to_vec();
        idx[pos] = (idx[pos] + delta) % 1024;
        prop_assert_eq!(Share::from_indices(&idx, 2), Err(Error::Checksum { share: 2, word: Some(pos + 1) }));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn slip39_every_threshold_subset_recovers_and_smaller_fails(
        secret in proptest::collection::vec(any::<u8>(), 8..=16).prop_map(|mut v| { let l = v.len(); v.resize(2 * l, 0x33); v }),
        t in 2u8..=4,
        extra in 0u8..=2,
        seed in any::<[u8; 32]>(),
    ) {
        let n = t + extra;
        let mut p = Params::single(t, n).unwrap();
        p.iteration_exponent = 0;
        let mut rng = ChaCha20Rng::from_seed(seed);
        // Work on the EMS (no PBKDF2) so many subsets stay cheap; the
        // Feistel layer is covered by the official vectors.
        let id = 0x1234;
        let shares = slip39::split_ems(&secret, id, &p, &mut rng).unwrap().remove(0);
        for sub in subsets(n as usize, t as usize) {
            let mut r = Recovery::new();
            for &i in sub.iter().rev() {
                r.add(shares[i].clone()).unwrap();
            }
            let (ems, got_id, ext, e) = r.finish_ems().unwrap();
            prop_assert_eq!(ems.as_slice(), secret.as_slice());
            prop_assert_eq!((got_id, ext, e), (id, true, 0));
        }
        for sub in subsets(n as usize, t as usize - 1) {
            let mut r = Recovery::new();
            for &i in &sub {
                r.add(shares[i].clone()).unwrap();
            }
            let is_insufficient = matches!(r.finish_ems(), Err(Error::InsufficientMembers { .. } | Error::InsufficientGroups { .. }));
            prop_assert!(is_insufficient);
        }
    }

    #[test]
    fn slip39_two_sets_never_combine(seed in any::<[u8; 32]>(), same_id in any::<bool>()) {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let p = Params::single(2, 3).unwrap();
        let a = slip39::split_ems(&[7; 16], 99, &p, &mut rng).unwrap().remove(0);
        let b = slip39::split_ems(&[7; 16], if same_id { 99 } else { 100 }, &p, &mut rng).unwrap().remove(0);
        let mut r = Recovery::new();
        r.add(a[0].clone()).unwrap();
        match r.add(b[1].clone()) {
            Err(e) => prop_assert_eq!(e, Error::ForeignShare { share: 2, field: keyward_shamir::Field::Identifier }),
            Ok(_) => {
                prop_assert!(same_id);
                prop_assert_eq!(r.finish_ems().map(|_| ()), Err(Error::Digest { group: Some(0) }));
            }
        }
    }
}
