#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::cast_possible_truncation,
    missing_docs
)]
//! The application PIN's cost per guess, the figure behind the honest limit
//! in `docs/formats.md` ("Application PIN record"): whoever holds both the
//! record and the device secret tries all 10^6 PINs offline at this cost
//! each. Side by side with the raw `argon2` crate at the same parameters
//! (the attacker's floor: the HKDF and AES-SIV around it are negligible).
//!
//! Run: `cargo bench -p keyward-benches --bench app_pin -- --sample-size 10`

use std::hint::black_box;

use argon2::{Algorithm, Argon2, Params, Version};
use criterion::{Criterion, criterion_group, criterion_main};
use keyward_core::SecretBytes;
use keyward_superpin::{AppPin, AppPinRecord, DeviceSecret, Error};

fn one_guess(c: &mut Criterion) {
    let mut rng = keyward_core::os_rng();
    let device = DeviceSecret::generate(&mut rng);
    let pin = AppPin::parse("493817").unwrap();
    let p = AppPinRecord::DEFAULT_PARAMS;
    let record = AppPinRecord::create(
        &SecretBytes::from_array([7; 32]),
        &pin,
        &device,
        p,
        5,
        &mut rng,
    )
    .unwrap();
    let guess = AppPin::parse("000000").unwrap();
    let mut g = c.benchmark_group("app_pin_guess");
    g.sample_size(10);
    g.bench_function("keyward_wrong_pin_m65536_t3_p1", |b| {
        b.iter(|| {
            let mut r = record.clone();
            let e = r
                .unlock_with(black_box(&guess), &device, |_: &AppPinRecord| {
                    Ok::<(), Error>(())
                })
                .unwrap_err();
            assert!(matches!(e, Error::AppPinWrong { .. }));
        })
    });
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(p.m_cost_kib, p.t_cost, p.p_cost, Some(32)).unwrap(),
    );
    let mut mem = vec![argon2::Block::default(); p.m_cost_kib as usize];
    g.bench_function("argon2_raw_m65536_t3_p1", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            argon
                .hash_password_into_with_memory(b"000000", &[1u8; 16], &mut out, &mut mem)
                .unwrap();
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, one_guess);
criterion_main!(benches);
