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
#[cfg(feature = "alloc")]
mod app_pin;
#[cfg(feature = "std")]
mod app_pin_files;
mod code;
mod codes;
mod error;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;
mod recovery_url;
#[cfg(feature = "alloc")]
mod repository;
#[cfg(feature = "alloc")]
mod used_tokens;
#[cfg(feature = "alloc")]
mod wire;
mod wrap;

#[cfg(feature = "alloc")]
pub use account::{
    ACCOUNT_KEYS_FORMAT_VERSION, ACCOUNT_KEYS_MAGIC, AccountKeys, MAX_RECOVERY_CODES, MAX_USED_IDS,
    Proof,
};
#[cfg(feature = "alloc")]
pub use app_pin::{
    APP_PIN_AD_LABEL, APP_PIN_FORMAT_VERSION, APP_PIN_KEK_INFO, APP_PIN_MAGIC, APP_PIN_RECORD_LEN,
    AppPin, AppPinRecord, DEFAULT_MAX_TRIES, DEVICE_ID_LABEL, DEVICE_SECRET_FILE_LEN,
    DEVICE_SECRET_FORMAT_VERSION, DEVICE_SECRET_MAGIC, DeviceSecret,
};
#[cfg(feature = "std")]
pub use app_pin_files::{
    FileError, create_device_secret_file, read_app_pin_file, read_device_secret_file,
    unlock_app_pin_file, write_private_file,
};
pub use code::{ALPHABET, GF_REDUCTION, GROUP_SYMBOLS, PAYLOAD_SYMBOLS, WEIGHTS};
pub use codes::{KeyPurpose, RecoveryCode, SuperPin};
pub use error::{CodeKind, Error, GroupSet, Record, Result, SlotKind};
pub use recovery_url::{
    ACCOUNT_TAG_LABEL, MAX_TOKEN_VALIDITY_SECS, RECOVERY_URL_TOKEN_CHARS, RECOVERY_URL_TOKEN_LEN,
    RECOVERY_URL_TOKEN_VERSION, RecoveryUrlKey, RecoveryUrlToken, TOKEN_MAC_LABEL, TokenPurpose,
    TokenText,
};
#[cfg(feature = "alloc")]
pub use recovery_url::{parse_recovery_url, recovery_url};
#[cfg(feature = "alloc")]
pub use repository::{
    MAX_ENTRIES, MIN_MASTER_PASSWORD_CHARS, OpenRepository, REPOSITORY_FORMAT_VERSION,
    REPOSITORY_MAGIC, Repository,
};
#[cfg(feature = "alloc")]
pub use used_tokens::{MAX_USED_TOKENS, USED_TOKENS_FORMAT_VERSION, USED_TOKENS_MAGIC, UsedTokens};
pub use wrap::{Argon2Params, SIV_KEY_INFO, WRAPPED_LEN};
