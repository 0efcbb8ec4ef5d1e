#![no_main]
//! `AccountKeys` and `Repository` decoding of arbitrary bytes: never a panic,
//! and a record that decodes re-encodes to the same bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_superpin::fuzzing::decode_records(data);
});
