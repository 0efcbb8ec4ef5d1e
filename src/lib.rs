#![no_std]
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::std_instead_of_alloc,
        clippy::std_instead_of_core,
        clippy::cast_possible_truncation,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub mod backup;

/// BLOB key derivation and AES-SIV sealing ([`keyward_blob`]).
pub use keyward_blob as blob;
/// Keys, KCVs, XOR components and the site HashKey ([`keyward_core`]).
pub use keyward_core as key;
/// Argon2id PIN/password hashing peppered by the site HashKey ([`keyward_pinhash`]).
pub use keyward_pinhash as pinhash;
/// Shamir k-of-n sharing and SLIP-0039 shares ([`keyward_shamir`]).
pub use keyward_shamir as shamir;
/// The Super PIN, account recovery slots and the escrow repository ([`keyward_superpin`]).
pub use keyward_superpin as superpin;

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub mod hashkey_ceremony;
