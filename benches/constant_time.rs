//! Constant-time evidence with dudect (`dudect-bencher`): for each
//! secret-dependent operation, two classes of inputs that differ only in the
//! secret, timed one call at a time; Welch's t statistic over the two timing
//! distributions (and their percentile crops) says whether they can be told
//! apart. |t| well below 4.5 after millions of samples is no evidence of a
//! leak; a large |t| is a leak (or a noisy machine: rerun before believing it).
//! Results and the full-run figures: `docs/assurance.md#constant-time`.
//!
//! ```text
//! cargo bench -p keyward-benches --bench constant_time              # full: 10 M samples or 30 min per test
//! cargo bench -p keyward-benches --bench constant_time -- --short   # CI: a few seconds per test, fails above |t| = 10
//! cargo bench -p keyward-benches --bench constant_time -- --samples 2000000 --minutes 5 --limit 4.5 kcv
//! ```
//!
//! The driver runs each test in a child process (this binary with `--child
//! NAME`, dudect's continuous mode, which accumulates statistics batch after
//! batch) and reads its progress lines; it prints `NAME: max t = X (N
//! samples)` per test and exits 1 when any |max t| exceeds the limit, or when
//! the control (a deliberately leaky comparison) does *not* exceed it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::std_instead_of_core,
    missing_docs
)]

use std::cell::RefCell;
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use dudect_bencher::ctbench::{BenchFn, BenchMetadata, BenchName, BenchOpts, run_benches_console};
use dudect_bencher::rand::{Rng, RngExt};
use dudect_bencher::{BenchRng, Class, CtRunner};
use keyward::backup::{self, BackupOptions, CardStore, MemoryCard};
use keyward::superpin::Argon2Params;
use keyward_blob::{DeriveVector, KeySetting, RecordId};
use keyward_core::{Aes256Key, ExpectedKcv, HashKey, KcvMethod};
use keyward_pinhash::{Params, PinHasher, PinPolicy};
use keyward_shamir::{raw, slip39};
use keyward_superpin::SuperPin;

/// Samples per batch (one call of a test function): dudect's statistics
/// accumulate over batches in continuous mode.
const BATCH: usize = 20_000;
/// Batches of slow operations (Argon2 inside) are smaller.
const SLOW_BATCH: usize = 400;

fn class(rng: &mut BenchRng) -> Class {
    if rng.random::<bool>() {
        Class::Left
    } else {
        Class::Right
    }
}

fn random_bytes<const N: usize>(rng: &mut BenchRng) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill_bytes(&mut b);
    b
}

/// Raw Shamir combine, 3 of 5 at x = 1, 2, 3: shares of an all-zero secret
/// (Left) against shares of a random secret (Right).
fn shamir_raw_combine(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut os = keyward_core::os_rng();
    let inputs: Vec<(Class, [raw::Share<32>; 3])> = (0..BATCH)
        .map(|_| {
            let c = class(rng);
            let secret = match c {
                Class::Left => [0u8; 32],
                Class::Right => random_bytes(rng),
            };
            let shares: [raw::Share<32>; 3] = raw::split(&secret, 3, &mut os).unwrap();
            (c, shares)
        })
        .collect();
    for (c, shares) in &inputs {
        runner.run_one(*c, || raw::combine(3, shares).unwrap());
    }
}

/// Raw Shamir split 3 of 5: an all-zero secret (Left) against a random one.
fn shamir_raw_split(runner: &mut CtRunner, rng: &mut BenchRng) {
    let inputs: Vec<(Class, [u8; 32])> = (0..BATCH)
        .map(|_| {
            let c = class(rng);
            let secret = match c {
                Class::Left => [0u8; 32],
                Class::Right => random_bytes(rng),
            };
            (c, secret)
        })
        .collect();
    let os = RefCell::new(keyward_core::os_rng());
    for (c, secret) in &inputs {
        runner.run_one(*c, || {
            let s: [raw::Share<32>; 5] = raw::split(secret, 3, &mut *os.borrow_mut()).unwrap();
            s
        });
    }
}

/// The card bytes of a fresh 2-of-3 SLIP-0039 set of `secret` (as EMS).
fn slip39_shares(secret: &[u8; 32]) -> Vec<Vec<u8>> {
    let params = slip39::Params::single(2, 3).unwrap();
    let groups = slip39::split_ems(secret, 0x1234, &params, &mut keyward_core::os_rng()).unwrap();
    groups[0].iter().map(|s| s.to_bytes().to_vec()).collect()
}

