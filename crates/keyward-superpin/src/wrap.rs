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

/// Argon2id parameters: the workspace's one type, `keyward_pinhash::Params`
/// (m in KiB, t, p; [`Argon2Params::OWASP`] is the default). Tests and
/// constrained devices may choose smaller ones, which are stored in the
/// record next to the salt; parameters read from a record are bounded by
/// the cost budget `keyward_pinhash::Limits::DEFAULT` (memory × passes).
pub use keyward_pinhash::Params as Argon2Params;

/// Argon2id(password, salt) → 32-byte key through the workspace's one
/// Argon2 entry point (memory wiped before release), after checking the
/// parameters against the cost budget every reader applies, so nothing is
/// written that its own reader would refuse.
#[cfg(feature = "alloc")]
pub(crate) fn stretch(
    params: &Argon2Params,
    password: &[u8],
    salt: &[u8; 16],
) -> Result<SecretBytes<32>> {
    check_params(params)?;
    params.derive(password, salt).map_err(|_| Error::Argon2)
}

/// Argon2's rules and the cost budget.
#[cfg(feature = "alloc")]
pub(crate) fn check_params(params: &Argon2Params) -> Result<()> {
    params.validate().map_err(|e| match e {
        keyward_pinhash::Error::CostOverBudget { budget, found } => {
            Error::Argon2Cost { budget, found }
        }
        _ => Error::Argon2Params,
    })
}
