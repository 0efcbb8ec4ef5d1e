//! The site HashKey, its derivation versions and its purpose subkeys.
//!
//! A HashKey is exactly 32 printable ASCII characters (U+0021..U+007E: no
//! spaces, no control characters, nothing outside ASCII), kept outside the
//! database. keyward never uses the HashKey directly: every use goes through
//! a purpose subkey of one of two derivation versions
//! (`docs/formats.md`, "HashKey subkeys"):
//!
//! ```text
//! derivation 1 (records made before derivation 2; still readable)
//!   PRK    = HKDF-Extract(salt = "keyward/hashkey/v1", IKM = the 32 ASCII bytes)
//!   subkey = HKDF-Expand(PRK, info = "keyward/hashkey/v1/" ‖ label, L = 32)
//!   key id = HKDF-Expand(PRK, info = "keyward/hashkey/v1/key-id", L = 4)
//!
//! derivation 2 (stretched)
//!   S      = Argon2id(P = the 32 ASCII bytes, salt = "keyward/hashkey/v2/argon2id",
//!                     K and X empty, m = 65536 KiB, t = 3, p = 4, T = 32, v = 0x13)
//!   PRK    = HKDF-Extract(salt = "keyward/hashkey/v2", IKM = S)
//!   subkey = HKDF-Expand(PRK, info = "keyward/hashkey/v2/" ‖ label, L = 32)
//!   key id = HKDF-Expand(PRK, info = "keyward/hashkey/v2/key-id", L = 4)
//! ```
//!
//! with HKDF-SHA256 (RFC 5869) and the labels of [`Purpose::label`]. The key
//! id is not secret: it names the HashKey in stored records (the `keyid` of a
//! PIN hash) so the right key can be found. Under derivation 1 it is two HMAC
//! computations away from the HashKey, so a stored key id lets anyone test
//! guesses of a human-chosen HashKey at HMAC speed; under derivation 2 each
//! guess costs an Argon2id run of 64 MiB and 3 passes
//! (`docs/design.md#site-hashkey-and-irreversible-pins`).
//!
//! keyward-core has no Argon2 of its own: [`HashKey::stretch_with`] takes the
//! Argon2id computation as a function, and `keyward_pinhash::stretch_hash_key`
//! supplies the workspace's one zeroizing Argon2id entry point.

use core::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{CharClass, Error, Result};
use crate::key::SecretBytes;

/// HKDF salt of derivation 1.
pub const HKDF_SALT: &[u8] = b"keyward/hashkey/v1";
/// Prefix of every HKDF info string of derivation 1.
pub const INFO_PREFIX: &[u8] = b"keyward/hashkey/v1/";
/// HKDF info label of the key id (both derivations).
pub const KEY_ID_LABEL: &[u8] = b"key-id";

/// The fixed Argon2id salt of derivation 2 (27 ASCII bytes).
pub const V2_ARGON2_SALT: &[u8] = b"keyward/hashkey/v2/argon2id";
/// Argon2id memory of derivation 2, in KiB (64 MiB).
pub const V2_ARGON2_M_KIB: u32 = 65_536;
/// Argon2id passes of derivation 2.
pub const V2_ARGON2_T: u32 = 3;
/// Argon2id lanes of derivation 2.
pub const V2_ARGON2_P: u32 = 4;
/// Length of the Argon2id output S of derivation 2 (the HKDF input).
pub const V2_ARGON2_OUTPUT_LEN: usize = 32;
/// HKDF salt of derivation 2.
pub const V2_HKDF_SALT: &[u8] = b"keyward/hashkey/v2";
/// Prefix of every HKDF info string of derivation 2.
pub const V2_INFO_PREFIX: &[u8] = b"keyward/hashkey/v2/";

/// The HashKey every installation starts with. It is public, so it protects
/// nothing: a site replaces it with its own (see the HashKey ceremony).
pub const BUILTIN_DEFAULT: &str = "keyward-default-hashkey-CHANGEME";

/// The characters of a HashKey: U+0021..U+007E, 94 of them.
const ALPHABET_LEN: u8 = 0x7e - 0x21 + 1;

