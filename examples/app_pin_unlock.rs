#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Application protection: a desktop installation unlocked at start-up by a
//! 6-digit PIN (`docs/formats.md`, "Application PIN record").
//!
//! The installation key is wrapped under Argon2id(PIN) and a device secret
//! kept in its own 0600 file; the try counter is written to the record file
//! before each attempt, and 5 wrong PINs lock it (the installation then falls
//! back to the password or the Super PIN and enrols a new PIN). All at the
//! default parameters, m = 64 MiB, t = 3, p = 1.
//!
//! Run: `cargo run --release --example app_pin_unlock`. With `--guesses N`
//! it also makes N more wrong guesses on a copy of the record (what an
//! attacker holding both files does), so the cost of one guess is the
//! difference of two runs' CPU time divided by N:
//! `hyperfine -N --runs 5 'target/release/examples/app_pin_unlock' 'target/release/examples/app_pin_unlock --guesses 10'`.

use keyward::superpin::{
    AppPin, AppPinRecord, Error, FileError, create_device_secret_file, read_device_secret_file,
    unlock_app_pin_file, write_private_file,
};
use keyward_core::SecretBytes;

fn main() {
    let guesses: u32 = match std::env::args().nth(1).as_deref() {
        Some("--guesses") => std::env::args()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    let mut rng = keyward_core::os_rng();
    let dir = tempfile::tempdir().unwrap();
    let device_path = dir.path().join("device.secret");
    let record_path = dir.path().join("pin.record");

    // Enrolment: the installation key (here fixed; an application has its own).
    let key = SecretBytes::from_array([0x42; 32]);
    let device = create_device_secret_file(&device_path, &mut rng).unwrap();
    let pin = AppPin::parse("493817").unwrap();
    let record = AppPinRecord::create(
        &key,
        &pin,
        &device,
        AppPinRecord::DEFAULT_PARAMS,
        5,
        &mut rng,
    )
    .unwrap();
    write_private_file(&record_path, &record.to_bytes()).unwrap();
    println!(
        "enrolled: {} and {}",
        record_path.display(),
        device_path.display()
    );

    // Start-up: the right PIN opens.
    let device = read_device_secret_file(&device_path).unwrap();
    assert_eq!(
        unlock_app_pin_file(&record_path, &pin, &device).unwrap(),
        key
    );
    println!("unlocked with the PIN");

    // Five wrong PINs lock the record; the right one no longer opens it.
    let wrong = AppPin::parse("000000").unwrap();
    for _ in 0..5 {
        let e = unlock_app_pin_file(&record_path, &wrong, &device).unwrap_err();
        println!("  {e}");
    }
    match unlock_app_pin_file(&record_path, &pin, &device) {
        Err(FileError::Record {
            error: Error::AppPinLocked { .. },
            ..
        }) => println!("locked: fall back to the password or the Super PIN"),
        other => panic!("expected a locked record, got {other:?}"),
    }

    // An attacker with both files ignores the counter: one Argon2id per guess.
    if guesses > 0 {
        let start = std::time::Instant::now();
        for _ in 0..guesses {
            let mut copy = record.clone();
            let r = copy.unlock_with(&wrong, &device, |_: &AppPinRecord| Ok::<(), Error>(()));
            assert!(matches!(r, Err(Error::AppPinWrong { .. })));
        }
        let per = start.elapsed().as_secs_f64() / f64::from(guesses);
        println!(
            "{guesses} offline guesses: {:.1} ms wall each; 10^6 PINs ≈ {:.1} h on one core at this rate",
            per * 1e3,
            per * 1e6 / 3600.0
        );
    }
}