/// SLIP-0039 share parse and RS1024 checksum check of valid shares: a share
/// of an all-zero secret (Left) against shares of random secrets.
fn slip39_checksum(runner: &mut CtRunner, rng: &mut BenchRng) {
    let zero = slip39_shares(&[0u8; 32]);
    let inputs: Vec<(Class, Vec<u8>)> = (0..BATCH / 4)
        .map(|i| {
            let c = class(rng);
            let bytes = match c {
                Class::Left => zero[i % 2].clone(),
                Class::Right => slip39_shares(&random_bytes(rng))[i % 2].clone(),
            };
            (c, bytes)
        })
        .collect();
    for (c, bytes) in &inputs {
        runner.run_one(*c, || slip39::Share::from_bytes(bytes, 1).unwrap());
    }
}

/// SLIP-0039 interpolation and digest check (`finish_ems`, no PBKDF2): two
/// shares of an all-zero secret (Left) against two of a random secret.
fn slip39_digest(runner: &mut CtRunner, rng: &mut BenchRng) {
    let inputs: Vec<(Class, slip39::Recovery)> = (0..BATCH / 8)
        .map(|_| {
            let c = class(rng);
            let secret = match c {
                Class::Left => [0u8; 32],
                Class::Right => random_bytes(rng),
            };
            let shares = slip39_shares(&secret);
            let mut r = slip39::Recovery::new();
            r.add_bytes(&shares[0]).unwrap();
            r.add_bytes(&shares[2]).unwrap();
            (c, r)
        })
        .collect();
    for (c, r) in &inputs {
        runner.run_one(*c, || r.finish_ems().unwrap().1);
    }
}

/// KCV comparison: the right expected KCV (Left) against a random one.
fn kcv_compare(runner: &mut CtRunner, rng: &mut BenchRng) {
    let key = Aes256Key::from_slice(&random_bytes::<32>(rng)).unwrap();
    let kcv = key.kcv_with(KcvMethod::Cmac);
    let right = ExpectedKcv::parse(&kcv.to_string()).unwrap();
    let inputs: Vec<(Class, ExpectedKcv)> = (0..BATCH)
        .map(|_| {
            let c = class(rng);
            let e = match c {
                Class::Left => right,
                Class::Right => {
                    let b: [u8; 3] = random_bytes(rng);
                    ExpectedKcv::parse(&format!("{:02X}{:02X}{:02X}", b[0], b[1], b[2])).unwrap()
                }
            };
            (c, e)
        })
        .collect();
    for (c, e) in &inputs {
        runner.run_one(*c, || kcv.matches(e));
    }
}

/// BLOB open of 256 bytes with a wrong tag: wrong in its first byte (Left)
/// against wrong in its last byte (Right). Both fail; the time must not say
/// where the tag differs.
fn blob_open_tag(runner: &mut CtRunner, rng: &mut BenchRng) {
    let key = KeySetting::derive_vector(DeriveVector::new(0x2A).unwrap()).database_key();
    let record = RecordId::application(b"VDS0012345", b"RESPONSE_ONLY");
    let sealed = key.seal(&record, &[0xA5u8; 256]).unwrap();
    // The tag follows the 8-byte header (docs/formats.md, BLOB layout).
    let (first, last) = (8, 8 + 15);
    let inputs: Vec<(Class, Vec<u8>)> = (0..BATCH / 4)
        .map(|_| {
            let c = class(rng);
            let mut b = sealed.clone();
            let at = match c {
                Class::Left => first,
                Class::Right => last,
            };
            b[at] ^= 1 | rng.random::<u8>();
            (c, b)
        })
        .collect();
    let buf = RefCell::new(vec![0u8; sealed.len()]);
    for (c, b) in &inputs {
        runner.run_one(*c, || {
            let mut buf = buf.borrow_mut();
            buf.copy_from_slice(b);
            key.open_in_place(&record, &mut buf).is_err()
        });
    }
}