/// Which derivation turns a HashKey into its key id and subkeys.
///
/// The version is not written in records: a record names its HashKey by key
/// id, and the same HashKey has a different key id under each derivation, so
/// whoever holds the HashKey can tell which derivation a record was made
/// under (the HashKey ceremony's census does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Derivation {
    /// HKDF-SHA256 of the HashKey bytes: a key id costs two HMACs per guess.
    /// Readable, so that a site can migrate its records.
    V1,
    /// Argon2id (64 MiB, 3 passes, 4 lanes) of the HashKey bytes, then
    /// HKDF-SHA256: a key id costs an Argon2id run per guess.
    V2,
}

impl Derivation {
    /// Every derivation, oldest first.
    pub const ALL: [Self; 2] = [Self::V1, Self::V2];

    /// The version number (1 or 2).
    pub const fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }

    /// The derivation with version number `n`.
    ///
    /// # Errors
    /// [`Error::HashKeyDerivation`] naming the number found.
    pub const fn from_number(n: u8) -> Result<Self> {
        match n {
            1 => Ok(Self::V1),
            2 => Ok(Self::V2),
            found => Err(Error::HashKeyDerivation { found }),
        }
    }

    const fn info_prefix(self) -> &'static [u8] {
        match self {
            Self::V1 => INFO_PREFIX,
            Self::V2 => V2_INFO_PREFIX,
        }
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "derivation {}", self.number())
    }
}

/// What a HashKey subkey is for. Each purpose has its own HKDF label, so
/// subkeys are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// The pepper of PIN and password hashes (Argon2 secret K).
    PinPepper,
    /// Encryption of personal data such as biometric templates.
    TemplateEncryption,
    /// The static key of BLOB key derivation (keyward-blob).
    BlobStaticKey,
    /// Sealing of Super PIN escrow data.
    SuperPinEscrow,
}

impl Purpose {
    /// Every purpose, for documentation and tests.
    pub const ALL: [Self; 4] = [
        Self::PinPepper,
        Self::TemplateEncryption,
        Self::BlobStaticKey,
        Self::SuperPinEscrow,
    ];

    /// The HKDF label (appended to [`INFO_PREFIX`]).
    pub const fn label(self) -> &'static str {
        match self {
            Self::PinPepper => "pin-pepper",
            Self::TemplateEncryption => "template-encryption",
            Self::BlobStaticKey => "blob-static-key",
            Self::SuperPinEscrow => "superpin-escrow",
        }
    }
}

/// The non-secret 4-byte id of a HashKey, shown as 8 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A site HashKey: exactly 32 printable ASCII characters, no spaces, with
/// the derivation its key id and subkeys come from.
///
/// [`HashKey::new`] gives [`Derivation::V1`] (no Argon2 here);
/// `keyward_pinhash::stretch_hash_key` turns it into [`Derivation::V2`].
/// Equality compares the derived keys: the same characters under two
/// derivations are two different keys.
#[derive(Clone)]
pub struct HashKey {
    bytes: [u8; HashKey::LEN],
    derivation: Derivation,
    prk: [u8; 32],
}

impl HashKey {
    /// Required length in characters.
    pub const LEN: usize = 32;

    /// Checks and takes a HashKey, under [`Derivation::V1`].
    ///
    /// # Errors
    /// [`Error::HashKeyLength`] with the number of characters given;
    /// [`Error::HashKeyCharacter`] with the position and the kind of the first
    /// character that is not allowed (the key is never echoed).
    pub fn new(key: &str) -> Result<Self> {
        let found = key.chars().count();
        // Name a bad character first only when the length is right; a wrong
        // length is the more common mistake (a truncated paste).
        if found != Self::LEN {
            return Err(Error::HashKeyLength { found });
        }
        for (position, c) in (1usize..).zip(key.chars()) {
            let class = match c {
                ' ' => Some(CharClass::Space),
                '\u{21}'..='\u{7e}' => None,
                c if c.is_ascii() => {
                    Some(CharClass::Control(u8::try_from(u32::from(c)).unwrap_or(0)))
                }
                _ => Some(CharClass::NonAscii),
            };
            if let Some(class) = class {
                return Err(Error::HashKeyCharacter { position, class });
            }
        }
        let mut bytes = [0u8; Self::LEN];
        bytes.copy_from_slice(key.as_bytes());
        Ok(Self::v1(&mut bytes))
    }

