//! [`PinHasher`]: hashing and verifying under a pepper set.

use argon2::Block;
use keyward_core::HashKey;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::params::{Limits, Params};
use crate::pepper::{Pepper, PepperSet};
use crate::phc::{self, PhcString};
use crate::policy::PinPolicy;
use crate::{MAX_SALT_LEN, MIN_SALT_LEN, SALT_LEN, TAG_LEN};

/// Why a verified hash should be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RehashReason {
    /// The hash was made under a retired pepper.
    RetiredPepper,
    /// The hash's memory or time cost is lower than the current parameters.
    WeakerParams,
    /// The hash's salt is not the 16 bytes this crate writes.
    SaltLength,
}

/// A successful verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Verified {
    /// Whether the caller should hash the PIN or password again (it holds it
    /// now) and store the new hash: the pepper is retired or the parameters
    /// are weaker than current.
    pub needs_rehash: bool,
    /// The first reason for a rehash, if any.
    pub reason: Option<RehashReason>,
}

/// Argon2id v19 PIN and password hashing peppered by a [`PepperSet`].
///
/// New hashes use the current pepper and [`Params`] (OWASP defaults unless
/// changed); verification finds the pepper named by the hash's `keyid`,
/// accepts any parameters within [`Limits`], and compares the tags in
/// constant time.
#[derive(Clone, Debug)]
pub struct PinHasher {
    peppers: PepperSet,
    params: Params,
    limits: Limits,
}

impl PinHasher {
    /// A hasher over `peppers` with OWASP parameters and default limits.
    pub fn new(peppers: PepperSet) -> Self {
        Self {
            peppers,
            params: Params::OWASP,
            limits: Limits::DEFAULT,
        }
    }

    /// A hasher whose only pepper is that of `hash_key`.
    pub fn from_hash_key(hash_key: &HashKey) -> Self {
        Self::new(PepperSet::new(Pepper::from_hash_key(hash_key)))
    }

    /// A hasher whose only pepper is 32 raw bytes (for example from a secure
    /// element); see [`Pepper::from_raw`] for its key id.
    pub fn from_raw_pepper(pepper: keyward_core::SecretBytes<32>) -> Self {
        Self::new(PepperSet::new(Pepper::from_raw(pepper)))
    }

    /// Uses `params` for new hashes (and as the bar for `needs_rehash`).
    #[must_use]
    pub const fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// Uses `limits` for the costs a stored string may ask for (never below
    /// the hasher's own parameters: those always verify).
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The parameters of new hashes.
    pub const fn params(&self) -> &Params {
        &self.params
    }

    /// The verification limits.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The pepper set.
    pub const fn peppers(&self) -> &PepperSet {
        &self.peppers
    }

    /// Blocks of Argon2 memory new hashes need (for the `*_with_memory`
    /// functions).
    pub fn block_count(&self) -> usize {
        self.params.block_count()
    }

