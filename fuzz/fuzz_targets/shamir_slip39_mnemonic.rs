#![no_main]
//! keyward-shamir: `fuzzing::slip39_mnemonic` on arbitrary input: never a panic, and the
//! invariants it asserts hold.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_shamir::fuzzing::slip39_mnemonic(data);
});
