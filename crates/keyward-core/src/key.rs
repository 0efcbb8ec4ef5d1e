//! Secret key types.
//!
//! * [`SecretBytes<N>`]: N secret bytes (subkeys, peppers, seeds).
//! * [`Aes128Key`], [`Aes192Key`], [`Aes256Key`]: AES keys of fixed length,
//!   with a [`Kcv`].
//! * [`AesKey`]: an AES key whose length is known only at run time (typed in,
//!   read from a file).
//!
//! All of them keep their bytes private, zeroize them on drop, compare in
//! constant time (`PartialEq` is backed by [`ConstantTimeEq`]) and print only
//! their type and KCV in `Debug`. Reading the bytes needs an explicit
//! `expose_secret()` call.

use core::fmt;

use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::kcv::{Kcv, KcvMethod};

/// `N` secret bytes: zeroized on drop, redacted in `Debug`, compared in
/// constant time.
#[derive(Clone)]
pub struct SecretBytes<const N: usize> {
    bytes: [u8; N],
}

impl<const N: usize> SecretBytes<N> {
    /// Takes ownership of `bytes`. The caller's copy is the caller's to wipe.
    pub const fn from_array(bytes: [u8; N]) -> Self {
        Self { bytes }
    }

    /// Copies `bytes`, which must be exactly `N` long.
    ///
    /// # Errors
    /// [`Error::KeyLength`] otherwise.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let mut out = Self { bytes: [0u8; N] };
        if bytes.len() != N {
            return Err(Error::KeyLength {
                expected: N,
                found: bytes.len(),
            });
        }
        out.bytes.copy_from_slice(bytes);
        Ok(out)
    }

    /// Fills the bytes from a cryptographic RNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut out = Self { bytes: [0u8; N] };
        rng.fill_bytes(&mut out.bytes);
        out
    }

    /// Fills the bytes from the operating system's RNG.
    ///
    /// # Errors
    /// [`Error::Rng`] if the OS generator fails.
    #[cfg(feature = "getrandom")]
    pub fn generate_os() -> Result<Self> {
        let mut out = Self { bytes: [0u8; N] };
        getrandom::fill(&mut out.bytes).map_err(|_| Error::Rng)?;
        Ok(out)
    }

    /// Parses exactly `2 * N` hex digits (any case, whitespace ignored).
    ///
    /// # Errors
    /// See [`crate::hex::decode_into`].
    pub fn from_hex(s: &str) -> Result<Self> {
        let mut out = Self { bytes: [0u8; N] };
        crate::hex::decode_into(s, &mut out.bytes)?;
        Ok(out)
    }

    /// The secret bytes. Every call site is a place where the secret leaves
    /// this type: keep them few.
    pub const fn expose_secret(&self) -> &[u8; N] {
        &self.bytes
    }

    /// Lowercase hex of the secret, zeroized on drop.
    #[cfg(feature = "alloc")]
    pub fn expose_hex(&self) -> zeroize::Zeroizing<alloc::string::String> {
        crate::hex::to_lower_zeroizing(&self.bytes)
    }

    /// Whether every byte is zero (constant time).
    pub fn is_zero(&self) -> Choice {
        self.bytes.ct_eq(&[0u8; N])
    }
}

impl<const N: usize> ConstantTimeEq for SecretBytes<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.bytes.ct_eq(&other.bytes)
    }
}

impl<const N: usize> PartialEq for SecretBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<const N: usize> Eq for SecretBytes<N> {}

impl<const N: usize> Drop for SecretBytes<N> {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl<const N: usize> ZeroizeOnDrop for SecretBytes<N> {}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>([REDACTED])")
    }
}

/// The length of an AES key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyLength {
    /// 16 bytes.
    Aes128,
    /// 24 bytes.
    Aes192,
    /// 32 bytes.
    Aes256,
}

impl KeyLength {
    /// The length in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The length for a byte count, if it is an AES key length.
    pub const fn from_bytes(n: usize) -> Option<Self> {
        match n {
            16 => Some(Self::Aes128),
            24 => Some(Self::Aes192),
            32 => Some(Self::Aes256),
            _ => None,
        }
    }
}

impl fmt::Display for KeyLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aes128 => f.write_str("AES-128"),
            Self::Aes192 => f.write_str("AES-192"),
            Self::Aes256 => f.write_str("AES-256"),
        }
    }
}

