//! The Argon2 working memory of the card PIN key is zero when it is
//! released: a test allocator inspects every block of at least 64 KiB as it
//! is freed (`docs/design.md#backup-key-on-smart-cards`).

#![allow(clippy::unwrap_used, clippy::panic)]

use keyward::backup::{self, BackupOptions, CardStore, DEFAULT_PIN};
use keyward_test_alloc::{InspectingAlloc, assert_wiped, watch_thread};

#[global_allocator]
static ALLOC: InspectingAlloc = InspectingAlloc;

/// `BackupOptions::weak_argon2_for_tests` is 64 KiB: its Argon2 memory is one block this size.
const WATCHED: usize = 64 * 1024;

#[test]
fn card_pin_memory_is_wiped() {
    let mut opts = BackupOptions::new(2, 3).unwrap();
    opts = opts.weak_argon2_for_tests();
    let backup = backup::create(&opts, &mut keyward_core::os_rng()).unwrap();
    let mut card = backup.cards.first().unwrap().clone();
    let freed = watch_thread(WATCHED, move || {
        card.unlock(Some(DEFAULT_PIN)).unwrap();
    });
    assert_wiped("card PIN", WATCHED, freed);
}
