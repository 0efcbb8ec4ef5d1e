#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::indexing_slicing,
    missing_docs
)]
//! keyward-blob benchmarks (`docs/design.md#per-record-blob-protection`): seal and open of 64 B, 256 B and
//! 4 KiB BLOBs including the per-record key derivation (HKDF-SHA256), against
//! the raw `aes-siv` crate with a fixed key on the same data and the same
//! associated data (cipher built once: the strictest baseline; and built per
//! call: what any per-record key costs at least).
//!
//! Run: `cargo bench --bench blob`; with `KEYWARD_BENCH_PAIRED=1` it first
//! prints paired (interleaved) ratios, see [`paired`].

use std::hint::black_box;

use aes_siv::{KeyInit, Tag, siv::Aes256Siv};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use keyward_blob::{DeriveVector, KeySetting, RecordId};

const SIZES: [usize; 3] = [64, 256, 4096];

fn bench(c: &mut Criterion) {
    let key = KeySetting::derive_vector(DeriveVector::new(0x2A).unwrap()).database_key();
    let record = RecordId::application(b"VDS0012345", b"RESPONSE_ONLY");
    let raw_key = [0x42u8; 64];
    let header = [1u8, 1, 0, 0, 0x9c, 0xc4, 0x1a, 0xe1];
    let ad: [&[u8]; 5] = [&header, &[1], record.serial, record.application, b""];

    for op in ["seal", "open"] {
        let mut g = c.benchmark_group(format!("blob_{op}"));
        for size in SIZES {
            g.throughput(Throughput::Elements(1));
            let pt = vec![0xA5u8; size];
            let sealed = key.seal(&record, &pt).unwrap();
            let mut buf = vec![0u8; size + 24];

            g.bench_with_input(
                BenchmarkId::new("keyward_derive_and_siv", size),
                &size,
                |b, _| {
                    if op == "seal" {
                        b.iter(|| {
                            buf[..size].copy_from_slice(&pt);
                            key.seal_in_place(black_box(&record), None, &mut buf, size)
                                .unwrap()
                        });
                    } else {
                        b.iter(|| {
                            buf.copy_from_slice(&sealed);
                            key.open_in_place(black_box(&record), &mut buf)
                                .unwrap()
                                .len()
                        });
                    }
                },
            );

            let mut fixed = Aes256Siv::new_from_slice(&raw_key).unwrap();
            let raw_sealed = {
                let mut body = pt.clone();
                let tag = fixed
                    .encrypt_inout_detached(ad, body.as_mut_slice().into())
                    .unwrap();
                (tag, body)
            };
            let mut body = vec![0u8; size];
            g.bench_with_input(
                BenchmarkId::new("raw_aes_siv_fixed_key", size),
                &size,
                |b, _| {
                    if op == "seal" {
                        b.iter(|| {
                            body.copy_from_slice(&pt);
                            fixed
                                .encrypt_inout_detached(black_box(ad), body.as_mut_slice().into())
                                .unwrap()
                        });
                    } else {
                        b.iter(|| {
                            body.copy_from_slice(&raw_sealed.1);
                            let tag: Tag = raw_sealed.0;
                            fixed
                                .decrypt_inout_detached(
                                    black_box(ad),
                                    body.as_mut_slice().into(),
                                    &tag,
                                )
                                .unwrap();
                        });
                    }
                },
            );
            g.bench_with_input(
                BenchmarkId::new("raw_aes_siv_new_per_call", size),
                &size,
                |b, _| {
                    if op == "seal" {
                        b.iter(|| {
                            let mut s = Aes256Siv::new_from_slice(black_box(&raw_key)).unwrap();
                            body.copy_from_slice(&pt);
                            s.encrypt_inout_detached(ad, body.as_mut_slice().into())
                                .unwrap()
                        });
                    } else {
                        b.iter(|| {
                            let mut s = Aes256Siv::new_from_slice(black_box(&raw_key)).unwrap();
                            body.copy_from_slice(&raw_sealed.1);
                            s.decrypt_inout_detached(ad, body.as_mut_slice().into(), &raw_sealed.0)
                                .unwrap();
                        });
                    }
                },
            );
        }
        g.finish();
    }

    c.bench_function("blob_record_key_derivation", |b| {
        b.iter(|| {
            key.record_key(record.kind, black_box(record.serial), record.application)
                .unwrap()
        })
    });
}

