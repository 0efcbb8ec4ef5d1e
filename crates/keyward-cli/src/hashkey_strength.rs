//! How hard a HashKey is to guess: the strength rule every command that
//! reads a HashKey applies (`docs/design.md#site-hashkey-and-irreversible-pins`).
//!
//! The estimate is zxcvbn's (Dropbox's password strength estimator, the
//! `zxcvbn` crate): the number of guesses an attacker who knows common
//! words, names, dates, keyboard walks, sequences and repeats needs. zxcvbn
//! counts guesses in a `u64`, which a 32-character key almost always
//! saturates (`keyward-default-hashkey-CHANGEME` rates 10^19.3, the cap, as a
//! whole), so the key is rated in parts that stay far below the cap:
//!
//! ```text
//! split A = characters 1–16 | 17–32
//! split B = characters 1–8  | 9–24 | 25–32
//! log10 guesses = min( Σ over split A, Σ over split B ) of log10 zxcvbn(part, site words)
//! ```
//!
//! (two splits, so that a word across the middle is whole in split B). The
//! site words are `keyward`, `hashkey`, `hash`, `key`, `site`, `default`,
//! `changeme`. A key rated below [`MIN_LOG10_GUESSES`] is weak. Parts are
//! rated separately, so a pattern spanning two parts (a word over a
//! boundary of both splits, a repeat of one part in another) is
//! overestimated: the rule refuses what zxcvbn can see, it proves nothing
//! about what it cannot. `keyward hashkey generate` gives keys that pass
//! (and draws again in the rare case one does not).
//!
//! Memory: zxcvbn works on ordinary `String`s (tokens, lowercased and
//! un-l33ted copies of the parts), which it frees without wiping, so parts of
//! the HashKey stay in freed heap memory of the CLI process until reused.
//! keyward cannot reach inside the crate (and forbids the `unsafe` a wiping
//! allocator needs); the process is short-lived, and its pages are cleared
//! by the kernel before another process gets them. A core dump or swap of
//! the CLI while it runs can hold them.

use keyward_core::HashKey;

/// The floor: at least 10^25 guesses (about 2^83) by the rule above.
///
/// Random 32-character keys from `keyward hashkey generate` rate 10^27 to
/// 10^32 (20,000 drawn: lowest 10^27.5); typed keys such as
/// `Site-HashKey/for:demo#2026-11-22` rate about 10^22, four dictionary
/// words with punctuation about 10^24.5, the built-in default 10^16.
pub const MIN_LOG10_GUESSES: f64 = 25.0;

/// Words an attacker of a keyward site tries first.
const SITE_WORDS: &[&str] = &[
    "keyward", "hashkey", "hash", "key", "site", "default", "changeme",
];

/// The estimate of a HashKey, as log10 of the number of guesses.
pub fn log10_guesses(key: &HashKey) -> f64 {
    let text = key.expose_secret();
    let part = |range: core::ops::Range<usize>| {
        text.get(range)
            .map_or(0.0, |p| zxcvbn::zxcvbn(p, SITE_WORDS).guesses_log10())
    };
    let halves = part(0..16) + part(16..32);
    let quarters = part(0..8) + part(8..24) + part(24..32);
    halves.min(quarters)
}

/// Whether the key meets the floor.
pub fn is_strong(key: &HashKey) -> bool {
    log10_guesses(key) >= MIN_LOG10_GUESSES
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rate(s: &str) -> f64 {
        log10_guesses(&HashKey::new(s).unwrap())
    }

    #[test]
    fn typed_keys_are_weak() {
        for s in [
            keyward_core::BUILTIN_DEFAULT,
            "Site-HashKey/for:demo#2026-11-22",
            "Next-HashKey/rotated:2027-01-01!",
            "MySiteHashKeyForProduction2026!!",
            "correct-horse-battery-staple-99!",
            "0123456789abcdef0123456789abcdef",
            "passwordpasswordpasswordpassword",
            "qwertyuiopasdfghjklzxcvbnm123456",
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        ] {
            let r = rate(s);
            assert!(r < MIN_LOG10_GUESSES, "{s} rated 10^{r:.2}");
            assert!(!is_strong(&HashKey::new(s).unwrap()));
        }
        // The whole-key estimate saturates: that is why keys are rated in parts.
        let whole = zxcvbn::zxcvbn(keyward_core::BUILTIN_DEFAULT, &[]).guesses_log10();
        assert!(whole > 19.0 && rate(keyward_core::BUILTIN_DEFAULT) < 17.0);
    }

    #[test]
    fn random_keys_are_strong() {
        use keyward_core::rand_core::SeedableRng;
        // Seeded, so the test is repeatable; `hashkey generate` draws from
        // the OS generator the same way.
        let mut rng = chacha20::ChaCha20Rng::seed_from_u64(7);
        let mut lowest = f64::MAX;
        for _ in 0..500 {
            lowest = lowest.min(log10_guesses(&HashKey::generate(&mut rng)));
        }
        assert!(
            lowest >= MIN_LOG10_GUESSES + 1.0,
            "a random key rated 10^{lowest:.2}"
        );
    }
}
