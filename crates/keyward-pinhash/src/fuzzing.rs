//! Entry points shared by the cargo-fuzz targets and `cargo test` corpus
//! replay, behind the non-default `fuzzing` feature. Not part of the stable
//! API.

use argon2::Block;

use crate::{Limits, Params, Pepper, PepperSet, PinHasher, SecretBytes};

/// Cheap parameters and limits so that arbitrary strings verify quickly.
const FUZZ_LIMITS: Limits = Limits {
    max_work: 128,
    max_p_cost: 2,
};

/// The hasher the fuzz targets use: a fixed raw pepper (current) and the
/// built-in default HashKey's pepper (retired), tiny parameters.
pub fn fuzz_hasher() -> PinHasher {
    let current = Pepper::from_raw(SecretBytes::from_array([0x42; 32]));
    let retired = Pepper::from_hash_key(&keyward_core::HashKey::builtin_default());
    let set = PepperSet::new(current.clone());
    let set = set
        .with_retired(retired)
        .unwrap_or_else(|_| PepperSet::new(current));
    PinHasher::new(set)
        .with_params(Params::new(16, 1, 1).unwrap_or(Params::OWASP))
        .with_limits(FUZZ_LIMITS)
}

/// Parses `data` as a PHC string; must never panic. A string that parses
/// must write back to itself when its parts are re-encoded.
pub fn parse_phc(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = crate::phc::parse(text) {
        let tag = *parsed.tag();
        if let Ok(again) = crate::phc::PhcString::encode(
            &parsed.params,
            parsed.keyid,
            parsed.bound_to_user,
            parsed.salt(),
            &tag,
        ) {
            assert_eq!(again.as_str(), text, "PHC round trip");
        }
    }
}

/// Verifies a PIN against `data` as a PHC string (first line: the PIN,
/// rest: the string); must never panic.
pub fn verify_arbitrary(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let (pin, phc) = text.split_once('\n').unwrap_or(("1234", text));
    let hasher = fuzz_hasher();
    let mut memory = [Block::new(); 64];
    let _ = hasher.verify_with_memory(b"fuzz-user", pin.as_bytes(), phc, &mut memory);
    let _ = crate::PinPolicy::DEFAULT.check(pin);
}
