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

#[cfg(feature = "alloc")]
mod account;
mod code;
mod codes;
mod error;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;
#[cfg(feature = "alloc")]
mod repository;
#[cfg(feature = "alloc")]
mod wire;
mod wrap;

#[cfg(feature = "alloc")]
pub use account::{
    ACCOUNT_KEYS_FORMAT_VERSION, ACCOUNT_KEYS_MAGIC, AccountKeys, MAX_RECOVERY_CODES, MAX_USED_IDS,
    Proof,
};
pub use code::{ALPHABET, GF_REDUCTION, GROUP_SYMBOLS, PAYLOAD_SYMBOLS, WEIGHTS};
pub use codes::{KeyPurpose, RecoveryCode, SuperPin};
pub use error::{CodeKind, Error, GroupSet, Record, Result, SlotKind};
#[cfg(feature = "alloc")]
pub use repository::{
    MAX_ENTRIES, MIN_MASTER_PASSWORD_CHARS, OpenRepository, REPOSITORY_FORMAT_VERSION,
    REPOSITORY_MAGIC, Repository,
};
pub use wrap::{Argon2Params, SIV_KEY_INFO, WRAPPED_LEN};
