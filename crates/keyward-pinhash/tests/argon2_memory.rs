//! The Argon2 working memory of PIN hashing and verification is zero when
//! it is released: a test allocator inspects every block of at least 64 KiB
//! as it is freed (`docs/design.md#conventions`).

#![allow(clippy::unwrap_used, clippy::panic)]

use keyward_pinhash::{HashKey, Params, PinHasher, PinPolicy};
use keyward_test_alloc::{Freed, InspectingAlloc, watch_thread};

/// The user every hash of this file is bound to.
const USER: &[u8] = b"alice";

#[global_allocator]
static ALLOC: InspectingAlloc = InspectingAlloc;

const WATCHED: usize = 64 * 1024;

fn hasher() -> PinHasher {
    PinHasher::from_hash_key(&HashKey::builtin_default())
        .with_params(Params::new(64, 1, 1).unwrap())
}

fn freed_by(f: impl FnOnce() + Send + 'static) -> Freed {
    watch_thread(WATCHED, f)
}

fn assert_wiped(what: &str, freed: Freed) {
    keyward_test_alloc::assert_wiped(what, WATCHED, freed);
}

#[test]
fn pin_hashing_memory_is_wiped() {
    let phc = hasher()
        .hash_pin(
            &PinPolicy::DEFAULT,
            USER,
            "493817",
            &mut keyward_core::os_rng(),
        )
        .unwrap();
    assert_wiped(
        "PIN hash",
        freed_by(|| {
            hasher()
                .hash_pin(
                    &PinPolicy::DEFAULT,
                    USER,
                    "493817",
                    &mut keyward_core::os_rng(),
                )
                .unwrap();
        }),
    );
    assert_wiped(
        "PIN verify",
        freed_by(move || {
            hasher().verify(USER, b"493817", phc.as_str()).unwrap();
        }),
    );
}

#[test]
fn derive_memory_is_wiped() {
    let params = Params::new(64, 1, 1).unwrap();
    assert_wiped(
        "Params::derive",
        freed_by(move || {
            params.derive(b"password", &[7; 16]).unwrap();
        }),
    );
}

#[test]
fn hashkey_stretching_memory_is_wiped() {
    // HashKey derivation 2: 64 MiB of Argon2 memory, the thread's reusable
    // buffer, released when the watched thread ends.
    let freed = watch_thread(64 * 1024 * 1024, || {
        keyward_pinhash::stretch_hash_key(&HashKey::builtin_default()).unwrap();
    });
    keyward_test_alloc::assert_wiped("HashKey derivation 2", 64 * 1024 * 1024, freed);
}
