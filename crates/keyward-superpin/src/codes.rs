//! The Super PIN and Recovery Codes: generation, display, parsing and key
//! derivation.
//!
//! # Key derivation
//!
//! ```text
//! IKM    = the payload symbols (version first), 5 bits each, most significant
//!          bit first, zero-padded to whole bytes (Super PIN: 225 bits → 29
//!          bytes; Recovery Code: 125 bits → 16 bytes)
//! PRK    = HKDF-Extract-SHA256(salt = SALT, IKM)
//! key    = HKDF-Expand(PRK, info = SALT ‖ "/" ‖ label, L = 32)
//! ```
//!
//! with `SALT` = `keyward/superpin/v1` for the Super PIN and
//! `keyward/recovery-code/v1` for Recovery Codes, and the labels of
//! [`KeyPurpose::label`]. No password stretching is applied: the codes carry
//! 220 and 120 random bits.

use core::fmt;

use hkdf::Hkdf;
use keyward_core::SecretBytes;
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::code::{self, PAYLOAD_SYMBOLS, Spec};
use crate::error::{CodeKind, Result};

/// What a key derived from a Super PIN or Recovery Code is for. Each purpose
/// has its own HKDF label, so the keys are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyPurpose {
    /// The key-encryption key of the code's slot in an
    /// [`AccountKeys`](crate::AccountKeys) record.
    AccountSlot,
    /// A key-encryption key for a caller's own local key repository (for
    /// example an installation protected by the Super PIN).
    LocalKeyRepository,
    /// The non-secret 8-byte id of a Recovery Code slot (the first 8 bytes of
    /// this 32-byte output are stored in the record).
    SlotId,
}

impl KeyPurpose {
    /// Every purpose.
    pub const ALL: [Self; 3] = [Self::AccountSlot, Self::LocalKeyRepository, Self::SlotId];

    /// The HKDF label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::AccountSlot => "account-slot",
            Self::LocalKeyRepository => "local-key-repository",
            Self::SlotId => "slot-id",
        }
    }
}

macro_rules! grouped_code {
    (
        $(#[$doc:meta])*
        $name:ident, kind = $kind:expr, groups = $groups:literal, chars = $chars:literal,
        packed = $packed:literal, constants = $constants:expr, salt = $salt:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            payload: [[u8; PAYLOAD_SYMBOLS]; $groups],
        }

        impl $name {
            /// Number of groups.
            pub const GROUPS: usize = $groups;
            /// Length of the displayed form `XXXXXX-…` in characters.
            pub const DISPLAY_LEN: usize = $chars;
            /// The version this library writes and reads (the first payload symbol).
            pub const VERSION: u8 = 1;
            /// Random bits (all payload bits but the 5-bit version).
            pub const RANDOM_BITS: usize = $groups * PAYLOAD_SYMBOLS * 5 - 5;
            /// The per-group constants k₁, k₂, … of the check equation.
            pub const GROUP_CONSTANTS: [u8; $groups] = $constants;
            /// HKDF salt; also the prefix of every HKDF info string.
            pub const HKDF_SALT: &'static str = $salt;

            const SPEC: Spec<$groups> = Spec {
                kind: $kind,
                constants: $constants,
                version: 1,
            };

            /// A new random code: the version symbol followed by random symbols.
            pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
                let mut random = Zeroizing::new([0u8; $groups * PAYLOAD_SYMBOLS]);
                rng.fill_bytes(random.as_mut_slice());
                // Filled in place: the code (wiped on drop) is the only copy.
                let mut code = Self { payload: [[0u8; PAYLOAD_SYMBOLS]; $groups] };
                // One byte per symbol, low 5 bits: uniform because 32 divides 256.
                for (d, r) in code.payload.iter_mut().flatten().zip(random.iter()) {
                    *d = *r & 0x1f;
                }
                if let Some(v) = code.payload.first_mut().and_then(|g| g.first_mut()) {
                    *v = Self::VERSION;
                }
                code
            }

            /// Parses a code: any case, hyphens and whitespace ignored (or
            /// absent), O read as 0, I and L read as 1.
            ///
            /// # Errors
            /// [`Error::Character`](crate::Error::Character) or
            /// [`Error::LetterU`](crate::Error::LetterU) for the first
            /// character outside the alphabet;
            /// [`Error::Length`](crate::Error::Length);
            /// [`Error::Check`](crate::Error::Check) naming **every** group
            /// whose check fails; [`Error::Version`](crate::Error::Version).
            pub fn parse(input: &str) -> Result<Self> {
                // Parsed into the code's own storage (wiped on drop, also
                // when parsing fails half-way).
                let mut code = Self { payload: [[0u8; PAYLOAD_SYMBOLS]; $groups] };
                code::parse_into(&Self::SPEC, input, &mut code.payload)?;
                Ok(code)
            }

            /// Builds a code from its payload symbols (0..=31 each, version
            /// first), for known-answer tests.
            #[doc(hidden)]
            pub fn from_payload_symbols(symbols: &[u8; $groups * PAYLOAD_SYMBOLS]) -> Option<Self> {
                if symbols.iter().any(|s| *s > 31) || symbols.first() != Some(&Self::VERSION) {
                    return None;
                }
                let mut code = Self { payload: [[0u8; PAYLOAD_SYMBOLS]; $groups] };
                for (d, s) in code.payload.iter_mut().flatten().zip(symbols.iter()) {
                    *d = *s;
                }
                Some(code)
            }

            /// The displayed form as ASCII bytes, zeroized on drop.
            pub fn to_ascii(&self) -> Zeroizing<[u8; $chars]> {
                let mut out = Zeroizing::new([0u8; $chars]);
                code::encode(&Self::SPEC, &self.payload, out.as_mut_slice());
                out
            }

            /// The displayed form, zeroized on drop.
            #[cfg(feature = "alloc")]
            pub fn to_zeroizing_string(&self) -> Zeroizing<alloc::string::String> {
                let ascii = self.to_ascii();
                let mut s = Zeroizing::new(alloc::string::String::with_capacity($chars));
                for b in ascii.iter() {
                    s.push(char::from(*b));
                }
                s
            }

            /// The payload bits packed into bytes (the HKDF input).
            fn packed(&self) -> Zeroizing<[u8; $packed]> {
                let mut out = Zeroizing::new([0u8; $packed]);
                code::pack(&self.payload, out.as_mut_slice());
                out
            }

            /// The 32-byte key for `purpose` (HKDF-SHA256, see the module docs).
            pub fn derive_key(&self, purpose: KeyPurpose) -> SecretBytes<32> {
                let packed = self.packed();
                let hk = Hkdf::<Sha256>::new(Some(Self::HKDF_SALT.as_bytes()), packed.as_slice());
                let mut out = [0u8; 32];
                // L = 32 ≤ 255·32: expansion cannot fail.
                let _ = hk.expand_multi_info(
                    &[Self::HKDF_SALT.as_bytes(), b"/", purpose.label().as_bytes()],
                    &mut out,
                );
                let key = SecretBytes::from_array(out);
                out.zeroize();
                key
            }
        }

        impl fmt::Display for $name {
            /// The grouped uppercase form `XXXXXX-XXXXXX-…`. This writes the
            /// secret: show it only to its owner.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let ascii = self.to_ascii();
                for b in ascii.iter() {
                    fmt::Write::write_char(f, char::from(*b))?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl core::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> Choice {
                let mut acc = Choice::from(1);
                for (a, b) in self.payload.iter().zip(other.payload.iter()) {
                    acc &= a.ct_eq(b);
                }
                acc
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(other).into()
            }
        }

        impl Eq for $name {}

        impl Drop for $name {
            fn drop(&mut self) {
                self.payload.zeroize();
            }
        }

        impl ZeroizeOnDrop for $name {}
    };
}

