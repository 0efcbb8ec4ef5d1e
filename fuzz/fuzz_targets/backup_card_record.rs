#![no_main]
//! keyward (facade): `backup::fuzz_card_record` (feature `fuzzing`) on
//! arbitrary input: never a panic, and every record that parses serialises
//! back to the same bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward::backup::fuzz_card_record(data);
});
