#![no_std]
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::std_instead_of_alloc,
        clippy::std_instead_of_core,
        clippy::cast_possible_truncation
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod components;
mod error;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
#[doc(hidden)]
pub mod fuzzing;
mod hashkey;
pub mod hex;
mod kcv;
mod key;

pub use error::{CharClass, Error, HexCharClass, Result};
pub use hashkey::{
    BUILTIN_DEFAULT, Derivation, HKDF_SALT, HashKey, INFO_PREFIX, KEY_ID_LABEL, KeyId, Purpose,
    V2_ARGON2_M_KIB, V2_ARGON2_OUTPUT_LEN, V2_ARGON2_P, V2_ARGON2_SALT, V2_ARGON2_T, V2_HKDF_SALT,
    V2_INFO_PREFIX,
};
pub use kcv::{ExpectedKcv, Kcv, KcvMethod, aes_cmac};
pub use key::{Aes128Key, Aes192Key, Aes256Key, AesKey, KeyLength, SecretBytes};

pub use rand_core;
pub use subtle;
pub use zeroize;

/// The operating system's random generator as a [`rand_core::CryptoRng`].
///
/// It panics if the OS generator fails (as `rand`'s `OsRng` does); use
/// [`SecretBytes::generate_os`] where a failure must be an error instead.
#[cfg(feature = "getrandom")]
pub fn os_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}