grouped_code! {
    /// A Super PIN: 9 groups of 5 payload + 1 check Crockford Base32
    /// characters, `XXXXXX-XXXXXX-…` (62 characters with hyphens). 225
    /// payload bits: a 5-bit version (1) and 220 random bits.
    ///
    /// Zeroized on drop, redacted in `Debug`, compared in constant time.
    /// `Display` writes the code itself (for showing it to its owner).
    SuperPin, kind = CodeKind::SuperPin, groups = 9, chars = 62, packed = 29,
    constants = [1, 2, 3, 4, 5, 6, 7, 8, 9], salt = "keyward/superpin/v1"
}

grouped_code! {
    /// A one-time Recovery Code: 5 groups of 5 payload + 1 check characters
    /// (the Super PIN's alphabet and per-group checks, with other group
    /// constants), `XXXXXX-…` (34 characters with hyphens). 125 payload bits:
    /// a 5-bit version (1) and 120 random bits.
    ///
    /// Zeroized on drop, redacted in `Debug`, compared in constant time.
    RecoveryCode, kind = CodeKind::RecoveryCode, groups = 5, chars = 34, packed = 16,
    constants = [17, 18, 19, 20, 21], salt = "keyward/recovery-code/v1"
}

impl SuperPin {
    /// A new Super PIN from the operating system's random generator.
    ///
    /// # Panics
    /// If the OS generator fails (as [`keyward_core::os_rng`]).
    #[cfg(feature = "getrandom")]
    pub fn generate_os() -> Self {
        Self::generate(&mut keyward_core::os_rng())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::Error;
    use std::format;
    use std::string::ToString;

    #[test]
    fn debug_is_redacted_and_display_is_grouped() {
        let pin = SuperPin::generate(&mut keyward_core::os_rng());
        assert_eq!(format!("{pin:?}"), "SuperPin([REDACTED])");
        let shown = pin.to_string();
        assert_eq!(shown.len(), 62);
        assert_eq!(shown.split('-').count(), 9);
        assert!(shown.starts_with('1'));
        assert_eq!(SuperPin::parse(&shown).unwrap(), pin);
        let rc = RecoveryCode::generate(&mut keyward_core::os_rng());
        assert_eq!(format!("{rc:?}"), "RecoveryCode([REDACTED])");
        assert_eq!(rc.to_string().len(), 34);
        assert_eq!(RecoveryCode::parse(&rc.to_string()).unwrap(), rc);
    }

    #[test]
    fn a_recovery_code_is_not_a_super_pin() {
        let rc = RecoveryCode::generate(&mut keyward_core::os_rng());
        assert!(matches!(
            SuperPin::parse(&rc.to_string()),
            Err(Error::Length {
                expected: 54,
                found: 30,
                ..
            })
        ));
    }
}