    /// Derivation 1 of checked bytes; the caller's copy is wiped.
    fn v1(bytes: &mut [u8; Self::LEN]) -> Self {
        let mut key = Self {
            bytes: *bytes,
            derivation: Derivation::V1,
            prk: [0u8; 32],
        };
        bytes.zeroize();
        let (mut prk, _) = Hkdf::<Sha256>::extract(Some(HKDF_SALT), &key.bytes);
        key.prk.copy_from_slice(&prk);
        prk.zeroize();
        key
    }

    /// A new random HashKey, under [`Derivation::V1`]: 32 characters drawn
    /// uniformly from the 94 printable ASCII characters (rejection sampling
    /// of random bytes), 32 · log2(94) ≈ 209.7 bits.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let drawn: core::result::Result<Self, core::convert::Infallible> =
            Self::generate_from(|pool| {
                rng.fill_bytes(pool);
                Ok(())
            });
        match drawn {
            Ok(key) => key,
            Err(never) => match never {},
        }
    }

    /// [`HashKey::generate`] from the operating system's generator.
    ///
    /// # Errors
    /// [`Error::Rng`] if the OS generator fails.
    #[cfg(feature = "getrandom")]
    pub fn generate_os() -> Result<Self> {
        Self::generate_from(|pool| getrandom::fill(pool).map_err(|_| Error::Rng))
    }

    fn generate_from<E>(
        mut fill: impl FnMut(&mut [u8; 64]) -> core::result::Result<(), E>,
    ) -> core::result::Result<Self, E> {
        let mut bytes = [0u8; Self::LEN];
        let mut filled = 0;
        let mut pool = zeroize::Zeroizing::new([0u8; 64]);
        while filled < Self::LEN {
            if let Err(e) = fill(&mut pool) {
                bytes.zeroize();
                return Err(e);
            }
            for &b in pool.iter() {
                // 188 = 2 · 94: bytes 188..=255 would favour the first 68
                // characters, so they are drawn again.
                if b < 2 * ALPHABET_LEN {
                    if let Some(slot) = bytes.get_mut(filled) {
                        *slot = 0x21 + b % ALPHABET_LEN;
                        filled += 1;
                    }
                }
            }
        }
        Ok(Self::v1(&mut bytes))
    }

    /// The built-in default HashKey ([`BUILTIN_DEFAULT`]), under
    /// [`Derivation::V1`].
    pub fn builtin_default() -> Self {
        let mut bytes = [0u8; Self::LEN];
        bytes.copy_from_slice(BUILTIN_DEFAULT.as_bytes());
        Self::v1(&mut bytes)
    }

    /// Whether this is the public built-in default (under any derivation).
    pub fn is_builtin_default(&self) -> bool {
        self.bytes.ct_eq(BUILTIN_DEFAULT.as_bytes()).into()
    }

    /// The derivation of this key's key id and subkeys.
    pub const fn derivation(&self) -> Derivation {
        self.derivation
    }

    /// The 32 characters of the HashKey. Every call site is a place where the
    /// secret leaves this type (showing a generated key once, estimating a
    /// typed key's strength): keep them few.
    pub fn expose_secret(&self) -> &str {
        // Only U+0021..U+007E are ever stored: always valid UTF-8.
        core::str::from_utf8(&self.bytes).unwrap_or("")
    }

    /// The same HashKey under [`Derivation::V2`].
    ///
    /// `argon2id(password, out)` must compute Argon2id version 0x13 of
    /// `password` (the 32 HashKey bytes) with salt [`V2_ARGON2_SALT`], no
    /// secret, no associated data, m = [`V2_ARGON2_M_KIB`], t =
    /// [`V2_ARGON2_T`], p = [`V2_ARGON2_P`], into the 32-byte `out`. Use
    /// `keyward_pinhash::stretch_hash_key`, which calls this with keyward's
    /// zeroizing Argon2id; a function computing something else gives a key
    /// that matches no record and no vector.
    ///
    /// # Errors
    /// Whatever `argon2id` returns; no key is made then.
    pub fn stretch_with<E>(
        &self,
        argon2id: impl FnOnce(
            &[u8; Self::LEN],
            &mut [u8; V2_ARGON2_OUTPUT_LEN],
        ) -> core::result::Result<(), E>,
    ) -> core::result::Result<Self, E> {
        let mut stretched = zeroize::Zeroizing::new([0u8; V2_ARGON2_OUTPUT_LEN]);
        argon2id(&self.bytes, &mut stretched)?;
        let mut key = Self {
            bytes: self.bytes,
            derivation: Derivation::V2,
            prk: [0u8; 32],
        };
        let (mut prk, _) = Hkdf::<Sha256>::extract(Some(V2_HKDF_SALT), &*stretched);
        key.prk.copy_from_slice(&prk);
        prk.zeroize();
        Ok(key)
    }

    fn expand<const N: usize>(&self, label: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        // The PRK is 32 bytes and L ≤ 255 · 32: neither step can fail.
        if let Ok(hkdf) = Hkdf::<Sha256>::from_prk(&self.prk) {
            let _ = hkdf.expand_multi_info(&[self.derivation.info_prefix(), label], &mut out);
        }
        out
    }

    /// The non-secret key id (of this key's derivation).
    pub fn key_id(&self) -> KeyId {
        KeyId(self.expand::<4>(KEY_ID_LABEL))
    }

    /// The 32-byte subkey for `purpose` (of this key's derivation).
    pub fn subkey(&self, purpose: Purpose) -> SecretBytes<32> {
        SecretBytes::from_array(self.expand::<32>(purpose.label().as_bytes()))
    }
}

