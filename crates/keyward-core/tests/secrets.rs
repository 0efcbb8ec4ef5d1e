//! Behaviour every secret type of keyward-core promises, asserted so that a
//! broken promise fails a test (`docs/design.md#conventions`): generated keys
//! are random (not all zeros, two generations differ), equality compares the
//! bytes, `Debug` shows the type and no byte of the secret, and `Drop` wipes
//! the storage (a test allocator inspects the freed heap block of a boxed
//! secret).
//!
//! One `#[test]` per property group; the wipe checks share one test so that no
//! other test of this binary frees memory while a block is being watched.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use keyward_core::{Aes128Key, Aes192Key, Aes256Key, AesKey, HashKey, KeyLength, SecretBytes};
use keyward_test_alloc::{InspectingAlloc, watch};

#[global_allocator]
static ALLOC: InspectingAlloc = InspectingAlloc;

/// 32 distinct printable characters, and a second key one character apart.
const HASHKEY_A: &str = "Zq7#Lm2@Rt9!Xc4$Vb8%Nk1^Hp6&Wd3*";
const HASHKEY_B: &str = "Zq7#Lm2@Rt9!Xc4$Vb8%Nk1^Hp6&Wd3+";

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// No 2-byte window of the secret (as lower or upper hex, or as raw
/// characters for a HashKey) appears in `text`.
fn assert_no_secret_in(text: &str, secret: &[u8], what: &str) {
    let hex = hex_of(secret);
    for i in 0..secret.len().saturating_sub(1) {
        let window = &hex[2 * i..2 * i + 4];
        assert!(
            !text.contains(window) && !text.contains(&window.to_uppercase()),
            "{what}: Debug {text:?} shows secret hex {window:?} (bytes {i}..{})",
            i + 2
        );
    }
}

#[test]
fn generated_keys_are_random() {
    let a = SecretBytes::<32>::generate_os().unwrap();
    let b = SecretBytes::<32>::generate_os().unwrap();
    assert!(!bool::from(a.is_zero()), "generate_os gave 32 zero bytes");
    assert_ne!(a, b, "two generate_os calls gave the same 32 bytes");
    // Not merely non-zero: at least 16 distinct byte values in 32 bytes
    // (a random key fails this with probability below 1e-12).
    let mut seen = [false; 256];
    for &x in a.expose_secret() {
        seen[usize::from(x)] = true;
    }
    assert!(
        seen.iter().filter(|s| **s).count() >= 16,
        "{:?}",
        a.expose_secret()
    );

    let k1 = Aes256Key::generate_os().unwrap();
    let k2 = Aes256Key::generate_os().unwrap();
    assert!(!bool::from(AesKey::from(k1.clone()).is_zero()));
    assert_ne!(k1.expose_secret(), k2.expose_secret());
    assert_ne!(k1.kcv().to_string(), k2.kcv().to_string());
    let k = Aes128Key::generate_os().unwrap();
    assert_ne!(k.expose_secret(), &[0u8; 16]);
    let k = Aes192Key::generate_os().unwrap();
    assert_ne!(k.expose_secret(), &[0u8; 24]);

    // `os_rng` drives the generic generators from the OS generator.
    let mut rng = keyward_core::os_rng();
    let g1 = AesKey::generate(KeyLength::Aes256, &mut rng);
    let g2 = AesKey::generate(KeyLength::Aes256, &mut keyward_core::os_rng());
    assert!(!bool::from(g1.is_zero()));
    assert_ne!(g1.expose_secret(), g2.expose_secret());
    assert_eq!(g1.expose_secret().len(), 32);
}

#[test]
fn equality_compares_the_bytes() {
    let a = HashKey::new(HASHKEY_A).unwrap();
    assert_eq!(a, HashKey::new(HASHKEY_A).unwrap());
    assert_ne!(
        a,
        HashKey::new(HASHKEY_B).unwrap(),
        "HashKeys one character apart are equal"
    );
    assert_ne!(a, HashKey::builtin_default());
    assert!(HashKey::builtin_default().is_builtin_default());
    assert!(!a.is_builtin_default());

    let x = SecretBytes::<16>::from_array([7; 16]);
    let mut y = [7u8; 16];
    assert_eq!(x, SecretBytes::from_array(y));
    y[15] = 6;
    assert_ne!(
        x,
        SecretBytes::from_array(y),
        "keys differing in the last byte are equal"
    );
    y[15] = 7;
    y[0] = 8;
    assert_ne!(
        x,
        SecretBytes::from_array(y),
        "keys differing in the first byte are equal"
    );

    let k = Aes256Key::from_slice(&[1; 32]).unwrap();
    assert_eq!(k, Aes256Key::from_slice(&[1; 32]).unwrap());
    let mut other = [1u8; 32];
    other[31] = 2;
    assert_ne!(k, Aes256Key::from_slice(&other).unwrap());
    assert_ne!(
        AesKey::from(Aes128Key::from_slice(&[1; 16]).unwrap()),
        AesKey::from(Aes256Key::from_slice(&[1; 32]).unwrap()),
        "keys of different lengths are equal"
    );
}