    /// Hashes `input` (PIN digits or normalised password bytes) with a
    /// fresh 16-byte salt from `rng`, in caller-provided memory.
    ///
    /// # Errors
    /// [`Error::MemoryTooSmall`] if `memory` holds fewer than
    /// [`Self::block_count`] blocks.
    pub fn hash_with_memory<R: CryptoRng + ?Sized>(
        &self,
        input: &[u8],
        rng: &mut R,
        memory: &mut [Block],
    ) -> Result<PhcString> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        self.hash_with_salt_and_memory(input, &salt, memory)
    }

    /// Hashes `input` with the given salt (8 to 48 bytes; use
    /// [`Self::hash_with_memory`] unless reproducing a known answer).
    ///
    /// # Errors
    /// [`Error::Malformed`] for the salt length; [`Error::MemoryTooSmall`].
    pub fn hash_with_salt_and_memory(
        &self,
        input: &[u8],
        salt: &[u8],
        memory: &mut [Block],
    ) -> Result<PhcString> {
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
            return Err(Error::Malformed {
                part: crate::PhcPart::Salt,
                expected: "8 to 48 bytes",
            });
        }
        let pepper = self.peppers.current();
        let mut tag = Zeroizing::new([0u8; TAG_LEN]);
        crate::raw::argon2id(
            pepper.secret(),
            &[],
            &self.params,
            input,
            salt,
            &mut *tag,
            memory,
        )?;
        PhcString::encode(&self.params, pepper.key_id(), salt, &tag)
    }

    /// Checks a PIN against `policy`, then hashes its digits in
    /// caller-provided memory.
    ///
    /// # Errors
    /// The policy's errors; [`Error::MemoryTooSmall`].
    pub fn hash_pin_with_memory<R: CryptoRng + ?Sized>(
        &self,
        policy: &PinPolicy,
        pin: &str,
        rng: &mut R,
        memory: &mut [Block],
    ) -> Result<PhcString> {
        policy.check(pin)?;
        self.hash_with_memory(pin.as_bytes(), rng, memory)
    }

    /// Verifies `input` against a stored PHC string, in caller-provided
    /// memory (at least the block count of the string's parameters).
    ///
    /// # Errors
    /// * [`Error::Mismatch`]: wrong PIN or password (nothing more is said);
    /// * [`Error::UnknownPepper`]: the string names a pepper this set does
    ///   not hold: the user must re-enrol;
    /// * [`Error::Malformed`] naming the part, [`Error::CostOutOfRange`];
    /// * [`Error::MemoryTooSmall`].
    pub fn verify_with_memory(
        &self,
        input: &[u8],
        phc: &str,
        memory: &mut [Block],
    ) -> Result<Verified> {
        let (parsed, pepper, is_current) = self.prepare(phc)?;
        self.finish(&parsed, pepper, is_current, input, memory)
    }

    /// Parses a stored string, finds its pepper and checks its costs: every
    /// failure that needs no Argon2 work.
    fn prepare(&self, phc: &str) -> Result<(phc::ParsedHash, &Pepper, bool)> {
        let parsed = phc::ParsedHash::parse(phc)?;
        let (pepper, is_current) = self
            .peppers
            .find(parsed.keyid)
            .ok_or(Error::UnknownPepper {
                keyid: parsed.keyid,
            })?;
        self.effective_limits().check(&parsed.params)?;
        Ok((parsed, pepper, is_current))
    }

    /// The limits, raised where needed to admit this hasher's own
    /// parameters (a site that raises its costs must verify its own hashes).
    fn effective_limits(&self) -> Limits {
        Limits {
            max_work: self.limits.max_work.max(self.params.work()),
            max_p_cost: self.limits.max_p_cost.max(self.params.p_cost),
        }
    }

    fn finish(
        &self,
        parsed: &phc::ParsedHash,
        pepper: &Pepper,
        is_current: bool,
        input: &[u8],
        memory: &mut [Block],
    ) -> Result<Verified> {
        let mut tag = Zeroizing::new([0u8; TAG_LEN]);
        crate::raw::argon2id(
            pepper.secret(),
            &[],
            &parsed.params,
            input,
            parsed.salt(),
            &mut *tag,
            memory,
        )?;
        if !bool::from(tag.ct_eq(parsed.tag())) {
            return Err(Error::Mismatch);
        }
        let reason = if !is_current {
            Some(RehashReason::RetiredPepper)
        } else if parsed.params.is_weaker_than(&self.params) {
            Some(RehashReason::WeakerParams)
        } else if parsed.salt().len() != SALT_LEN {
            Some(RehashReason::SaltLength)
        } else {
            None
        };
        Ok(Verified {
            needs_rehash: reason.is_some(),
            reason,
        })
    }
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl PinHasher {
    /// Hashes `input` (PIN digits or normalised password bytes) with a
    /// fresh 16-byte salt from `rng`.
    ///
    /// # Errors
    /// Only if `argon2` refuses its inputs (not expected).
    pub fn hash<R: CryptoRng + ?Sized>(&self, input: &[u8], rng: &mut R) -> Result<PhcString> {
        crate::raw::with_memory(&self.params, |memory| {
            self.hash_with_memory(input, rng, memory)
        })
    }

    /// Hashes `input` with the given salt (8 to 48 bytes).
    ///
    /// # Errors
    /// [`Error::Malformed`] for the salt length.
    pub fn hash_with_salt(&self, input: &[u8], salt: &[u8]) -> Result<PhcString> {
        crate::raw::with_memory(&self.params, |memory| {
            self.hash_with_salt_and_memory(input, salt, memory)
        })
    }

    /// Checks a PIN against `policy`, then hashes its digits.
    ///
    /// # Errors
    /// The policy's errors ([`Error::PinCharacter`], [`Error::PinLength`],
    /// [`Error::TrivialPin`]).
    pub fn hash_pin<R: CryptoRng + ?Sized>(
        &self,
        policy: &PinPolicy,
        pin: &str,
        rng: &mut R,
    ) -> Result<PhcString> {
        policy.check(pin)?;
        self.hash(pin.as_bytes(), rng)
    }

    /// NFKC-normalises a password, checks its length against `policy`, then
    /// hashes it.
    ///
    /// # Errors
    /// [`Error::PasswordLength`].
    pub fn hash_password<R: CryptoRng + ?Sized>(
        &self,
        policy: &crate::PasswordPolicy,
        password: &str,
        rng: &mut R,
    ) -> Result<PhcString> {
        let normalised = policy.normalise(password)?;
        self.hash(normalised.as_bytes(), rng)
    }

    /// Hashes with a salt from the operating system's generator.
    ///
    /// # Errors
    /// As [`Self::hash`]; panics only if the OS generator fails.
    #[cfg(feature = "getrandom")]
    pub fn hash_os(&self, input: &[u8]) -> Result<PhcString> {
        self.hash(input, &mut keyward_core::os_rng())
    }

    /// Verifies `input` (PIN digits or raw password bytes) against a stored
    /// PHC string. See [`Self::verify_with_memory`] for the outcomes.
    ///
    /// # Errors
    /// As [`Self::verify_with_memory`] (never [`Error::MemoryTooSmall`]).
    pub fn verify(&self, input: &[u8], phc: &str) -> Result<Verified> {
        // Everything that can fail without Argon2 work fails before the
        // memory the string asks for is allocated.
        let (parsed, pepper, is_current) = self.prepare(phc)?;
        crate::raw::with_memory(&parsed.params, |memory| {
            self.finish(&parsed, pepper, is_current, input, memory)
        })
    }

    /// NFKC-normalises a password (as [`Self::hash_password`] did), then
    /// verifies it. The length policy is not applied: a password that was
    /// accepted once must keep verifying when the policy changes.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub fn verify_password(&self, password: &str, phc: &str) -> Result<Verified> {
        let normalised = crate::policy::nfkc(password);
        self.verify(normalised.as_bytes(), phc)
    }
}
