#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! `keyward shamir combine --max-iteration-exponent`: shares naming a higher
//! PBKDF2 cost than the cap are refused before any PBKDF2 runs
//! (docs/formats.md "keyward-shamir", "Recovery cap on e").

mod common;
use common::{keyward, stderr, stdout};

const KEY: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

#[test]
fn combine_refuses_an_exponent_above_the_cap_until_raised() {
    let split = keyward(
        &[
            "shamir",
            "split",
            "--threshold",
            "2",
            "--shares",
            "2",
            "--iteration-exponent",
            "6",
        ],
        KEY,
    );
    assert!(split.status.success(), "{}", stderr(&split));
    let shares = stdout(&split);

    let refused = keyward(&["shamir", "combine"], &shares);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("share 1 has iteration exponent 6, above the cap of 5"),
        "{}",
        stderr(&refused)
    );
    assert!(stdout(&refused).is_empty());

    let raised = keyward(
        &["shamir", "combine", "--max-iteration-exponent", "6"],
        &shares,
    );
    assert!(raised.status.success(), "{}", stderr(&raised));
    assert!(stdout(&raised).starts_with(KEY));

    let bad = keyward(
        &["shamir", "combine", "--max-iteration-exponent", "16"],
        &shares,
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}
