#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! keyward-pinhash benchmarks: hashing and verifying at the default (OWASP)
//! Argon2id parameters, against the raw `argon2` crate given the same
//! parameters and the same secret (the pepper), in one run.
//!
//! Run: `cargo bench --bench pinhash`

use std::hint::black_box;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params as ArgonParams, Version};
use criterion::{Criterion, criterion_group, criterion_main};
use keyward_core::{HashKey, Purpose};
use keyward_pinhash::{Block, PinHasher};

const PIN: &[u8] = b"483920";
const SALT: [u8; 16] = *b"0123456789abcdef";

fn pinhash(c: &mut Criterion) {
    let hash_key = HashKey::new("Site-HashKey/for:demo#2026-11-22").unwrap();
    let pepper = hash_key.subkey(Purpose::PinPepper);
    let keyward = PinHasher::from_hash_key(&hash_key);
    // The same work through the argon2 crate: Argon2id v19, m=19456, t=2,
    // p=1, 32-byte tag, the pepper as secret, the key id as `keyid`.
    let mut builder = argon2::ParamsBuilder::new();
    builder
        .m_cost(19_456)
        .t_cost(2)
        .p_cost(1)
        .output_len(32)
        .keyid(argon2::KeyId::new(&hash_key.key_id().0).unwrap())
        .data(argon2::AssociatedData::new(&keyward_pinhash::user_ad(b"alice").unwrap()).unwrap());
    let raw = Argon2::new_with_secret(
        pepper.expose_secret(),
        Algorithm::Argon2id,
        Version::V0x13,
        builder.build().unwrap(),
    )
    .unwrap();
    assert_eq!(*keyward.params(), keyward_pinhash::Params::OWASP);
    assert_eq!(ArgonParams::DEFAULT_M_COST, keyward.params().m_cost());

    // Both produce the same salt and tag (the strings differ only in how
    // they mark the associated data: keyward's `bind=user`, argon2's `data=`).
    let ours = keyward
        .hash_with_salt(b"alice", PIN, &SALT)
        .unwrap()
        .to_string();
    let theirs = raw.hash_password_with_salt(PIN, &SALT).unwrap().to_string();
    assert_eq!(
        ours.rsplitn(3, '$').take(2).collect::<Vec<_>>(),
        theirs.rsplitn(3, '$').take(2).collect::<Vec<_>>()
    );

    let mut g = c.benchmark_group("pinhash_owasp");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("keyward_hash", |b| {
        b.iter(|| {
            keyward
                .hash_with_salt(b"alice", black_box(PIN), &SALT)
                .unwrap()
        })
    });
    g.bench_function("raw_argon2_hash", |b| {
        b.iter(|| {
            raw.hash_password_with_salt(black_box(PIN), &SALT)
                .unwrap()
                .to_string()
        })
    });
    g.bench_function("keyward_verify", |b| {
        b.iter(|| keyward.verify(b"alice", black_box(PIN), &ours).unwrap())
    });
    g.bench_function("raw_argon2_verify", |b| {
        b.iter(|| PasswordVerifier::<str>::verify_password(&raw, black_box(PIN), &theirs).unwrap())
    });
    let mut memory = vec![Block::new(); keyward.block_count()];
    g.bench_function("keyward_verify_reused_memory", |b| {
        b.iter(|| {
            keyward
                .verify_with_memory(b"alice", black_box(PIN), &ours, &mut memory)
                .unwrap()
        })
    });
    g.finish();

    interleaved(&keyward, &raw, &ours, &theirs);
}

/// Median of `f` and `g` timed alternately, call by call, so that load from
/// other processes on a shared machine hits both alike; prints the ratios.
fn interleaved(keyward: &PinHasher, raw: &Argon2<'_>, ours: &str, theirs: &str) {
    const ROUNDS: usize = 60;
    fn median(mut v: Vec<Duration>) -> Duration {
        v.sort();
        v[v.len() / 2]
    }
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let mut memory = vec![Block::new(); keyward.block_count()];
    let mut raw_memory = vec![Block::new(); keyward.block_count()];
    let mut times: [Vec<Duration>; 6] = Default::default();
    for round in 0..ROUNDS {
        // Rotate the order each round: the allocator's state (a trimmed
        // heap, fresh pages) otherwise favours whoever runs second.
        for k in 0..6 {
            let which = (round + k) % 6;
            let t = match which {
                0 => time(&mut || {
                    black_box(
                        keyward
                            .hash_with_salt(b"alice", black_box(PIN), &SALT)
                            .unwrap(),
                    );
                }),
                1 => time(&mut || {
                    black_box(
                        raw.hash_password_with_salt(black_box(PIN), &SALT)
                            .unwrap()
                            .to_string(),
                    );
                }),
                2 => time(&mut || {
                    black_box(keyward.verify(b"alice", black_box(PIN), ours).unwrap());
                }),
                3 => time(&mut || {
                    PasswordVerifier::<str>::verify_password(raw, black_box(PIN), theirs).unwrap();
                }),
                4 => time(&mut || {
                    black_box(
                        keyward
                            .verify_with_memory(b"alice", black_box(PIN), ours, &mut memory)
                            .unwrap(),
                    );
                }),
                // The argon2 crate in caller memory, then the same wipe
                // keyward does: what keyward adds beyond its wipe.
                _ => time(&mut || {
                    let mut out = [0u8; 32];
                    raw.hash_password_into_with_memory(
                        black_box(PIN),
                        &SALT,
                        &mut out,
                        &mut raw_memory,
                    )
                    .unwrap();
                    raw_memory.fill(Block::new());
                    black_box(&mut raw_memory);
                    black_box(out);
                }),
            };
            times[which].push(t);
        }
    }
    let [kh, rh, kv, rv, km, rw] = times;
    let (kh, rh, kv, rv, km, rw) = (
        median(kh),
        median(rh),
        median(kv),
        median(rv),
        median(km),
        median(rw),
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("interleaved medians over {ROUNDS} rounds (OWASP m=19456 t=2 p=1):");
    println!(
        "  hash:   keyward {kh:?}  raw argon2 {rh:?}  ratio {:.3}",
        ratio(kh, rh)
    );
    println!(
        "  verify: keyward {kv:?}  raw argon2 {rv:?}  ratio {:.3}",
        ratio(kv, rv)
    );
    println!(
        "  verify, reused memory: keyward {km:?}  vs raw argon2 verify: ratio {:.3}",
        ratio(km, rv)
    );
    println!(
        "  verify, reused memory vs raw argon2 in caller memory + the same wipe {rw:?}: ratio {:.3}",
        ratio(km, rw)
    );
    println!(
        "  verifications per second per core: {:.1}",
        1.0 / kv.as_secs_f64()
    );
}

criterion_group!(benches, pinhash);
criterion_main!(benches);