/// PHC verification's final comparison: a stored hash wrong in its first
/// byte (Left) against wrong in its last full byte (Right), small Argon2
/// costs so the comparison is a visible part of the time.
fn phc_compare(runner: &mut CtRunner, rng: &mut BenchRng) {
    let hasher = PinHasher::from_hash_key(&HashKey::builtin_default())
        .with_params(Params::new(8, 1, 1).unwrap());
    let phc = hasher
        .hash_pin(
            &PinPolicy::DEFAULT,
            b"alice",
            "493817",
            &mut keyward_core::os_rng(),
        )
        .unwrap()
        .as_str()
        .to_owned();
    let hash_at = phc.rfind('$').unwrap() + 1;
    let flip = |s: &str, at: usize| -> String {
        let mut b = s.as_bytes().to_vec();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let left = flip(&phc, hash_at);
    let right = flip(&phc, phc.len() - 3);
    let inputs: Vec<Class> = (0..SLOW_BATCH * 4).map(|_| class(rng)).collect();
    for c in inputs {
        let s = match c {
            Class::Left => &left,
            Class::Right => &right,
        };
        runner.run_one(c, || hasher.verify(b"alice", b"493817", s).is_err());
    }
}

/// HashKey parsing of valid keys: one fixed key (Left) against random ones.
fn hashkey_parse(runner: &mut CtRunner, rng: &mut BenchRng) {
    let fixed = "A".repeat(32);
    let inputs: Vec<(Class, String)> = (0..BATCH)
        .map(|_| {
            let c = class(rng);
            let s = match c {
                Class::Left => fixed.clone(),
                Class::Right => (0..32)
                    .map(|_| char::from(0x21 + rng.random_range(0..94u8)))
                    .collect(),
            };
            (c, s)
        })
        .collect();
    for (c, s) in &inputs {
        runner.run_one(*c, || HashKey::new(s).unwrap());
    }
}

/// Super PIN parsing and check of valid codes: one fixed code (Left)
/// against random ones.
fn superpin_parse(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut os = keyward_core::os_rng();
    let fixed = SuperPin::generate(&mut os).to_string();
    let inputs: Vec<(Class, String)> = (0..BATCH / 2)
        .map(|_| {
            let c = class(rng);
            let s = match c {
                Class::Left => fixed.clone(),
                Class::Right => SuperPin::generate(&mut os).to_string(),
            };
            (c, s)
        })
        .collect();
    for (c, s) in &inputs {
        runner.run_one(*c, || SuperPin::parse(s).unwrap());
    }
}

/// Card PIN check: a wrong PIN differing from the right one in its first
/// digit (Left) against its last digit (Right), on fresh copies of one card
/// (so the try counter never blocks it), small Argon2 costs.
fn card_pin_check(runner: &mut CtRunner, rng: &mut BenchRng) {
    // Test cards (below the card floor, marked as such): the comparison
    // after Argon2 is what is measured.
    let mut opts = BackupOptions::new(2, 3).unwrap().weak_argon2_for_tests();
    opts.argon2 = Argon2Params {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };
    let made = backup::create(&opts, &mut keyward_core::os_rng()).unwrap();
    let card = made.cards[0].clone();
    let inputs: Vec<(Class, RefCell<MemoryCard>)> = (0..SLOW_BATCH)
        .map(|_| (class(rng), RefCell::new(card.clone())))
        .collect();
    for (c, store) in &inputs {
        let pin: &[u8] = match c {
            Class::Left => b"023456",
            Class::Right => b"123450",
        };
        runner.run_one(*c, || store.borrow_mut().unlock(Some(pin)).is_err());
    }
}

/// The control: an early-exit comparison of 4 KiB that differs in the
/// first byte (Left) or the last (Right) is a leak by construction. The
/// driver requires its |t| to exceed the limit, so a harness that has gone
/// blind (a broken timer, an optimised-away closure) fails the run instead of
/// passing every test.
fn control_leaky_eq(runner: &mut CtRunner, rng: &mut BenchRng) {
    let reference = vec![0x5Au8; 4096];
    let mut first = reference.clone();
    first[0] ^= 1;
    let mut last = reference.clone();
    last[4095] ^= 1;
    let inputs: Vec<Class> = (0..BATCH).map(|_| class(rng)).collect();
    for c in inputs {
        let other = match c {
            Class::Left => &first,
            Class::Right => &last,
        };
        runner.run_one(c, || {
            std::hint::black_box(&reference) == std::hint::black_box(other)
        });
    }
}

/// The control test's name (expected to leak).
const CONTROL: &str = "control_leaky_eq";

const TESTS: &[(&str, BenchFn)] = &[
    (CONTROL, control_leaky_eq),
    ("blob_open_tag", blob_open_tag),
    ("card_pin_check", card_pin_check),
    ("hashkey_parse", hashkey_parse),
    ("kcv_compare", kcv_compare),
    ("phc_compare", phc_compare),
    ("shamir_raw_combine", shamir_raw_combine),
    ("shamir_raw_split", shamir_raw_split),
    ("slip39_checksum", slip39_checksum),
    ("slip39_digest", slip39_digest),
    ("superpin_parse", superpin_parse),
];

/// Runs one test continuously (dudect prints a line per batch) until killed.
fn child(name: &str) -> ExitCode {
    let benches = TESTS
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(n, f)| BenchMetadata {
            name: BenchName(n),
            seed: None,
            benchfn: *f,
        })
        .collect::<Vec<_>>();
    if benches.is_empty() {
        eprintln!("constant_time: no test named {name}");
        return ExitCode::from(2);
    }
    let opts = BenchOpts {
        continuous: true,
        filter: Some(name.to_owned()),
        file_out: None,
    };
    match run_benches_console(opts, benches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("constant_time: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `n == +0.020M, max t = +1.23456, ...` -> (samples, max t).
fn parse_progress(line: &str) -> Option<(f64, f64)> {
    let n = line
        .split("n == ")
        .nth(1)?
        .split('M')
        .next()?
        .trim()
        .parse::<f64>()
        .ok()?;
    let t = line
        .split("max t = ")
        .nth(1)?
        .split(',')
        .next()?
        .trim()
        .parse::<f64>()
        .ok()?;
    Some((n * 1e6, t))
}

struct Run {
    samples: f64,
    max_t: f64,
    elapsed: Duration,
}

fn drive(name: &str, samples: f64, time: Duration) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--child", name])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting the {name} child: {e}"))?;
    let start = Instant::now();
    let out = child.stdout.take().ok_or("no child stdout")?;
    let mut last = None;
    for line in BufReader::new(out).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(p) = parse_progress(&line) {
            last = Some(p);
            if p.0 >= samples || start.elapsed() >= time {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let (samples, max_t) = last.ok_or_else(|| format!("{name}: the child printed no result"))?;
    Ok(Run {
        samples,
        max_t,
        elapsed: start.elapsed(),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name, ..] = args.as_slice()
        && flag == "--child"
    {
        return child(name);
    }
    // Full run by default; --short for CI.
    let mut samples = 10_000_000.0;
    let mut minutes = 30.0;
    let mut limit = 4.5;
    let mut filters = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--short" => {
                samples = 200_000.0;
                minutes = 0.07;
                limit = 10.0;
            }
            "--samples" => samples = it.next().and_then(|v| v.parse().ok()).unwrap_or(samples),
            "--minutes" => minutes = it.next().and_then(|v| v.parse().ok()).unwrap_or(minutes),
            "--limit" => limit = it.next().and_then(|v| v.parse().ok()).unwrap_or(limit),
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            other if other.starts_with("--") => {
                eprintln!("constant_time: unknown option {other}");
                return ExitCode::from(2);
            }
            other => filters.push(other.to_owned()),
        }
    }
    let time = Duration::from_secs_f64(minutes * 60.0);
    let mut failed = Vec::new();
    let mut control_seen = false;
    for (name, _) in TESTS {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match drive(name, samples, time) {
            Ok(r) => {
                println!(
                    "{name}: max t = {:+.2} ({:.0} samples, {:.1} s)",
                    r.max_t,
                    r.samples,
                    r.elapsed.as_secs_f64()
                );
                if *name == CONTROL {
                    control_seen = r.max_t.abs() > limit;
                    if !control_seen {
                        failed.push(format!(
                            "{name} (|t| = {:.2}: the harness did not see the control's leak)",
                            r.max_t.abs()
                        ));
                    }
                } else if r.max_t.abs() > limit {
                    failed.push(format!("{name} (|t| = {:.2})", r.max_t.abs()));
                }
            }
            Err(e) => {
                println!("{name}: error: {e}");
                failed.push(format!("{name} (no result)"));
            }
        }
    }
    if failed.is_empty() {
        let control = if control_seen {
            "the control's leak was seen"
        } else {
            "the control was not run (filtered out)"
        };
        println!("constant_time: every |max t| <= {limit}; {control}");
        ExitCode::SUCCESS
    } else {
        println!("constant_time: above |t| = {limit}: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
