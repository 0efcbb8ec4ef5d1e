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

mod error;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;
mod hasher;
#[cfg(feature = "alloc")]
mod hashkey_stretch;
mod params;
mod pepper;
mod phc;
mod policy;
mod raw;
#[cfg(feature = "alloc")]
mod traits;

pub use argon2::Block;
pub use error::{Error, PhcPart, Result, TrivialKind};
pub use hasher::{PinHasher, RehashReason, Verified, user_ad};
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use hashkey_stretch::{hashkey_v2_params, stretch_hash_key};
pub use keyward_core::{HashKey, KeyId, SecretBytes};
pub use params::{Limits, Params};
pub use pepper::{MAX_RETIRED, Pepper, PepperSet, RAW_PEPPER_HKDF_SALT, RAW_PEPPER_KEY_ID_INFO};
pub use phc::{MAX_PHC_LEN, ParsedHash, PhcString};
pub use policy::{PasswordPolicy, PinPolicy};
#[cfg(feature = "std")]
pub use raw::THREAD_CACHE_MAX_BLOCKS;
pub use raw::argon2id;
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use traits::to_password_hash_error;

#[cfg(feature = "alloc")]
pub use password_hash;

/// Length of the Argon2 tag (the hash) in bytes.
pub const TAG_LEN: usize = 32;
/// Length of the salt of new hashes in bytes.
pub const SALT_LEN: usize = 16;
/// Shortest salt accepted in a stored string (Argon2's minimum).
pub const MIN_SALT_LEN: usize = 8;
/// Longest salt accepted in a stored string.
pub const MAX_SALT_LEN: usize = 48;
