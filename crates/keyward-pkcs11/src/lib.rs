#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// A std crate: `std::` paths are the natural ones here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

pub mod error;
pub mod secret_key;
pub mod session;
pub mod share_record;
pub mod token;
pub mod token_card;
pub mod uri;
pub mod wrapped;

pub use cryptoki;
pub use error::{Error, Result, Tries};
pub use secret_key::{KeyUsage, NewKey, SecretKey};
pub use session::{PinSource, TokenSession};
pub use token::{MODULE_ENV, Module, Modules, Token};
pub use token_card::{TokenCard, Wait};
pub use uri::{Pkcs11Uri, UriError, is_pkcs11_uri};
pub use wrapped::{FormatError, WrappedKey};
