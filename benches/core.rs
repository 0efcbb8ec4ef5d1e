#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    missing_docs
)]
//! keyward-core benchmarks: KCV and hex parsing against the raw RustCrypto
//! calls they wrap (the overhead of keyward's checks and zeroization), and XOR
//! components.
//!
//! Run: `cargo bench --bench core`

use std::hint::black_box;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use cmac::Mac;
use criterion::{Criterion, criterion_group, criterion_main};
use keyward::key::components::{self, ComponentInput};
use keyward::key::{AesKey, KcvMethod};

const KEY: [u8; 32] =
    hex_literal::hex!("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");

fn kcv(c: &mut Criterion) {
    let key = AesKey::from_slice(&KEY).unwrap();
    let mut g = c.benchmark_group("kcv_aes256");
    g.bench_function("keyward_cmac", |b| {
        b.iter(|| black_box(&key).kcv_with(KcvMethod::Cmac))
    });
    g.bench_function("raw_cmac_crate", |b| {
        b.iter(|| {
            let mut mac =
                <cmac::Cmac<aes::Aes256> as KeyInit>::new_from_slice(black_box(&KEY)).unwrap();
            mac.update(&[0u8; 16]);
            mac.finalize().into_bytes()
        })
    });
    g.bench_function("keyward_ecb", |b| {
        b.iter(|| black_box(&key).kcv_with(KcvMethod::Ecb))
    });
    g.bench_function("raw_aes_crate", |b| {
        b.iter(|| {
            let cipher = aes::Aes256::new_from_slice(black_box(&KEY)).unwrap();
            let mut block = aes::Block::default();
            cipher.encrypt_block(&mut block);
            block
        })
    });
    g.finish();
}

fn hex(c: &mut Criterion) {
    let text = "603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4";
    c.bench_function("aeskey_from_hex_256", |b| {
        b.iter(|| AesKey::from_hex(black_box(text)).unwrap())
    });
}

fn comps(c: &mut Criterion) {
    let key = AesKey::from_slice(&KEY).unwrap();
    let mut rng = keyward::key::os_rng();
    c.bench_function("components_split_3", |b| {
        b.iter(|| components::split(black_box(&key), 3, &mut rng).unwrap())
    });
    let parts = components::split(&key, 3, &mut rng).unwrap();
    let inputs: Vec<ComponentInput> = parts
        .iter()
        .map(|k| ComponentInput {
            expected_kcv: Some(k.kcv().to_string().parse().unwrap()),
            key: k,
        })
        .collect();
    c.bench_function("components_combine_3_with_kcvs", |b| {
        b.iter(|| components::combine(black_box(&inputs), KcvMethod::Cmac, None).unwrap())
    });
}

criterion_group!(benches, kcv, hex, comps);
criterion_main!(benches);
