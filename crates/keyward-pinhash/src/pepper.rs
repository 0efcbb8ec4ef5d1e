//! Peppers: the Argon2 secret K, kept outside the database, and the set of
//! peppers (one current, some retired) a verifier holds.

use core::fmt;

use hkdf::Hkdf;
use keyward_core::{HashKey, KeyId, Purpose, SecretBytes};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::ZeroizeOnDrop;

use crate::error::{Error, Result};

/// HKDF salt of the key id of a raw pepper.
pub const RAW_PEPPER_HKDF_SALT: &[u8] = b"keyward/pinhash/v1/raw-pepper";
/// HKDF info of the key id of a raw pepper.
pub const RAW_PEPPER_KEY_ID_INFO: &[u8] = b"keyward/pinhash/v1/raw-pepper/key-id";

/// A 32-byte pepper and its non-secret key id.
///
/// * From a site [`HashKey`]: the pepper is the HashKey's
///   [`Purpose::PinPepper`] subkey and the key id is the HashKey's own
///   [`HashKey::key_id`] (the one `keyward hashkey check` prints).
/// * From 32 raw bytes (for example from a secure element): the key id is
///   `HKDF-Expand(HKDF-Extract(salt = "keyward/pinhash/v1/raw-pepper", IKM =
///   pepper), info = "keyward/pinhash/v1/raw-pepper/key-id", L = 4)` with
///   HKDF-SHA256, an independent output that reveals nothing useful about the
///   pepper.
///
/// The key id only locates the pepper: it is written into the PHC string as
/// `keyid` but is not an input of the hash.
#[derive(Clone)]
pub struct Pepper {
    key: SecretBytes<32>,
    id: KeyId,
}

impl Pepper {
    /// The pepper of a site HashKey (its `pin-pepper` subkey).
    pub fn from_hash_key(hash_key: &HashKey) -> Self {
        Self {
            key: hash_key.subkey(Purpose::PinPepper),
            id: hash_key.key_id(),
        }
    }

    /// A raw 32-byte pepper; its key id is derived as documented above.
    pub fn from_raw(key: SecretBytes<32>) -> Self {
        let id = raw_key_id(key.expose_secret());
        Self { key, id }
    }

    /// The non-secret key id.
    pub const fn key_id(&self) -> KeyId {
        self.id
    }

    pub(crate) const fn secret(&self) -> &[u8; 32] {
        self.key.expose_secret()
    }
}

/// The key id of a raw pepper.
fn raw_key_id(pepper: &[u8; 32]) -> KeyId {
    let mut id = [0u8; 4];
    // 4 ≤ 255 · 32: expansion cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(RAW_PEPPER_HKDF_SALT), pepper)
        .expand(RAW_PEPPER_KEY_ID_INFO, &mut id);
    KeyId(id)
}

impl ConstantTimeEq for Pepper {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.key.ct_eq(&other.key)
    }
}

impl PartialEq for Pepper {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Pepper {}

// `SecretBytes` zeroizes itself on drop; `KeyId` is public.
impl ZeroizeOnDrop for Pepper {}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pepper {{ key_id: {} }}", self.id)
    }
}

/// Most retired peppers a [`PepperSet`] holds.
pub const MAX_RETIRED: usize = 7;

/// One current pepper (new hashes) and up to [`MAX_RETIRED`] retired ones
/// (old hashes still verify, and are flagged for rehashing).
///
/// Key ids within a set are distinct, so a PHC string's `keyid` names exactly
/// one pepper.
#[derive(Clone, Debug)]
pub struct PepperSet {
    current: Pepper,
    retired: [Option<Pepper>; MAX_RETIRED],
}

impl PepperSet {
    /// A set with only a current pepper.
    pub fn new(current: Pepper) -> Self {
        Self {
            current,
            retired: Default::default(),
        }
    }

    /// Adds a retired pepper.
    ///
    /// # Errors
    /// [`Error::DuplicateKeyId`] if a pepper of the set already has its key
    /// id; [`Error::TooManyPeppers`] if the set is full.
    pub fn with_retired(mut self, retired: Pepper) -> Result<Self> {
        if self.find(retired.key_id()).is_some() {
            return Err(Error::DuplicateKeyId {
                keyid: retired.key_id(),
            });
        }
        let slot = self
            .retired
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(Error::TooManyPeppers { max: MAX_RETIRED })?;
        *slot = Some(retired);
        Ok(self)
    }

    /// The current pepper.
    pub const fn current(&self) -> &Pepper {
        &self.current
    }

    /// The retired peppers.
    pub fn retired(&self) -> impl Iterator<Item = &Pepper> {
        self.retired.iter().flatten()
    }

    /// The pepper with key id `id`, and whether it is the current one.
    pub fn find(&self, id: KeyId) -> Option<(&Pepper, bool)> {
        if self.current.key_id() == id {
            return Some((&self.current, true));
        }
        self.retired()
            .find(|p| p.key_id() == id)
            .map(|p| (p, false))
    }
}
