//! The site HashKey: the built-in default, a refused short key, a site key,
//! the strength floor (typed keys refused, generated keys accepted) and the
//! two derivations of one key.

use keyward_core::{Derivation, Error, HashKey};

use super::{Demo, say};
use crate::hashkey_strength::{MIN_LOG10_GUESSES, is_strong};
use crate::io::{self, CmdResult};

pub(super) fn run(d: &mut Demo) -> CmdResult {
    let default = HashKey::builtin_default();
    say!(
        d,
        "  built-in default HashKey, key id {} ({})",
        default.key_id(),
        default.derivation()
    );
    let short = HashKey::new("0123456789abcdef0123456789abcde");
    if let Err(e) = &short {
        say!(d, "  31-character HashKey rejected: {e}");
    }
    d.check(
        "a 31-character HashKey is refused (31 of 32)",
        matches!(short, Err(Error::HashKeyLength { found: 31 })),
    );
    let site = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    say!(
        d,
        "  site HashKey well-formed, key id {} ({})",
        site.key_id(),
        site.derivation()
    );
    d.check(
        "site and default HashKeys have different key ids",
        site.key_id() != default.key_id(),
    );

    // The strength floor every command that reads a HashKey file applies
    // (the demo's own keys are typed, so the commands would refuse them
    // without --accept-weak-hashkey; the demo reads no HashKey file).
    say!(
        d,
        "  strength floor: 10^{MIN_LOG10_GUESSES} guesses (zxcvbn, in parts)"
    );
    d.check(
        "the built-in default and the typed site HashKey are below the floor",
        !is_strong(&default) && !is_strong(&site),
    );
    let generated = (0..8)
        .map(|_| HashKey::generate_os())
        .collect::<Result<Vec<_>, _>>()?;
    d.check(
        "8 keys from `hashkey generate` are 32 printable characters, distinct, above the floor",
        generated.iter().all(|k| {
            is_strong(k)
                && k.expose_secret()
                    .bytes()
                    .all(|b| (0x21..=0x7e).contains(&b))
        }) && generated
            .iter()
            .enumerate()
            .all(|(i, k)| generated.iter().skip(i + 1).all(|o| o != k)),
    );

    // Derivation 2 stretches the key with Argon2id before HKDF.
    let default_v2 = io::derive_hash_key(&default, Derivation::V2)?;
    say!(
        d,
        "  built-in default under derivation 2 (Argon2id 64 MiB, t=3, p=4): key id {}",
        default_v2.key_id()
    );
    d.check(
        "one HashKey has a key id per derivation; derivation 1 still gives the old one",
        default_v2.key_id() != default.key_id()
            && io::derive_hash_key(&default_v2, Derivation::V1)?.key_id() == default.key_id(),
    );
    Ok(())
}
