#![no_main]
//! keyward-blob: open (and re-seal) arbitrary bytes under a fixed keyring,
//! and parse their header. Never a panic, never garbage plaintext.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ring = keyward_blob::fuzzing::fixed_keyring();
    keyward_blob::fuzzing::open(&ring, data);
});
