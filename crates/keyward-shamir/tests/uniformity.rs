//! Chi-square test that polynomial coefficients are uniform over all 256 byte
//! values, zero included (crate README, "Security", "Uniform coefficients"). Forcing non-zero coefficients would leak
//! the secret over many re-splits; this test fails if zero is excluded.
//!
//! With k = 2 and the share at x = 1, share ^ secret is the coefficient a1.
//! 400 expected per bin; the chi-square statistic with 255 degrees of
//! freedom must stay below 330.5 (p = 0.001). Excluding zero would add about
//! 400 by itself.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)] // test code

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward_shamir::raw;

fn chi_square(counts: &[u64; 256], total: u64) -> f64 {
    let expected = total as f64 / 256.0;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn coefficients_are_uniform_including_zero() {
    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let secret = [0u8; 1024];
    let mut counts = [0u64; 256];
    let mut flat = vec![0u8; 2 * 1024];
    for _ in 0..100 {
        raw::split_into(&secret, 2, &[1, 2], &mut flat, &mut rng).unwrap();
        for &b in &flat[..1024] {
            counts[b as usize] += 1;
        }
    }
    let chi = chi_square(&counts, 102_400);
    assert!(chi < 330.5, "chi-square {chi}");
    assert!(
        counts[0] > 300,
        "zero coefficient drawn {} times, expected about 400",
        counts[0]
    );
}

#[test]
fn fixed_size_api_shares_are_uniform_for_k3() {
    // Share values at x = 1 for a fixed secret: a1 ^ a2 ^ s, uniform.
    let mut rng = ChaCha20Rng::from_seed([43; 32]);
    let secret = [0x77u8; 64];
    let mut counts = [0u64; 256];
    for _ in 0..800 {
        let shares: [raw::Share<64>; 3] = raw::split(&secret, 3, &mut rng).unwrap();
        for &b in shares[0].expose_value() {
            counts[b as usize] += 1;
        }
    }
    let chi = chi_square(&counts, 51_200);
    assert!(chi < 330.5, "chi-square {chi}");
}
