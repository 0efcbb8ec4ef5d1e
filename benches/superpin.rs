#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    missing_docs
)]
//! keyward-superpin benchmarks: parsing and checking a Super PIN (issue
//! target < 1 µs), generating one, deriving a key from it, and unlocking
//! account keys with it (HKDF + AES-256-SIV) against the password slot
//! (Argon2id, OWASP parameters).
//!
//! Run: `cargo bench --bench superpin`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward_superpin::{AccountKeys, Argon2Params, KeyPurpose, Proof, RecoveryCode, SuperPin};

fn codes(c: &mut Criterion) {
    let mut rng = keyward_core::os_rng();
    let pin = SuperPin::generate(&mut rng);
    let shown = pin.to_string();
    let lower = shown.to_lowercase().replace('-', " ");
    let code = RecoveryCode::generate(&mut rng).to_string();
    let mut g = c.benchmark_group("superpin_code");
    g.bench_function("parse_check_super_pin", |b| {
        b.iter(|| SuperPin::parse(black_box(&shown)).unwrap())
    });
    g.bench_function("parse_check_super_pin_lowercase_spaces", |b| {
        b.iter(|| SuperPin::parse(black_box(&lower)).unwrap())
    });
    g.bench_function("parse_check_recovery_code", |b| {
        b.iter(|| RecoveryCode::parse(black_box(&code)).unwrap())
    });
    g.bench_function("generate_super_pin", |b| {
        b.iter(|| SuperPin::generate(&mut rng))
    });
    g.bench_function("display_super_pin", |b| {
        b.iter(|| black_box(&pin).to_ascii())
    });
    g.bench_function("derive_key", |b| {
        b.iter(|| black_box(&pin).derive_key(KeyPurpose::AccountSlot))
    });
    g.finish();
}

fn unlock(c: &mut Criterion) {
    let mut rng = keyward_core::os_rng();
    let (mut keys, _) = AccountKeys::create(
        b"alice@example.com",
        b"password",
        Argon2Params::OWASP,
        &mut rng,
    )
    .unwrap();
    let pin = keys
        .activate_super_pin(Proof::Password(b"password"), &mut rng)
        .unwrap();
    let mut g = c.benchmark_group("superpin_unlock");
    g.bench_function("unlock_with_super_pin", |b| {
        b.iter(|| keys.unlock_with_super_pin(black_box(&pin)).unwrap())
    });
    g.sample_size(10);
    g.bench_function("unlock_with_password_owasp", |b| {
        b.iter(|| keys.unlock_with_password(black_box(b"password")).unwrap())
    });
    g.finish();
}

criterion_group!(benches, codes, unlock);
criterion_main!(benches);
