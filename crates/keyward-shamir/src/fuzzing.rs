//! Entry points shared by the cargo-fuzz targets (`fuzz/fuzz_targets/shamir_*`)
//! and the corpus replay test (`tests/fuzz_corpus.rs`). Not a stable API.
//!
//! Each function must never panic, whatever the input; results are checked
//! for the invariants that must hold on success.

use crate::raw::{self, ShareRef};

/// Raw combine of an arbitrary share list.
///
/// Input: `k`, then records `x, len, value[len]` (the last record takes what
/// is left). Checks that a successful combine reproduces each given share
/// from the recovered polynomial when exactly k shares are given.
pub fn raw_combine(data: &[u8]) {
    let Some((&k, mut rest)) = data.split_first() else {
        return;
    };
    let mut shares: [ShareRef<'_>; 16] = [ShareRef { x: 0, y: &[] }; 16];
    let mut n = 0;
    while let Some((&x, tail)) = rest.split_first() {
        let Some((&len, tail)) = tail.split_first() else {
            break;
        };
        let take = usize::from(len).min(tail.len());
        let (y, tail) = tail.split_at(take);
        if let Some(slot) = shares.get_mut(n) {
            *slot = ShareRef { x, y };
            n += 1;
        } else {
            break;
        }
        rest = tail;
    }
    let list = shares.get(..n).unwrap_or_default();
    let len = list.first().map_or(0, |s| s.y.len());
    let mut out = [0u8; 256];
    let Some(out) = out.get_mut(..len) else {
        return;
    };
    if raw::combine_into(usize::from(k), list, out).is_ok() {
        // Success implies k ≤ n, distinct non-zero x, equal lengths, and
        // every share lies on the polynomial.
        assert!(usize::from(k) <= n, "combined with fewer than k shares");
        for s in list {
            assert!(s.x != 0, "combined a share at x = 0");
        }
        let mut again = [0u8; 256];
        if let (Some(again), Some(first)) = (again.get_mut(..len), list.first()) {
            let r = raw::interpolate_into(usize::from(k), list, first.x, again);
            assert!(r.is_ok(), "interpolate failed where combine succeeded");
            assert!(
                again == first.y,
                "share 1 is not on the recovered polynomial"
            );
        }
    }
}

/// SLIP-0039 mnemonic parsing: any text. A parsed share re-encodes to the
/// same word indices.
#[cfg(feature = "alloc")]
pub fn slip39_mnemonic(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(share) = crate::slip39::Share::from_mnemonic(text, 1) {
        let again = crate::slip39::Share::from_mnemonic(&share.to_mnemonic(), 1);
        assert!(again.is_ok_and(|s| s == share), "mnemonic round trip");
    }
}

/// SLIP-0039 bytes form parsing: any bytes. A parsed share re-encodes to
/// exactly the input.
#[cfg(feature = "alloc")]
pub fn slip39_bytes(data: &[u8]) {
    if let Ok(share) = crate::slip39::Share::from_bytes(data, 1) {
        assert!(share.to_bytes().as_slice() == data, "bytes round trip");
    }
}

/// SLIP-0039 recovery from an arbitrary list of shares in bytes form: the
/// input is split at each 0xFF 0x00 0xFF marker into shares. Only parsing,
/// bookkeeping and interpolation run (the iteration exponent is forced to
/// be irrelevant by stopping before decryption).
#[cfg(feature = "alloc")]
pub fn slip39_combine(data: &[u8]) {
    let mut r = crate::slip39::Recovery::new();
    let mut start = 0;
    let mut i = 0;
    let mut parts = 0;
    while i <= data.len() && parts < 64 {
        let at_marker = data.get(i..i + 3) == Some(&[0xFF, 0x00, 0xFF][..]);
        if at_marker || i == data.len() {
            if let Some(part) = data.get(start..i) {
                let _ = r.add_bytes(part);
            }
            parts += 1;
            start = i + 3;
            i += 3;
        } else {
            i += 1;
        }
    }
    let _ = r.progress();
    let _ = r.finish_ems();
}
