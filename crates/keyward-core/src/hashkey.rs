//! The site HashKey and its purpose subkeys.
//!
//! An administrator chooses a HashKey of exactly 32 printable ASCII characters
//! (U+0021..U+007E: no spaces, no control characters, nothing outside ASCII)
//! and keeps it outside the database. keyward never uses the HashKey directly:
//! every use goes through a purpose subkey
//!
//! ```text
//! PRK    = HKDF-Extract(salt = "keyward/hashkey/v1", IKM = the 32 ASCII bytes)
//! subkey = HKDF-Expand(PRK, info = "keyward/hashkey/v1/" ‖ label, L = 32)
//! key id = HKDF-Expand(PRK, info = "keyward/hashkey/v1/key-id", L = 4)
//! ```
//!
//! with HKDF-SHA256 (RFC 5869) and the labels of [`Purpose::label`]. The key
//! id is not secret: it names the HashKey in stored records (for example the
//! `keyid` of a PIN hash) so the right key can be found, and says nothing
//! useful about the key (it is an independent HKDF output).

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{CharClass, Error, Result};
use crate::key::SecretBytes;

/// HKDF salt of every HashKey derivation.
pub const HKDF_SALT: &[u8] = b"keyward/hashkey/v1";
/// Prefix of every HashKey HKDF info string.
pub const INFO_PREFIX: &[u8] = b"keyward/hashkey/v1/";
/// HKDF info label of the key id.
pub const KEY_ID_LABEL: &[u8] = b"key-id";

/// The HashKey every installation starts with. It is public, so it protects
/// nothing: a site replaces it with its own (see the HashKey ceremony).
pub const BUILTIN_DEFAULT: &str = "keyward-default-hashkey-CHANGEME";

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

/// A site HashKey: exactly 32 printable ASCII characters, no spaces.
#[derive(Clone)]
pub struct HashKey {
    bytes: [u8; HashKey::LEN],
}

impl HashKey {
    /// Required length in characters.
    pub const LEN: usize = 32;

    /// Checks and takes a HashKey.
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
        Ok(Self { bytes })
    }

    /// The built-in default HashKey ([`BUILTIN_DEFAULT`]).
    pub fn builtin_default() -> Self {
        let mut bytes = [0u8; Self::LEN];
        bytes.copy_from_slice(BUILTIN_DEFAULT.as_bytes());
        Self { bytes }
    }

    /// Whether this is the public built-in default.
    pub fn is_builtin_default(&self) -> bool {
        self.bytes.ct_eq(BUILTIN_DEFAULT.as_bytes()).into()
    }

    fn hkdf(&self) -> Hkdf<Sha256> {
        Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.bytes)
    }

    fn expand<const N: usize>(&self, label: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        // L ≤ 255 · 32: expansion cannot fail for these lengths.
        let _ = self
            .hkdf()
            .expand_multi_info(&[INFO_PREFIX, label], &mut out);
        out
    }

    /// The non-secret key id.
    pub fn key_id(&self) -> KeyId {
        KeyId(self.expand::<4>(KEY_ID_LABEL))
    }

    /// The 32-byte subkey for `purpose`.
    pub fn subkey(&self, purpose: Purpose) -> SecretBytes<32> {
        SecretBytes::from_array(self.expand::<32>(purpose.label().as_bytes()))
    }
}

impl ConstantTimeEq for HashKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.bytes.ct_eq(&other.bytes)
    }
}

impl PartialEq for HashKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for HashKey {}

impl Drop for HashKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for HashKey {}

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashKey {{ key_id: {} }}", self.key_id())
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
}
