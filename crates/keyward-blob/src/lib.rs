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

mod derive;
mod error;
mod format;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
#[doc(hidden)]
pub mod fuzzing;
mod inputs;
mod keyring;

pub use derive::{
    BlobKind, DatabaseKey, KeySetting, LABEL_DATABASE_KEY, LABEL_KEY_ID, LABEL_RECORD_KEY,
    MODE_DERIVE_VECTOR, MODE_STORAGE_DERIVE_KEY, RecordId, RecordKey,
};
pub use error::{Error, KeyIdList, MAX_KEYS, Result};
pub use format::{
    FLAG_NONCE, HEADER_LEN, Header, NONCE_LEN, SUITE_HKDF_SHA256_AES256_SIV, Suite, TAG_LEN,
    VERSION, encryption_version, sealed_len, sealed_len_for,
};
pub use inputs::{
    BUILTIN_STATIC_IV, BUILTIN_STATIC_KEY, DeriveVector, PARAM_PREFIX, StaticIv, StaticKey,
    StorageDeriveKey,
};
#[cfg(feature = "alloc")]
pub use keyring::{Failed, Migration, OwnedRecordId, Resealed};
pub use keyring::{Keyring, Progress, RecordIdentity, Reseal};

pub use keyward_core::KeyId;
