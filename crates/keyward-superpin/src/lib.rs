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
pub mod account;
pub mod code;
pub mod codes;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "alloc")]
pub mod repository;
#[cfg(feature = "alloc")]
mod wire;
pub mod wrap;

#[cfg(feature = "alloc")]
pub use account::{AccountKeys, Proof};
pub use codes::{KeyPurpose, RecoveryCode, SuperPin};
pub use error::{CodeKind, Error, GroupSet, Record, Result, SlotKind};
#[cfg(feature = "alloc")]
pub use repository::{OpenRepository, Repository};
pub use wrap::Argon2Params;
