//! The application PIN: unlock, the persisted try counter, lockout after 5
//! wrong PINs, the record without its device secret (`docs/formats.md`,
//! "Application PIN record").

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use keyward_core::{SecretBytes, os_rng};
use keyward_superpin::{
    AppPin, AppPinRecord, Argon2Params, DEFAULT_MAX_TRIES, DeviceSecret, Error, FileError, Record,
    create_device_secret_file, read_app_pin_file, read_device_secret_file, unlock_app_pin_file,
    write_private_file,
};

const FAST: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

fn ikey() -> SecretBytes<32> {
    SecretBytes::from_array([0x5a; 32])
}

fn setup() -> (AppPinRecord, DeviceSecret) {
    let mut rng = os_rng();
    let device = DeviceSecret::generate(&mut rng);
    let pin = AppPin::parse("493817").unwrap();
    let rec =
        AppPinRecord::create(&ikey(), &pin, &device, FAST, DEFAULT_MAX_TRIES, &mut rng).unwrap();
    (rec, device)
}

fn unlock(
    rec: &mut AppPinRecord,
    pin: &str,
    device: &DeviceSecret,
) -> Result<SecretBytes<32>, Error> {
    rec.unlock_with(&AppPin::parse(pin).unwrap(), device, |_: &AppPinRecord| {
        Ok::<(), Error>(())
    })
}

#[test]
fn right_pin_unlocks_and_resets_the_counter() {
    let (mut rec, device) = setup();
    assert_eq!(
        unlock(&mut rec, "000000", &device).unwrap_err(),
        Error::AppPinWrong { tries_left: 4 }
    );
    assert_eq!(rec.failed_tries(), 1);
    assert_eq!(unlock(&mut rec, "493817", &device).unwrap(), ikey());
    assert_eq!(rec.failed_tries(), 0);
}

#[test]
fn five_wrong_pins_lock_even_the_right_one() {
    let (mut rec, device) = setup();
    for left in (1..5).rev() {
        assert_eq!(
            unlock(&mut rec, "111111", &device).unwrap_err(),
            Error::AppPinWrong { tries_left: left }
        );
    }
    assert_eq!(
        unlock(&mut rec, "111111", &device).unwrap_err(),
        Error::AppPinLocked { max_tries: 5 }
    );
    assert!(rec.is_locked());
    assert_eq!(
        unlock(&mut rec, "493817", &device).unwrap_err(),
        Error::AppPinLocked { max_tries: 5 }
    );
    // The fallback: the installation key obtained through the password or
    // Super PIN enrols a new PIN in a new record.
    let pin = AppPin::parse("202020").unwrap();
    let mut fresh = AppPinRecord::create(&ikey(), &pin, &device, FAST, 5, &mut os_rng()).unwrap();
    assert_eq!(unlock(&mut fresh, "202020", &device).unwrap(), ikey());
}

#[test]
fn the_record_without_its_device_secret_does_not_open() {
    let (mut rec, _device) = setup();
    let other = DeviceSecret::generate(&mut os_rng());
    assert_eq!(
        unlock(&mut rec, "493817", &other).unwrap_err(),
        Error::DeviceSecretMismatch
    );
    assert_eq!(rec.failed_tries(), 0, "a wrong device secret costs no try");
    // An attacker who rewrites the device id to match their guess of the
    // device secret still cannot open: the device id is in the AD and the
    // device secret is the HKDF salt of the KEK.
    let mut bytes = rec.to_bytes();
    bytes[35..51].copy_from_slice(&other.id());
    let mut forged = AppPinRecord::from_bytes(&bytes).unwrap();
    assert_eq!(
        unlock(&mut forged, "493817", &other).unwrap_err(),
        Error::AppPinWrong { tries_left: 4 }
    );
}

#[test]
fn counter_is_persisted_before_the_try() {
    let (mut rec, device) = setup();
    let mut seen = Vec::new();
    let r = rec.unlock_with(
        &AppPin::parse("493817").unwrap(),
        &device,
        |r: &AppPinRecord| {
            seen.push(r.failed_tries());
            Ok::<(), Error>(())
        },
    );
    assert_eq!(r.unwrap(), ikey());
    assert_eq!(seen, [1, 0]);
    // A persist failure stops the attempt before the PIN is tried.
    let mut calls = 0;
    let r = rec.unlock_with(
        &AppPin::parse("493817").unwrap(),
        &device,
        |_: &AppPinRecord| {
            calls += 1;
            Err(Error::Wrap)
        },
    );
    assert_eq!(r.unwrap_err(), Error::Wrap);
    assert_eq!(calls, 1);
}