/// Paired measurement (set `KEYWARD_BENCH_PAIRED=1`): in each of 101 rounds,
/// 200 keyward operations, then 200 raw fixed-key ones, then 200 raw per-call
/// ones, back to back; the median over rounds of the per-round ratios is far
/// less sensitive to other load on the machine than ratios of separate
/// criterion runs.
fn paired() {
    if std::env::var_os("KEYWARD_BENCH_PAIRED").is_none() {
        return;
    }
    let key = KeySetting::derive_vector(DeriveVector::new(0x2A).unwrap()).database_key();
    let record = RecordId::application(b"VDS0012345", b"RESPONSE_ONLY");
    let raw_key = [0x42u8; 64];
    let header = [1u8, 1, 0, 0, 0x9c, 0xc4, 0x1a, 0xe1];
    let ad: [&[u8]; 5] = [&header, &[1], record.serial, record.application, b""];
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("paired medians over 101 rounds of 200 operations each:");
    for op in ["seal", "open"] {
        for size in SIZES {
            let pt = vec![0xA5u8; size];
            let sealed = key.seal(&record, &pt).unwrap();
            let mut buf = vec![0u8; size + 24];
            let mut body = vec![0u8; size];
            let mut fixed = Aes256Siv::new_from_slice(&raw_key).unwrap();
            let (tag, ct) = {
                let mut b = pt.clone();
                let t = fixed
                    .encrypt_inout_detached(ad, b.as_mut_slice().into())
                    .unwrap();
                (t, b)
            };
            let (mut kw, mut rf, mut rc) = (Vec::new(), Vec::new(), Vec::new());
            let time = |f: &mut dyn FnMut()| {
                let t = std::time::Instant::now();
                for _ in 0..200 {
                    f();
                }
                t.elapsed().as_secs_f64() * 1e9 / 200.0
            };
            for _ in 0..101 {
                let k = time(&mut || {
                    if op == "seal" {
                        buf[..size].copy_from_slice(&pt);
                        black_box(
                            key.seal_in_place(black_box(&record), None, &mut buf, size)
                                .unwrap(),
                        );
                    } else {
                        buf.copy_from_slice(&sealed);
                        black_box(
                            key.open_in_place(black_box(&record), &mut buf)
                                .unwrap()
                                .len(),
                        );
                    }
                });
                let f = time(&mut || {
                    if op == "seal" {
                        body.copy_from_slice(&pt);
                        black_box(
                            fixed
                                .encrypt_inout_detached(black_box(ad), body.as_mut_slice().into())
                                .unwrap(),
                        );
                    } else {
                        body.copy_from_slice(&ct);
                        fixed
                            .decrypt_inout_detached(black_box(ad), body.as_mut_slice().into(), &tag)
                            .unwrap();
                    }
                });
                let c = time(&mut || {
                    let mut s = Aes256Siv::new_from_slice(black_box(&raw_key)).unwrap();
                    if op == "seal" {
                        body.copy_from_slice(&pt);
                        black_box(
                            s.encrypt_inout_detached(ad, body.as_mut_slice().into())
                                .unwrap(),
                        );
                    } else {
                        body.copy_from_slice(&ct);
                        s.decrypt_inout_detached(ad, body.as_mut_slice().into(), &tag)
                            .unwrap();
                    }
                });
                kw.push(k);
                rf.push(k / f);
                rc.push(k / c);
            }
            println!(
                "paired {op} {size:>4} B: keyward {:>8.0} ns, {:.2}x raw fixed key, {:.2}x raw per-call key",
                median(&mut kw),
                median(&mut rf),
                median(&mut rc)
            );
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    paired();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
