#![no_main]
//! keyward-blob: the StorageDeriveKey parameter text, hex and derive vector
//! parsers on arbitrary text. Never a panic; parsed keys round-trip.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_blob::fuzzing::parse_params(data);
});
