//! The card record's crypto (`docs/formats.md`, "keyward (facade): card
//! record"): Argon2id(PIN) → HKDF-Expand-SHA256 → AES-256-SIV over the share,
//! the header as the one associated-data component.

use alloc::vec::Vec;

use aes_siv::KeyInit;
use aes_siv::aead::inout::InOutBuf;
use aes_siv::siv::Aes256Siv;
use hkdf::Hkdf;
use keyward_core::SecretBytes;
use keyward_superpin::Argon2Params;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::StoreError;

/// HKDF-Expand info of the AES-256-SIV key derived from the PIN key.
pub const SIV_KEY_INFO: &[u8] = b"keyward/card/v1/aes-256-siv";
/// Length of the Argon2id salt.
pub const SALT_LEN: usize = 16;
/// Length of the SIV tag in front of the sealed share.
pub(super) const TAG_LEN: usize = 16;

fn pin_key(
    params: &Argon2Params,
    pin: &[u8],
    salt: &[u8; SALT_LEN],
) -> Result<SecretBytes<32>, StoreError> {
    params.derive(pin, salt).map_err(|_| StoreError::Argon2)
}

fn siv(pin_key: &SecretBytes<32>) -> Result<Aes256Siv, StoreError> {
    let mut key = Zeroizing::new([0u8; 64]);
    let hk = Hkdf::<Sha256>::from_prk(pin_key.expose_secret()).map_err(|_| StoreError::Seal)?;
    hk.expand(SIV_KEY_INFO, key.as_mut_slice())
        .map_err(|_| StoreError::Seal)?;
    Aes256Siv::new_from_slice(key.as_slice()).map_err(|_| StoreError::Seal)
}

/// Seals `share` under `pin`: returns `V ‖ C`.
pub(super) fn seal(
    params: &Argon2Params,
    salt: &[u8; SALT_LEN],
    header: &[u8],
    share: &[u8],
    pin: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut cipher = siv(&pin_key(params, pin, salt)?)?;
    let mut buf = Zeroizing::new(share.to_vec());
    let tag = cipher
        .encrypt_inout_detached([header].iter(), InOutBuf::from(buf.as_mut_slice()))
        .map_err(|_| StoreError::Seal)?;
    let mut sealed = Vec::with_capacity(TAG_LEN + buf.len());
    sealed.extend_from_slice(tag.as_slice());
    sealed.extend_from_slice(&buf);
    Ok(sealed)
}

/// Opens `sealed` with `pin`: `None` when the PIN (or any header byte) is
/// wrong. This is the expensive check (Argon2id); it counts nothing.
pub(super) fn open(
    params: &Argon2Params,
    salt: &[u8; SALT_LEN],
    header: &[u8],
    sealed: &[u8],
    pin: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let mut cipher = siv(&pin_key(params, pin, salt)?)?;
    let (v, c) = sealed.split_at(TAG_LEN.min(sealed.len()));
    let Ok(tag) = aes_siv::Tag::try_from(v) else {
        return Ok(None);
    };
    let mut buf = Zeroizing::new(c.to_vec());
    let ok = cipher
        .decrypt_inout_detached([header].iter(), InOutBuf::from(buf.as_mut_slice()), &tag)
        .is_ok();
    Ok(ok.then_some(buf))
}
