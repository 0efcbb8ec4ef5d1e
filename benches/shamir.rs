//! keyward-shamir against its peers, side by side in one run.
//!
//! Raw Shamir over GF(2^8): split 3-of-5 and combine 3 of a 32-byte key —
//! keyward vs sharks, blahaj, vsss-rs and shamirsecretsharing (its `hazmat`
//! key-share layer, the part comparable to plain Shamir: its `create_shares`
//! also encrypts with XSalsa20-Poly1305). Peers that accept an RNG get the
//! same seeded ChaCha20 stream (sharks, on rand 0.8, a seeded `StdRng`).
//!
//! SLIP-0039: split 2-of-3 and combine 2 of a 32-byte secret at iteration
//! exponent 0 against the PBKDF2 floor (the four Feistel rounds' PBKDF2 calls
//! alone, which both directions must do), and keyward's own work without
//! them. The peer sssmc39 0.0.3 pulls ring 0.16 (BoringSSL/OpenSSL licence,
//! outside the workspace's allowed list), so it is not a dependency here;
//! its figures in the README were measured with it added for one run (the
//! code for it is in the git history of this file).
//!
//! Run: `cargo bench --bench shamir`.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use core::hint::black_box;

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use criterion::{Criterion, criterion_group, criterion_main};
use keyward_shamir::{raw, slip39};

const KEY: [u8; 32] = *b"0123456789abcdef0123456789ABCDEF";

fn raw_split(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw split 3-of-5, 32 bytes");
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    g.bench_function("keyward", |b| {
        b.iter(|| {
            let s: [raw::Share<32>; 5] = raw::split(black_box(&KEY), 3, &mut rng).unwrap();
            s
        });
    });
    let mut rng08 = <rand08::rngs::StdRng as rand08::SeedableRng>::from_seed([7; 32]);
    let sharks = sharks::Sharks(3);
    g.bench_function("sharks", |b| {
        b.iter(|| {
            sharks
                .dealer_rng(black_box(&KEY), &mut rng08)
                .take(5)
                .collect::<Vec<_>>()
        });
    });
    let blahaj = blahaj::Sharks(3);
    g.bench_function("blahaj", |b| {
        b.iter(|| {
            blahaj
                .dealer_rng(black_box(&KEY), &mut rng)
                .take(5)
                .collect::<Vec<_>>()
        });
    });
    g.bench_function("vsss-rs", |b| {
        b.iter(|| vsss_rs::Gf256::split_array(3, 5, black_box(&KEY), &mut rng).unwrap());
    });
    g.bench_function("shamirsecretsharing (hazmat)", |b| {
        b.iter(|| shamirsecretsharing::hazmat::create_keyshares(black_box(&KEY), 5, 3).unwrap());
    });
    g.finish();
}

fn raw_combine(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw combine 3, 32 bytes");
    let mut rng = ChaCha20Rng::from_seed([9; 32]);

    let kw: [raw::Share<32>; 5] = raw::split(&KEY, 3, &mut rng).unwrap();
    let kw3 = [kw[4].clone(), kw[1].clone(), kw[2].clone()];
    g.bench_function("keyward", |b| {
        b.iter(|| raw::combine(3, black_box(&kw3)).unwrap());
    });

    let mut rng08 = <rand08::rngs::StdRng as rand08::SeedableRng>::from_seed([9; 32]);
    let sharks = sharks::Sharks(3);
    let sh: Vec<sharks::Share> = sharks.dealer_rng(&KEY, &mut rng08).take(5).collect();
    let sh3: Vec<sharks::Share> = vec![sh[4].clone(), sh[1].clone(), sh[2].clone()];
    assert_eq!(sharks.recover(&sh3).unwrap(), KEY);
    g.bench_function("sharks", |b| {
        b.iter(|| sharks.recover(black_box(&sh3)).unwrap())
    });

    let blahaj = blahaj::Sharks(3);
    let bl: Vec<blahaj::Share> = blahaj.dealer_rng(&KEY, &mut rng).take(5).collect();
    let bl3: Vec<blahaj::Share> = vec![bl[4].clone(), bl[1].clone(), bl[2].clone()];
    assert_eq!(blahaj.recover(&bl3).unwrap(), KEY);
    g.bench_function("blahaj", |b| {
        b.iter(|| blahaj.recover(black_box(&bl3)).unwrap())
    });

    let vs = vsss_rs::Gf256::split_array(3, 5, KEY, &mut rng).unwrap();
    let vs3 = vec![vs[4].clone(), vs[1].clone(), vs[2].clone()];
    assert_eq!(vsss_rs::Gf256::combine_array(&vs3).unwrap(), KEY);
    g.bench_function("vsss-rs", |b| {
        b.iter(|| vsss_rs::Gf256::combine_array(black_box(&vs3)).unwrap())
    });

    let ss = shamirsecretsharing::hazmat::create_keyshares(&KEY, 5, 3).unwrap();
    let ss3 = vec![ss[4].clone(), ss[1].clone(), ss[2].clone()];
    assert_eq!(
        shamirsecretsharing::hazmat::combine_keyshares(&ss3).unwrap(),
        KEY
    );
    g.bench_function("shamirsecretsharing (hazmat)", |b| {
        b.iter(|| shamirsecretsharing::hazmat::combine_keyshares(black_box(&ss3)).unwrap());
    });
    g.finish();
}

/// The PBKDF2 work of one Feistel pass at e = 0: four rounds of 2500
/// iterations of HMAC-SHA256, 16 bytes out each.
fn pbkdf2_floor(secret: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for i in 0u8..4 {
        let mut salt = Vec::with_capacity(16);
        salt.extend_from_slice(&secret[16..]);
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&[i], &salt, 2500, &mut out);
    }
    out
}

fn slip39_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("SLIP-0039 2-of-3, 32 bytes, e=0");
    g.sample_size(20);
    let mut rng = ChaCha20Rng::from_seed([11; 32]);
    let mut params = slip39::Params::single(2, 3).unwrap();
    params.iteration_exponent = 0;
    params.extendable = false; // as sssmc39 0.0.3, which predates the flag (README figures)

    g.bench_function("PBKDF2 floor (4 rounds x 2500)", |b| {
        b.iter(|| pbkdf2_floor(black_box(&KEY)))
    });
    g.bench_function("split keyward", |b| {
        b.iter(|| slip39::split(black_box(&KEY), b"", &params, &mut rng).unwrap());
    });

    // keyward's own work without the Feistel rounds: the overhead above the floor.
    g.bench_function("split keyward, EMS only (no PBKDF2)", |b| {
        b.iter(|| slip39::split_ems(black_box(&KEY), 1234, &params, &mut rng).unwrap());
    });
    let shares = slip39::split(&KEY, b"", &params, &mut rng).unwrap();
    let words: Vec<String> = [2, 0]
        .iter()
        .map(|&i| shares[0][i].to_mnemonic().to_string())
        .collect();
    g.bench_function("combine keyward (from words)", |b| {
        b.iter(|| slip39::combine_mnemonics(black_box(&words), b"").unwrap());
    });
    g.bench_function("combine keyward, EMS only (no PBKDF2)", |b| {
        b.iter(|| {
            let mut r = slip39::Recovery::new();
            for w in &words {
                r.add_mnemonic(black_box(w)).unwrap();
            }
            r.finish_ems().unwrap()
        });
    });
    g.finish();
}

criterion_group!(benches, raw_split, raw_combine, slip39_bench);
criterion_main!(benches);
