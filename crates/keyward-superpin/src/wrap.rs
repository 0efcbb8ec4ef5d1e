//! Key wrapping (AES-256-SIV, RFC 5297) and password stretching (Argon2id).
//!
//! A slot's 32-byte key-encryption key (KEK) is expanded to the 64-byte
//! AES-256-SIV key
//!
//! ```text
//! siv_key = HKDF-Expand-SHA256(PRK = KEK, info = "keyward/superpin/v1/aes-256-siv", L = 64)
//! ```
//!
//! (the KEK is already uniformly random, so it serves as the PRK directly), and
//! the 32-byte secret is wrapped as the RFC 5297 output `V ‖ C` (16 + 32 = 48
//! bytes) with the associated-data vector given by the caller.

// Only the record types (feature `alloc`) wrap keys.
#![cfg_attr(not(feature = "alloc"), allow(unused_imports))]

use hkdf::Hkdf;
use keyward_core::SecretBytes;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use aes_siv::KeyInit;
use aes_siv::aead::inout::InOutBuf;
use aes_siv::siv::Aes256Siv;

use crate::error::{Error, Result};

/// HKDF info of the AES-256-SIV key expanded from a KEK.
pub const SIV_KEY_INFO: &[u8] = b"keyward/superpin/v1/aes-256-siv";
/// Length of a wrapped 32-byte secret: 16-byte SIV ‖ 32-byte ciphertext.
pub const WRAPPED_LEN: usize = 48;

#[cfg(feature = "alloc")]
fn siv(kek: &SecretBytes<32>) -> Result<Aes256Siv> {
    let mut key = Zeroizing::new([0u8; 64]);
    let hk = Hkdf::<Sha256>::from_prk(kek.expose_secret()).map_err(|_| Error::Wrap)?;
    hk.expand(SIV_KEY_INFO, key.as_mut_slice())
        .map_err(|_| Error::Wrap)?;
    Aes256Siv::new_from_slice(key.as_slice()).map_err(|_| Error::Wrap)
}

#[cfg(feature = "alloc")]
/// Wraps `secret` under `kek` with associated data `ad`.
pub(crate) fn wrap(
    kek: &SecretBytes<32>,
    ad: &[&[u8]],
    secret: &[u8; 32],
) -> Result<[u8; WRAPPED_LEN]> {
    let mut cipher = siv(kek)?;
    let mut buf = Zeroizing::new(*secret);
    let tag = cipher
        .encrypt_inout_detached(ad.iter(), InOutBuf::from(buf.as_mut_slice()))
        .map_err(|_| Error::Wrap)?;
    let mut out = [0u8; WRAPPED_LEN];
    let (v, c) = out.split_at_mut(16);
    v.copy_from_slice(tag.as_slice());
    c.copy_from_slice(buf.as_slice());
    Ok(out)
}

#[cfg(feature = "alloc")]
/// Unwraps; `None` if the tag does not verify (wrong key, wrong associated
/// data or a modified record).
pub(crate) fn unwrap(
    kek: &SecretBytes<32>,
    ad: &[&[u8]],
    wrapped: &[u8; WRAPPED_LEN],
) -> Option<SecretBytes<32>> {
    let mut cipher = siv(kek).ok()?;
    let (v, c) = wrapped.split_at(16);
    let tag = aes_siv::Tag::try_from(v).ok()?;
    let mut buf = Zeroizing::new([0u8; 32]);
    buf.copy_from_slice(c);
    cipher
        .decrypt_inout_detached(ad.iter(), InOutBuf::from(buf.as_mut_slice()), &tag)
        .ok()?;
    let out = SecretBytes::from_array(*buf);
    buf.zeroize();
    Some(out)
}

#[cfg(feature = "alloc")]
/// A 16-byte authenticator of `ad` under `kek`: the SIV of an empty plaintext.
pub(crate) fn check_tag(kek: &SecretBytes<32>, ad: &[&[u8]]) -> Result<[u8; 16]> {
    let mut cipher = siv(kek)?;
    let mut empty = [0u8; 0];
    let tag = cipher
        .encrypt_inout_detached(ad.iter(), InOutBuf::from(&mut empty[..]))
        .map_err(|_| Error::Wrap)?;
    let mut out = [0u8; 16];
    out.copy_from_slice(tag.as_slice());
    Ok(out)
}

/// Argon2id parameters (version 0x13, 32-byte output).
///
/// [`Argon2Params::OWASP`] is the default; tests and constrained devices may
/// choose smaller ones, which are stored in the record next to the salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Argon2Params {
    /// OWASP's recommended Argon2id configuration: m = 19456 KiB, t = 2, p = 1.
    pub const OWASP: Self = Self {
        m_cost_kib: 19_456,
        t_cost: 2,
        p_cost: 1,
    };
    /// Largest memory cost accepted from a record (1 GiB), so a forged record
    /// cannot make an unlock allocate without bound.
    pub const MAX_M_COST_KIB: u32 = 1 << 20;
    /// Largest time cost accepted from a record.
    pub const MAX_T_COST: u32 = 64;
    /// Largest lane count accepted from a record.
    pub const MAX_P_COST: u32 = 16;

    fn argon2(&self) -> Result<argon2::Argon2<'static>> {
        if self.m_cost_kib > Self::MAX_M_COST_KIB
            || self.t_cost > Self::MAX_T_COST
            || self.p_cost > Self::MAX_P_COST
        {
            return Err(Error::Argon2Params);
        }
        let params = argon2::Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|_| Error::Argon2Params)?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    /// Checks the parameters without hashing.
    ///
    /// # Errors
    /// [`Error::Argon2Params`] if Argon2 or keyward's limits refuse them.
    pub fn validate(&self) -> Result<()> {
        self.argon2().map(|_| ())
    }

    /// Argon2id(password, salt) → 32-byte key.
    ///
    /// # Errors
    /// [`Error::Argon2Params`], or [`Error::Argon2`] if hashing fails.
    #[cfg(feature = "alloc")]
    pub fn derive(&self, password: &[u8], salt: &[u8; 16]) -> Result<SecretBytes<32>> {
        let a = self.argon2()?;
        let mut out = [0u8; 32];
        let r = a.hash_password_into(password, salt, &mut out);
        let key = SecretBytes::from_array(out);
        out.zeroize();
        r.map_err(|_| Error::Argon2)?;
        Ok(key)
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::OWASP
    }
}
