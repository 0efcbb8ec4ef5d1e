//! The Argon2 working memory of the account password slot and of the
//! repository Master Password is zero when it is released: a test allocator
//! inspects every block of at least 64 KiB as it is freed
//! (`docs/design.md#conventions`).

#![allow(clippy::unwrap_used, clippy::panic)]

use keyward_core::os_rng;
use keyward_superpin::{AccountKeys, Argon2Params, Repository};
use keyward_test_alloc::{Freed, InspectingAlloc, watch_thread};

#[global_allocator]
static ALLOC: InspectingAlloc = InspectingAlloc;

/// 64 KiB: the Argon2 memory is exactly one block of this size.
const PARAMS: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};
const WATCHED: usize = 64 * 1024;

fn freed_by(f: impl FnOnce() + Send + 'static) -> Freed {
    watch_thread(WATCHED, f)
}

fn assert_wiped(what: &str, freed: Freed) {
    keyward_test_alloc::assert_wiped(what, WATCHED, freed);
}

#[test]
fn account_password_memory_is_wiped() {
    let (keys, _) = AccountKeys::create(b"alice", b"hunter2", PARAMS, &mut os_rng()).unwrap();
    assert_wiped(
        "account password unlock",
        freed_by(move || {
            keys.unlock_with_password(b"hunter2").unwrap();
        }),
    );
    assert_wiped(
        "account creation",
        freed_by(|| {
            AccountKeys::create(b"bob", b"hunter2", PARAMS, &mut os_rng()).unwrap();
        }),
    );
}

#[test]
fn master_password_memory_is_wiped() {
    const MASTER: &str = "twenty-two characters!";
    let mut repo = Repository::create(b"acme", MASTER, PARAMS, &mut os_rng()).unwrap();
    assert_wiped(
        "repository open",
        freed_by(move || {
            repo.open(MASTER).unwrap();
        }),
    );
    assert_wiped(
        "repository create",
        freed_by(|| {
            Repository::create(b"acme", MASTER, PARAMS, &mut os_rng()).unwrap();
        }),
    );
}