macro_rules! aes_key {
    ($(#[$doc:meta])* $name:ident, $n:literal, $len:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(SecretBytes<$n>);

        impl $name {
            /// Key length in bytes.
            pub const LEN: usize = $n;

            /// Takes ownership of the key bytes.
            pub const fn from_array(bytes: [u8; $n]) -> Self {
                Self(SecretBytes::from_array(bytes))
            }

            /// Copies key bytes from a slice of exactly the key length.
            ///
            /// # Errors
            /// [`Error::KeyLength`] otherwise.
            pub fn from_slice(bytes: &[u8]) -> Result<Self> {
                SecretBytes::from_slice(bytes).map(Self)
            }

            /// A fresh random key.
            pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
                Self(SecretBytes::generate(rng))
            }

            /// A fresh key from the operating system's RNG.
            ///
            /// # Errors
            /// [`Error::Rng`] if the OS generator fails.
            #[cfg(feature = "getrandom")]
            pub fn generate_os() -> Result<Self> {
                SecretBytes::generate_os().map(Self)
            }

            /// Parses the key from hex (any case, whitespace ignored).
            ///
            /// # Errors
            /// [`Error::HexCharacter`] with the position and class of the first
            /// bad character, or [`Error::HexLength`] with digits expected and found.
            pub fn from_hex(s: &str) -> Result<Self> {
                SecretBytes::from_hex(s).map(Self)
            }

            /// The key bytes. Every call site is a place where the key leaves
            /// this type.
            pub const fn expose_secret(&self) -> &[u8; $n] {
                self.0.expose_secret()
            }

            /// Lowercase hex of the key, zeroized on drop.
            #[cfg(feature = "alloc")]
            pub fn expose_hex(&self) -> zeroize::Zeroizing<alloc::string::String> {
                self.0.expose_hex()
            }

            /// The key's KCV by the default (CMAC) method.
            pub fn kcv(&self) -> Kcv {
                self.kcv_with(KcvMethod::Cmac)
            }

            /// The key's KCV by the given method.
            pub fn kcv_with(&self, method: KcvMethod) -> Kcv {
                match Kcv::of_key_bytes(self.0.expose_secret(), method) {
                    Ok(kcv) => kcv,
                    // The length is fixed by the type: unreachable.
                    Err(_) => unreachable_kcv(method),
                }
            }

            /// The key length.
            pub const fn length(&self) -> KeyLength {
                KeyLength::$len
            }
        }

        impl ConstantTimeEq for $name {
            fn ct_eq(&self, other: &Self) -> Choice {
                self.0.ct_eq(&other.0)
            }
        }

        impl ZeroizeOnDrop for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), " {{ kcv: {} }}"), self.kcv())
            }
        }

        impl From<$name> for AesKey {
            fn from(key: $name) -> Self {
                AesKey::$len(key)
            }
        }
    };
}

/// Fallback for a KCV that cannot fail; kept total so no panic path exists.
const fn unreachable_kcv(method: KcvMethod) -> Kcv {
    Kcv::zero(method)
}

aes_key!(
    /// A 16-byte AES-128 key.
    Aes128Key, 16, Aes128
);
aes_key!(
    /// A 24-byte AES-192 key.
    Aes192Key, 24, Aes192
);
aes_key!(
    /// A 32-byte AES-256 key.
    Aes256Key, 32, Aes256
);

/// An AES key whose length is known at run time.
#[derive(Clone, PartialEq, Eq)]
pub enum AesKey {
    /// AES-128.
    Aes128(Aes128Key),
    /// AES-192.
    Aes192(Aes192Key),
    /// AES-256.
    Aes256(Aes256Key),
}

impl AesKey {
    /// Copies an AES key of 16, 24 or 32 bytes.
    ///
    /// # Errors
    /// [`Error::KeyLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        match KeyLength::from_bytes(bytes.len()) {
            Some(KeyLength::Aes128) => Aes128Key::from_slice(bytes).map(Self::Aes128),
            Some(KeyLength::Aes192) => Aes192Key::from_slice(bytes).map(Self::Aes192),
            Some(KeyLength::Aes256) => Aes256Key::from_slice(bytes).map(Self::Aes256),
            None => Err(Error::KeyLength {
                expected: 32,
                found: bytes.len(),
            }),
        }
    }

    /// A fresh random key of the given length.
    pub fn generate<R: CryptoRng + ?Sized>(length: KeyLength, rng: &mut R) -> Self {
        match length {
            KeyLength::Aes128 => Self::Aes128(Aes128Key::generate(rng)),
            KeyLength::Aes192 => Self::Aes192(Aes192Key::generate(rng)),
            KeyLength::Aes256 => Self::Aes256(Aes256Key::generate(rng)),
        }
    }

    /// Parses 32, 48 or 64 hex digits (any case, whitespace ignored).
    ///
    /// # Errors
    /// [`Error::HexCharacter`] with the first bad character's position and class,
    /// or [`Error::AesHexLength`] with the number of digits found.
    pub fn from_hex(s: &str) -> Result<Self> {
        match crate::hex::digit_count(s) {
            32 => Aes128Key::from_hex(s).map(Self::Aes128),
            48 => Aes192Key::from_hex(s).map(Self::Aes192),
            64 => Aes256Key::from_hex(s).map(Self::Aes256),
            found => {
                Err(crate::hex::first_bad_character(s).unwrap_or(Error::AesHexLength { found }))
            }
        }
    }

    /// The key length.
    pub const fn length(&self) -> KeyLength {
        match self {
            Self::Aes128(_) => KeyLength::Aes128,
            Self::Aes192(_) => KeyLength::Aes192,
            Self::Aes256(_) => KeyLength::Aes256,
        }
    }

    /// The key bytes. Every call site is a place where the key leaves this type.
    pub fn expose_secret(&self) -> &[u8] {
        match self {
            Self::Aes128(k) => k.expose_secret(),
            Self::Aes192(k) => k.expose_secret(),
            Self::Aes256(k) => k.expose_secret(),
        }
    }

    /// Lowercase hex of the key, zeroized on drop.
    #[cfg(feature = "alloc")]
    pub fn expose_hex(&self) -> zeroize::Zeroizing<alloc::string::String> {
        crate::hex::to_lower_zeroizing(self.expose_secret())
    }

    /// The key's KCV by the default (CMAC) method.
    pub fn kcv(&self) -> Kcv {
        self.kcv_with(KcvMethod::Cmac)
    }

    /// The key's KCV by the given method.
    pub fn kcv_with(&self, method: KcvMethod) -> Kcv {
        match self {
            Self::Aes128(k) => k.kcv_with(method),
            Self::Aes192(k) => k.kcv_with(method),
            Self::Aes256(k) => k.kcv_with(method),
        }
    }

    /// Whether every byte is zero (constant time).
    pub fn is_zero(&self) -> Choice {
        let bytes = self.expose_secret();
        let mut acc = 0u8;
        for b in bytes {
            acc |= *b;
        }
        acc.ct_eq(&0)
    }
}