impl ConstantTimeEq for HashKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.prk.ct_eq(&other.prk) & self.bytes.ct_eq(&other.bytes)
    }
}

impl PartialEq for HashKey {
    fn eq(&self, other: &Self) -> bool {
        self.derivation == other.derivation && bool::from(self.ct_eq(other))
    }
}

impl Eq for HashKey {}

impl Drop for HashKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
        self.prk.zeroize();
    }
}

impl ZeroizeOnDrop for HashKey {}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HashKey {{ key_id: {}, derivation: {} }}",
            self.key_id(),
            self.derivation.number()
        )
    }
}

impl core::str::FromStr for HashKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;
    use std::string::ToString;

    #[test]
    fn length_error_says_how_many_of_32() {
        let e = HashKey::new("0123456789abcdef0123456789abcde").unwrap_err();
        assert_eq!(e, Error::HashKeyLength { found: 31 });
        assert_eq!(
            format!("{e}"),
            "a HashKey must be exactly 32 characters, found 31 of 32"
        );
        assert_eq!(
            HashKey::new("").unwrap_err(),
            Error::HashKeyLength { found: 0 }
        );
        // Characters, not bytes: 32 characters with a non-ASCII one is a
        // character error, not a length error.
        let e = HashKey::new("0123456789abcdef0123456789abcdeé").unwrap_err();
        assert_eq!(
            e,
            Error::HashKeyCharacter {
                position: 32,
                class: CharClass::NonAscii
            }
        );
    }

    #[test]
    fn bad_characters_are_named_without_echoing_the_key() {
        let e = HashKey::new("SecretPart1 SecretPart2 Secret33").unwrap_err();
        assert_eq!(
            e,
            Error::HashKeyCharacter {
                position: 12,
                class: CharClass::Space
            }
        );
        let text = format!("{e}");
        assert!(
            text.contains("character 12") && text.contains("space"),
            "{text}"
        );
        assert!(!text.contains("SecretPart"), "{text}");
        let e = HashKey::new("SecretPart1\tSecretPart2 Secret33").unwrap_err();
        assert_eq!(
            format!("{e}"),
            "HashKey character 12 is not allowed: a control character (U+0009) (printable ASCII without spaces expected)"
        );
    }

    #[test]
    fn subkeys_are_distinct_and_debug_is_redacted() {
        let k = HashKey::new("0123456789abcdef0123456789abcdef").unwrap();
        let mut seen = std::vec::Vec::new();
        for p in Purpose::ALL {
            let s = k.subkey(p);
            assert!(!seen.contains(&s), "{p:?} repeats a subkey");
            seen.push(s);
        }
        let d = format!("{k:?}");
        assert!(
            d.starts_with("HashKey { key_id: ") && !d.contains("0123456789"),
            "{d}"
        );
        assert_ne!(k.key_id(), HashKey::builtin_default().key_id());
        assert!(HashKey::builtin_default().is_builtin_default());
        assert!(!k.is_builtin_default());
    }

    /// Hands out the bytes of a script, then zeros.
    struct Scripted(std::vec::Vec<u8>);

    impl rand_core::TryRng for Scripted {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            unreachable!()
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            unreachable!()
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for d in dst {
                *d = if self.0.is_empty() {
                    0
                } else {
                    self.0.remove(0)
                };
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Scripted {}

    #[test]
    fn generate_maps_bytes_to_the_alphabet_and_rejects_the_biased_tail() {
        // 188..=255 are drawn again; 0 → '!', 93 → '~', 94 → '!', 187 → '~'.
        let mut script = std::vec![188, 255, 0, 93, 94, 187, 200, 46];
        script.resize(64, 250); // the rest of the first pool: all rejected
        script.extend(core::iter::repeat_n(1u8, 64)); // '"'
        let k = HashKey::generate(&mut Scripted(script));
        let text = k.expose_secret();
        assert_eq!(&text[..5], "!~!~O");
        assert_eq!(&text[5..], "\"".repeat(27));
        assert_eq!(k.derivation(), Derivation::V1);
        assert_eq!(HashKey::new(text).unwrap(), k);
    }

    #[test]
    fn generate_uses_every_character_and_keys_differ() {
        use rand_core::SeedableRng;
        let mut rng = chacha20::ChaCha20Rng::from_seed([9; 32]);
        let mut seen = [0u32; 94];
        let first = HashKey::generate(&mut rng);
        for _ in 0..300 {
            let k = HashKey::generate(&mut rng);
            assert_ne!(k, first);
            for b in k.expose_secret().bytes() {
                assert!((0x21..=0x7e).contains(&b));
                seen[usize::from(b - 0x21)] += 1;
            }
        }
        // 9,600 draws, 102 expected per character: each appears, none twice
        // as often as expected (a modulo bias would give 1.5x to 68 of them).
        assert!(seen.iter().all(|&n| n > 50 && n < 170), "{seen:?}");
    }

    #[test]
    fn stretching_changes_derivation_key_id_and_subkeys() {
        let v1 = HashKey::new("0123456789abcdef0123456789abcdef").unwrap();
        let mut seen_password = [0u8; 32];
        let v2 = v1
            .stretch_with(|p, out| {
                seen_password = *p;
                out.fill(0x5a);
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(&seen_password, b"0123456789abcdef0123456789abcdef");
        assert_eq!(v2.derivation(), Derivation::V2);
        assert_eq!(v2.expose_secret(), v1.expose_secret());
        assert_ne!(v2, v1);
        assert_ne!(v2.key_id(), v1.key_id());
        for p in Purpose::ALL {
            assert_ne!(v2.subkey(p), v1.subkey(p));
        }
        // The v2 key is HKDF of S alone: PRK = HKDF-Extract("keyward/hashkey/v2", S).
        let expected = Hkdf::<Sha256>::new(Some(V2_HKDF_SALT), &[0x5a; 32]);
        let mut id = [0u8; 4];
        expected
            .expand(b"keyward/hashkey/v2/key-id", &mut id)
            .unwrap();
        assert_eq!(v2.key_id(), KeyId(id));
        assert!(format!("{v2:?}").ends_with("derivation: 2 }"), "{v2:?}");
        // A failing Argon2 makes no key.
        assert_eq!(
            v1.stretch_with(|_, _| Err::<(), _>("no memory"))
                .unwrap_err(),
            "no memory"
        );
    }

    #[test]
    fn derivation_numbers() {
        for d in Derivation::ALL {
            assert_eq!(Derivation::from_number(d.number()).unwrap(), d);
        }
        let e = Derivation::from_number(3).unwrap_err();
        assert_eq!(e, Error::HashKeyDerivation { found: 3 });
        assert_eq!(
            e.to_string(),
            "HashKey derivation 3 does not exist (1 or 2 expected)"
        );
        assert_eq!(Derivation::V2.to_string(), "derivation 2");
    }
}