#[test]
fn pin_format_errors_name_no_character() {
    for (text, found, digits_only) in [
        ("12345", 5, true),
        ("1234567", 7, true),
        ("12#45&", 6, false),
        ("", 0, true),
    ] {
        let e = AppPin::parse(text).unwrap_err();
        assert_eq!(e, Error::AppPinFormat { found, digits_only }, "{text:?}");
        if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
            assert!(!e.to_string().contains(c));
        }
    }
    assert_eq!(
        format!("{:?}", AppPin::parse("123456").unwrap()),
        "AppPin([REDACTED])"
    );
}

#[test]
fn record_format_is_checked() {
    let (rec, _) = setup();
    let bytes = rec.to_bytes();
    assert_eq!(&bytes[..7], b"KWAP\x01\x05\x00");
    assert_eq!(AppPinRecord::from_bytes(&bytes).unwrap(), rec);
    assert!(matches!(
        AppPinRecord::from_bytes(&bytes[..98]),
        Err(Error::Truncated {
            record: Record::AppPin,
            ..
        })
    ));
    assert!(matches!(
        AppPinRecord::from_bytes(&[&bytes[..], &[0]].concat()),
        Err(Error::TrailingBytes { .. })
    ));
    let mut b = bytes;
    b[6] = 6;
    assert!(matches!(
        AppPinRecord::from_bytes(&b),
        Err(Error::Field { offset: 6, .. })
    ));
    let mut b = bytes;
    b[5] = 0;
    assert!(matches!(
        AppPinRecord::from_bytes(&b),
        Err(Error::Field { offset: 5, .. })
    ));
    // Raising the try limit in the record breaks the wrap (it is in the AD).
    let device = DeviceSecret::from_bytes([1; 32]);
    let pin = AppPin::parse("123456").unwrap();
    let rec = AppPinRecord::create_with_salt(&ikey(), &pin, &device, FAST, 5, [2; 16]).unwrap();
    let mut b = rec.to_bytes();
    b[5] = 10;
    let mut raised = AppPinRecord::from_bytes(&b).unwrap();
    assert!(matches!(
        unlock(&mut raised, "123456", &device),
        Err(Error::AppPinWrong { .. })
    ));
}

#[cfg(unix)]
#[test]
fn files_are_private_and_the_counter_survives_in_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dev_path = dir.path().join("device.secret");
    let rec_path = dir.path().join("pin.record");
    let device = create_device_secret_file(&dev_path, &mut os_rng()).unwrap();
    assert!(
        create_device_secret_file(&dev_path, &mut os_rng()).is_err(),
        "never replaced"
    );
    let pin = AppPin::parse("493817").unwrap();
    let rec = AppPinRecord::create(&ikey(), &pin, &device, FAST, 5, &mut os_rng()).unwrap();
    write_private_file(&rec_path, &rec.to_bytes()).unwrap();
    for p in [&dev_path, &rec_path] {
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            p.display()
        );
    }
    let device = read_device_secret_file(&dev_path).unwrap();
    let wrong = AppPin::parse("000001").unwrap();
    for _ in 0..4 {
        let e = unlock_app_pin_file(&rec_path, &wrong, &device).unwrap_err();
        assert!(matches!(e.error(), Some(Error::AppPinWrong { .. })), "{e}");
    }
    assert_eq!(read_app_pin_file(&rec_path).unwrap().failed_tries(), 4);
    assert!(matches!(
        unlock_app_pin_file(&rec_path, &wrong, &device)
            .unwrap_err()
            .error(),
        Some(Error::AppPinLocked { max_tries: 5 })
    ));
    let e = unlock_app_pin_file(&rec_path, &pin, &device).unwrap_err();
    assert!(matches!(e.error(), Some(Error::AppPinLocked { .. })));
    assert!(e.to_string().contains("pin.record"), "{e}");
    // The record file alone (device secret file gone) does not open.
    std::fs::remove_file(&dev_path).unwrap();
    let e = read_device_secret_file(&dev_path).unwrap_err();
    assert!(matches!(e, FileError::Io { .. }));
    assert!(e.to_string().contains("device.secret"), "{e}");
    // A file that is not a device secret is named, and its bytes are not shown.
    std::fs::write(&dev_path, b"not a device secret at all, 37 bytes").unwrap();
    let e = read_device_secret_file(&dev_path).unwrap_err();
    assert!(
        matches!(
            e.error(),
            Some(Error::Magic {
                record: Record::DeviceSecret
            })
        ),
        "{e}"
    );
}