impl ConstantTimeEq for AesKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        // Lengths are public; bytes are compared in constant time.
        match (self, other) {
            (Self::Aes128(a), Self::Aes128(b)) => a.ct_eq(b),
            (Self::Aes192(a), Self::Aes192(b)) => a.ct_eq(b),
            (Self::Aes256(a), Self::Aes256(b)) => a.ct_eq(b),
            _ => Choice::from(0),
        }
    }
}

impl ZeroizeOnDrop for AesKey {}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aes128(k) => k.fmt(f),
            Self::Aes192(k) => k.fmt(f),
            Self::Aes256(k) => k.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    const RFC4493_256: &str =
        "603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4";

    #[test]
    fn debug_shows_type_and_kcv_only() {
        let k = Aes256Key::from_hex(RFC4493_256).unwrap();
        assert_eq!(format!("{k:?}"), "Aes256Key { kcv: 1A0B2D }");
        let a = AesKey::from_hex(RFC4493_256).unwrap();
        assert_eq!(format!("{a:?}"), "Aes256Key { kcv: 1A0B2D }");
        let s = SecretBytes::<4>::from_array([0xde, 0xad, 0xbe, 0xef]);
        let d = format!("{s:?}");
        assert_eq!(d, "SecretBytes<4>([REDACTED])");
        assert!(!d.to_lowercase().contains("dead"));
    }

    #[test]
    fn hex_parsing_errors_say_what_is_wrong() {
        assert_eq!(
            Aes128Key::from_hex("2b7e151628aed2a6abf7158809cf4f"),
            Err(Error::HexLength {
                expected: 32,
                found: 30
            })
        );
        assert_eq!(
            Aes128Key::from_hex("2b7e151628aed2a6abf7158809cf4f3q"),
            Err(Error::HexCharacter {
                position: 32,
                class: crate::HexCharClass::Letter
            })
        );
        assert_eq!(
            AesKey::from_hex("00112233"),
            Err(Error::AesHexLength { found: 8 })
        );
        assert_eq!(
            AesKey::from_hex("2B7E1516 28AED2A6 ABF71588 09CF4F3C")
                .unwrap()
                .length(),
            KeyLength::Aes128
        );
        assert_eq!(
            AesKey::from_hex(&"ab".repeat(24)).unwrap().length(),
            KeyLength::Aes192
        );
        assert_eq!(
            format!("{}", Aes256Key::from_hex("00").unwrap_err()),
            "expected 64 hex digits, found 2"
        );
    }

    #[test]
    fn constant_time_equality_and_zero() {
        let a = Aes128Key::from_array([1; 16]);
        let b = Aes128Key::from_array([1; 16]);
        let c = Aes128Key::from_array([2; 16]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(
            AesKey::from(a.clone()),
            AesKey::from_slice(&[1; 32]).unwrap()
        );
        assert!(bool::from(AesKey::from_slice(&[0; 24]).unwrap().is_zero()));
        assert!(!bool::from(AesKey::from(a).is_zero()));
        assert!(matches!(
            AesKey::from_slice(&[0; 17]),
            Err(Error::KeyLength { found: 17, .. })
        ));
    }

    #[test]
    fn generate_uses_the_rng() {
        struct Counter(u8);
        impl rand_core::TryRng for Counter {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
                Ok(0)
            }
            fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
                Ok(0)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
                for b in dst {
                    self.0 = self.0.wrapping_add(1);
                    *b = self.0;
                }
                Ok(())
            }
        }
        impl rand_core::TryCryptoRng for Counter {}
        let k = Aes128Key::generate(&mut Counter(0));
        assert_eq!(k.expose_secret()[0], 1);
        assert_eq!(k.expose_secret()[15], 16);
        let g = AesKey::generate(KeyLength::Aes192, &mut Counter(0));
        assert_eq!(g.expose_secret().len(), 24);
    }
}
