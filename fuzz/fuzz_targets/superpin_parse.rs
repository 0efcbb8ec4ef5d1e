#![no_main]
//! Super PIN and Recovery Code parsing on arbitrary text: never a panic, and
//! a code that parses displays back to itself.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_superpin::fuzzing::parse_codes(data);
});
