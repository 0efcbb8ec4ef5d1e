#![no_main]
//! keyward-pinhash PHC string parser: never panics, and whatever parses
//! re-encodes to exactly the same string (one canonical form).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_pinhash::fuzzing::parse_phc(data);
});
