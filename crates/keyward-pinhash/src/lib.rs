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

pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod hasher;
pub mod params;
pub mod pepper;
pub mod phc;
pub mod policy;
pub mod raw;
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub mod traits;

pub use argon2::Block;
pub use error::{Error, PhcPart, Result, TrivialKind};
#[cfg(feature = "std")]
pub use hasher::THREAD_CACHE_MAX_BLOCKS;
pub use hasher::{PinHasher, RehashReason, Verified};
pub use keyward_core::{HashKey, KeyId, SecretBytes};
pub use params::{Limits, Params};
pub use pepper::{Pepper, PepperSet};
pub use phc::{ParsedHash, PhcString};
pub use policy::{PasswordPolicy, PinPolicy};

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
