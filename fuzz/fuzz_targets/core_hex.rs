#![no_main]
//! Key, KCV and HashKey parsing on arbitrary text: never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_core::fuzzing::parse_all(data);
});
