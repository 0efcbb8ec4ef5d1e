#![no_main]
//! keyward-pinhash verification of arbitrary strings (line 1: the PIN, rest:
//! the PHC string) with a current and a retired pepper: never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_pinhash::fuzzing::verify_arbitrary(data);
});
