//! `password_hash::PasswordHasher` and `PasswordVerifier`, so a
//! [`PinHasher`] drops in where the `argon2` crate's `Argon2` is used.
//!
//! The traits carry only `password_hash::Error`, which cannot say "re-enrol":
//! [`Error::UnknownPepper`] becomes `ParamInvalid { name: "keyid" }` and a
//! verified hash that needs a rehash is plain `Ok(())`. Call
//! [`PinHasher::verify`] where those outcomes matter. The bytes are hashed as
//! given (no NFKC normalisation: that is [`PinHasher::verify_password`]).
//!
//! The traits have no user id, so they write and verify **unbound** hashes
//! (no `bind=user`; `docs/formats.md#keyward-pinhash`): a bound hash never
//! verifies through them, and [`PinHasher::verify`] accepts their hashes
//! once, with [`crate::RehashReason::NotBoundToUser`]. Store hashes made by
//! [`PinHasher::hash_pin`] with the user id.

use alloc::string::ToString;

use password_hash::phc::PasswordHash;
use password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::{Error, PhcPart};
use crate::hasher::PinHasher;

/// The closest `password_hash::Error` for an [`Error`].
pub fn to_password_hash_error(e: Error) -> password_hash::Error {
    use password_hash::Error as P;
    match e {
        Error::Mismatch => P::PasswordInvalid,
        Error::UnknownPepper { .. } => P::ParamInvalid { name: "keyid" },
        Error::Malformed { part, .. } | Error::CostOutOfRange { part, .. } => match part {
            PhcPart::Algorithm => P::Algorithm,
            PhcPart::Version => P::Version,
            PhcPart::MemoryCost => P::ParamInvalid { name: "m" },
            PhcPart::TimeCost => P::ParamInvalid { name: "t" },
            PhcPart::Parallelism => P::ParamInvalid { name: "p" },
            PhcPart::KeyId => P::ParamInvalid { name: "keyid" },
            PhcPart::Params => P::ParamsInvalid,
            PhcPart::Salt => P::SaltInvalid,
            PhcPart::Hash => P::OutputSize,
            _ => P::EncodingInvalid,
        },
        Error::CostOverBudget { .. } => P::ParamsInvalid,
        Error::MemoryTooSmall { .. } => P::OutOfMemory,
        Error::Argon2(_) => P::Crypto,
        _ => P::Internal,
    }
}

impl PasswordHasher<PasswordHash> for PinHasher {
    fn hash_password_with_salt(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> password_hash::Result<PasswordHash> {
        let phc = self
            .hash_unbound_with_salt(password, salt)
            .map_err(to_password_hash_error)?;
        Ok(PasswordHash::new(phc.as_str())?)
    }
}

impl PasswordVerifier<PasswordHash> for PinHasher {
    fn verify_password(&self, password: &[u8], hash: &PasswordHash) -> password_hash::Result<()> {
        self.verify_unbound(password, &hash.to_string())
            .map(|_| ())
            .map_err(to_password_hash_error)
    }
}

impl PasswordVerifier<str> for PinHasher {
    fn verify_password(&self, password: &[u8], hash: &str) -> password_hash::Result<()> {
        self.verify_unbound(password, hash)
            .map(|_| ())
            .map_err(to_password_hash_error)
    }
}
