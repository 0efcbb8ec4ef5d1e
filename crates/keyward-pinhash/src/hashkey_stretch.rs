//! HashKey derivation 2: the site HashKey stretched by Argon2id before HKDF
//! (`docs/formats.md`, "HashKey subkeys"), on keyward's zeroizing Argon2id.

use keyward_core::{HashKey, V2_ARGON2_M_KIB, V2_ARGON2_P, V2_ARGON2_SALT, V2_ARGON2_T};

use crate::error::Result;
use crate::params::Params;
use crate::raw::{argon2id, with_memory};

/// The Argon2id parameters of HashKey derivation 2 (64 MiB, 3 passes, 4
/// lanes: RFC 9106 §4, the second recommended option).
///
/// # Errors
/// None in practice: the constants satisfy Argon2's rules (checked by a test).
pub fn hashkey_v2_params() -> Result<Params> {
    Params::new(V2_ARGON2_M_KIB, V2_ARGON2_T, V2_ARGON2_P)
}

/// `hash_key` under [`keyward_core::Derivation::V2`]: Argon2id of its 32
/// characters with the fixed salt `"keyward/hashkey/v2/argon2id"`, then
/// HKDF-SHA256. One call costs one Argon2id run of 64 MiB and 3 passes
/// (about 0.1–0.3 s on one core): derive it once per process and keep it.
///
/// The Argon2 working memory is wiped before it is released (see
/// [`argon2id`]).
///
/// # Errors
/// [`crate::Error::Argon2`] if Argon2 fails (it does not for these inputs).
pub fn stretch_hash_key(hash_key: &HashKey) -> Result<HashKey> {
    let params = hashkey_v2_params()?;
    hash_key.stretch_with(|password, out| {
        with_memory(&params, |memory| {
            argon2id(&[], &[], &params, password, V2_ARGON2_SALT, out, memory)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::Derivation;

    #[test]
    fn v2_parameters_are_valid_and_within_the_default_budget() {
        let p = hashkey_v2_params().unwrap();
        p.validate().unwrap();
        assert_eq!(p.block_count(), 65_536);
    }

    #[test]
    fn stretching_is_deterministic_and_gives_derivation_2() {
        let k = HashKey::new("0123456789abcdef0123456789abcdef").unwrap();
        let a = stretch_hash_key(&k).unwrap();
        let b = stretch_hash_key(&a).unwrap();
        assert_eq!(a.derivation(), Derivation::V2);
        // Stretching a stretched key starts again from the characters.
        assert_eq!(a, b);
        assert_ne!(a.key_id(), k.key_id());
    }
}