#[test]
fn debug_shows_the_type_and_no_secret_byte() {
    let bytes: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7 + 0x11).unwrap());
    let s = SecretBytes::from_array(bytes);
    let text = format!("{s:?}");
    assert!(text.starts_with("SecretBytes"), "{text}");
    assert_no_secret_in(&text, &bytes, "SecretBytes");

    let k = Aes256Key::from_slice(&bytes).unwrap();
    let text = format!("{k:?}");
    assert!(text.contains("Aes256Key"), "{text}");
    assert!(
        text.contains(&k.kcv().to_string()),
        "Debug shows the KCV: {text}"
    );
    assert_no_secret_in(&text, &bytes, "Aes256Key");
    let text = format!("{:?}", AesKey::from(k));
    assert!(text.contains("AesKey") || text.contains("Aes256"), "{text}");
    assert_no_secret_in(&text, &bytes, "AesKey");

    let k = Aes128Key::from_slice(&bytes[..16]).unwrap();
    let text = format!("{k:?}");
    assert!(text.contains("Aes128Key"), "{text}");
    assert_no_secret_in(&text, &bytes[..16], "Aes128Key");
    let k = Aes192Key::from_slice(&bytes[..24]).unwrap();
    let text = format!("{k:?}");
    assert!(text.contains("Aes192Key"), "{text}");
    assert_no_secret_in(&text, &bytes[..24], "Aes192Key");

    let h = HashKey::new(HASHKEY_A).unwrap();
    let text = format!("{h:?}");
    assert!(text.starts_with("HashKey"), "{text}");
    for i in 0..HASHKEY_A.len() - 2 {
        let window = &HASHKEY_A[i..i + 3];
        assert!(
            !text.contains(window),
            "HashKey Debug {text:?} shows {window:?}"
        );
    }
    assert_no_secret_in(&text, HASHKEY_A.as_bytes(), "HashKey");
}

/// Drops `value` inside a watch of blocks of at least `size` bytes and
/// asserts the block was released all zeros.
fn assert_dropped_wiped<T>(what: &str, value: Box<T>, size: usize) {
    assert_dropped_wiped_but(what, value, size, 0);
}

/// As [`assert_dropped_wiped`], allowing `public` non-zero bytes that are
/// not secret (an enum's discriminant).
fn assert_dropped_wiped_but<T>(what: &str, value: Box<T>, size: usize, public: usize) {
    let freed = watch(size, move || drop(value));
    assert!(
        freed.blocks >= 1,
        "{what}: the boxed value's block was not seen freed ({freed:?})"
    );
    assert!(
        freed.dirty_bytes <= public,
        "{what}: dropped with {} non-zero bytes left in its memory ({freed:?})",
        freed.dirty_bytes
    );
}

#[test]
fn drop_wipes_the_storage() {
    // The control: a plain array in a box is freed as it was, so the watch
    // does see non-zero bytes when nothing wipes them.
    let plain = Box::new([0xA5u8; 96]);
    let freed = watch(96, move || drop(plain));
    assert_eq!(
        freed.dirty_blocks, 1,
        "the control block was not seen dirty: {freed:?}"
    );

    let bytes = [0xA5u8; 96];
    assert_dropped_wiped(
        "SecretBytes<96>",
        Box::new(SecretBytes::from_array(bytes)),
        96,
    );
    assert_dropped_wiped(
        "Aes256Key",
        Box::new(Aes256Key::from_slice(&[0x5A; 32]).unwrap()),
        32,
    );
    assert_dropped_wiped(
        "Aes128Key",
        Box::new(Aes128Key::from_slice(&[0x5A; 16]).unwrap()),
        16,
    );
    // `AesKey` is an enum: its discriminant (the key length, not secret)
    // stays; the 32 key bytes must not.
    assert_dropped_wiped_but(
        "AesKey",
        Box::new(AesKey::from(Aes256Key::from_slice(&[0x5A; 32]).unwrap())),
        32,
        1,
    );
    assert_dropped_wiped("HashKey", Box::new(HashKey::new(HASHKEY_A).unwrap()), 32);
    assert_dropped_wiped(
        "HashKey subkey",
        Box::new(
            HashKey::new(HASHKEY_A)
                .unwrap()
                .subkey(keyward_core::Purpose::PinPepper),
        ),
        32,
    );
}
