//! [`PinHasher`]: hashing and verifying under a pepper set.

use argon2::Block;
use keyward_core::HashKey;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
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
    /// The hash is not bound to its user (made without a user id, before
    /// binding existed): whoever can write the hash table could have copied
    /// it from another user's row. Hash again with the user id now.
    NotBoundToUser,
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

    /// Hashes `input` (PIN digits or normalised password bytes) of user
    /// `user` with a fresh 16-byte salt from `rng`, in caller-provided
    /// memory. The hash is bound to `user` (see [`user_ad`]): it verifies
    /// for that user id only.
    ///
    /// # Errors
    /// [`Error::EmptyUserId`]; [`Error::MemoryTooSmall`] if `memory` holds
    /// fewer than [`Self::block_count`] blocks.
    pub fn hash_with_memory<R: CryptoRng + ?Sized>(
        &self,
        user: &[u8],
        input: &[u8],
        rng: &mut R,
        memory: &mut [Block],
    ) -> Result<PhcString> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        self.hash_with_salt_and_memory(user, input, &salt, memory)
    }

    /// Hashes `input` with the given salt (8 to 48 bytes; use
    /// [`Self::hash_with_memory`] unless reproducing a known answer).
    ///
    /// # Errors
    /// [`Error::EmptyUserId`]; [`Error::Malformed`] for the salt length;
    /// [`Error::MemoryTooSmall`].
    pub fn hash_with_salt_and_memory(
        &self,
        user: &[u8],
        input: &[u8],
        salt: &[u8],
        memory: &mut [Block],
    ) -> Result<PhcString> {
        let ad = user_ad(user)?;
        self.hash_inner(&ad, input, salt, memory)
    }

    /// Hashes with associated data `ad`: 32 bytes binds the hash to a user,
    /// empty makes an unbound hash (only the `password_hash` trait
    /// implementations, which have no user id).
    pub(crate) fn hash_inner(
        &self,
        ad: &[u8],
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
            ad,
            &self.params,
            input,
            salt,
            &mut *tag,
            memory,
        )?;
        PhcString::encode(&self.params, pepper.key_id(), !ad.is_empty(), salt, &tag)
    }

    /// Checks a PIN against `policy`, then hashes its digits in
    /// caller-provided memory.
    ///
    /// # Errors
    /// The policy's errors; [`Error::EmptyUserId`]; [`Error::MemoryTooSmall`].
    pub fn hash_pin_with_memory<R: CryptoRng + ?Sized>(
        &self,
        policy: &PinPolicy,
        user: &[u8],
        pin: &str,
        rng: &mut R,
        memory: &mut [Block],
    ) -> Result<PhcString> {
        policy.check(pin)?;
        self.hash_with_memory(user, pin.as_bytes(), rng, memory)
    }

    /// Verifies `input` of user `user` against the PHC string stored for
    /// that user, in caller-provided memory (at least the block count of the
    /// string's parameters). A bound hash verifies for its own user id only;
    /// an unbound one (made before binding) verifies with
    /// [`RehashReason::NotBoundToUser`].
    ///
    /// # Errors
    /// * [`Error::EmptyUserId`];
    /// * [`Error::Mismatch`]: wrong PIN or password (nothing more is said);
    /// * [`Error::UnknownPepper`]: the string names a pepper this set does
    ///   not hold: the user must re-enrol;
    /// * [`Error::Malformed`] naming the part, [`Error::CostOutOfRange`];
    /// * [`Error::MemoryTooSmall`].
    pub fn verify_with_memory(
        &self,
        user: &[u8],
        input: &[u8],
        phc: &str,
        memory: &mut [Block],
    ) -> Result<Verified> {
        let ad = user_ad(user)?;
        let (parsed, pepper, is_current) = self.prepare(phc)?;
        self.finish(&parsed, pepper, is_current, Some(&ad), input, memory)
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
        user_ad: Option<&[u8; 32]>,
        input: &[u8],
        memory: &mut [Block],
    ) -> Result<Verified> {
        // A bound hash needs the user's X; an unbound one was made with none.
        let ad: &[u8] = match (parsed.bound_to_user, user_ad) {
            (true, Some(ad)) => ad,
            (true, None) => return Err(Error::Mismatch),
            (false, _) => &[],
        };
        let mut tag = Zeroizing::new([0u8; TAG_LEN]);
        crate::raw::argon2id(
            pepper.secret(),
            ad,
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
        } else if !parsed.bound_to_user && user_ad.is_some() {
            Some(RehashReason::NotBoundToUser)
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

/// Argon2's associated data X binding a hash to user `user`:
/// SHA-256 of the user id bytes (32 bytes whatever the id's length; the id
/// itself is not stored in the hash).
///
/// # Errors
/// [`Error::EmptyUserId`] for an empty id.
pub fn user_ad(user: &[u8]) -> Result<[u8; 32]> {
    if user.is_empty() {
        return Err(Error::EmptyUserId);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(user));
    Ok(out)
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl PinHasher {
    /// Hashes `input` (PIN digits or normalised password bytes) of user
    /// `user` with a fresh 16-byte salt from `rng`; the hash is bound to
    /// `user`.
    ///
    /// # Errors
    /// [`Error::EmptyUserId`]; otherwise only if `argon2` refuses its inputs
    /// (not expected).
    pub fn hash<R: CryptoRng + ?Sized>(
        &self,
        user: &[u8],
        input: &[u8],
        rng: &mut R,
    ) -> Result<PhcString> {
        crate::raw::with_memory(&self.params, |memory| {
            self.hash_with_memory(user, input, rng, memory)
        })
    }

    /// Hashes `input` of user `user` with the given salt (8 to 48 bytes).
    ///
    /// # Errors
    /// [`Error::EmptyUserId`]; [`Error::Malformed`] for the salt length.
    pub fn hash_with_salt(&self, user: &[u8], input: &[u8], salt: &[u8]) -> Result<PhcString> {
        crate::raw::with_memory(&self.params, |memory| {
            self.hash_with_salt_and_memory(user, input, salt, memory)
        })
    }

    /// An unbound hash (no user id), for the `password_hash` trait
    /// implementations only.
    pub(crate) fn hash_unbound_with_salt(&self, input: &[u8], salt: &[u8]) -> Result<PhcString> {
        crate::raw::with_memory(&self.params, |memory| {
            self.hash_inner(&[], input, salt, memory)
        })
    }

    /// Checks a PIN against `policy`, then hashes its digits, bound to user
    /// `user`.
    ///
    /// # Errors
    /// The policy's errors ([`Error::PinCharacter`], [`Error::PinLength`],
    /// [`Error::TrivialPin`]); [`Error::EmptyUserId`].
    pub fn hash_pin<R: CryptoRng + ?Sized>(
        &self,
        policy: &PinPolicy,
        user: &[u8],
        pin: &str,
        rng: &mut R,
    ) -> Result<PhcString> {
        policy.check(pin)?;
        self.hash(user, pin.as_bytes(), rng)
    }

    /// NFKC-normalises a password, checks its length against `policy`, then
    /// hashes it, bound to user `user`.
    ///
    /// # Errors
    /// [`Error::PasswordLength`]; [`Error::EmptyUserId`].
    pub fn hash_password<R: CryptoRng + ?Sized>(
        &self,
        policy: &crate::PasswordPolicy,
        user: &[u8],
        password: &str,
        rng: &mut R,
    ) -> Result<PhcString> {
        let normalised = policy.normalise(password)?;
        self.hash(user, normalised.as_bytes(), rng)
    }

    /// Hashes with a salt from the operating system's generator.
    ///
    /// # Errors
    /// As [`Self::hash`]; panics only if the OS generator fails.
    #[cfg(feature = "getrandom")]
    pub fn hash_os(&self, user: &[u8], input: &[u8]) -> Result<PhcString> {
        self.hash(user, input, &mut keyward_core::os_rng())
    }

    /// Verifies `input` (PIN digits or raw password bytes) of user `user`
    /// against the PHC string stored for that user. See
    /// [`Self::verify_with_memory`] for the outcomes.
    ///
    /// # Errors
    /// As [`Self::verify_with_memory`] (never [`Error::MemoryTooSmall`]).
    pub fn verify(&self, user: &[u8], input: &[u8], phc: &str) -> Result<Verified> {
        // Everything that can fail without Argon2 work fails before the
        // memory the string asks for is allocated.
        let ad = user_ad(user)?;
        let (parsed, pepper, is_current) = self.prepare(phc)?;
        crate::raw::with_memory(&parsed.params, |memory| {
            self.finish(&parsed, pepper, is_current, Some(&ad), input, memory)
        })
    }

    /// Verifies without a user id (the `password_hash` trait
    /// implementations): only unbound hashes can match.
    pub(crate) fn verify_unbound(&self, input: &[u8], phc: &str) -> Result<Verified> {
        let (parsed, pepper, is_current) = self.prepare(phc)?;
        crate::raw::with_memory(&parsed.params, |memory| {
            self.finish(&parsed, pepper, is_current, None, input, memory)
        })
    }

    /// NFKC-normalises a password (as [`Self::hash_password`] did), then
    /// verifies it for user `user`. The length policy is not applied: a
    /// password that was accepted once must keep verifying when the policy
    /// changes.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub fn verify_password(&self, user: &[u8], password: &str, phc: &str) -> Result<Verified> {
        let normalised = crate::policy::nfkc(password);
        self.verify(user, normalised.as_bytes(), phc)
    }
}
