//! Application protection: a local installation's 32-byte key unlocked at
//! start-up by a 6-digit PIN instead of the password
//! (`docs/formats.md`, "Application PIN record").
//!
//! ```text
//! stretched = Argon2id(PIN (6 ASCII digits), salt, params)            32 bytes
//! KEK       = HKDF-SHA256(salt = device secret, IKM = stretched,
//!                         info = "keyward/app-pin/v1/kek", L = 32)
//! wrapped   = AES-256-SIV(HKDF-Expand(KEK, "keyward/superpin/v1/aes-256-siv", 64),
//!                         AD = ["keyward/app-pin/v1", record[0..6], record[7..51]],
//!                         installation key)                          V ‖ C, 48 bytes
//! device id = SHA-256("keyward/app-pin/v1/device-id" ‖ device secret)[..16]
//! ```
//!
//! The device secret (32 random bytes) is kept in its own file, so the
//! record alone does not open: without the device secret the KEK is a
//! random 256-bit value. The record carries a try counter that the caller
//! persists **before** each attempt ([`AppPinRecord::unlock_with`]); after
//! [`AppPinRecord::max_tries`] wrong PINs in a row the record is locked and
//! the installation must be unlocked with the password or the Super PIN
//! (and a new PIN enrolled with [`AppPinRecord::create`]).
//!
//! Honest limit: whoever holds both the record and the device secret can try
//! all 10^6 PINs offline, at the Argon2id cost per PIN (the counter only
//! binds the software that honours it). `docs/formats.md` gives the figure
//! measured for [`AppPinRecord::DEFAULT_PARAMS`].

use core::fmt;

use hkdf::Hkdf;
use keyward_core::SecretBytes;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Record, Result};
use crate::wire::{self, Reader};
use crate::wrap::{self, Argon2Params, WRAPPED_LEN};

/// Magic bytes of an [`AppPinRecord`].
pub const APP_PIN_MAGIC: &[u8; 4] = b"KWAP";
/// Record format version.
pub const APP_PIN_FORMAT_VERSION: u8 = 1;
/// Length of an application-PIN record in bytes.
pub const APP_PIN_RECORD_LEN: usize = 99;
/// Wrong PINs allowed before the record locks, unless another number is
/// chosen at creation (1..=10).
pub const DEFAULT_MAX_TRIES: u8 = 5;
/// Magic bytes of a device secret file.
pub const DEVICE_SECRET_MAGIC: &[u8; 4] = b"KWDS";
/// Device secret file format version.
pub const DEVICE_SECRET_FORMAT_VERSION: u8 = 1;
/// Length of a device secret file in bytes.
pub const DEVICE_SECRET_FILE_LEN: usize = 37;
/// HKDF info of the KEK.
pub const APP_PIN_KEK_INFO: &[u8] = b"keyward/app-pin/v1/kek";
/// First element of the AES-SIV associated data.
pub const APP_PIN_AD_LABEL: &[u8] = b"keyward/app-pin/v1";
/// SHA-256 prefix of the device id.
pub const DEVICE_ID_LABEL: &[u8] = b"keyward/app-pin/v1/device-id";

const COUNTER_AT: usize = 6;
const AD_END: usize = 51;

/// A 6-digit application PIN (zeroized on drop, `Debug` redacted).
#[derive(Clone)]
pub struct AppPin([u8; 6]);

impl AppPin {
    /// Reads exactly 6 ASCII digits (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`Error::AppPinFormat`], which names the number of characters only.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let found = text.chars().count();
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        if found != 6 || !digits_only {
            return Err(Error::AppPinFormat { found, digits_only });
        }
        let mut pin = [0u8; 6];
        pin.copy_from_slice(text.as_bytes());
        Ok(Self(pin))
    }

    /// The PIN as its 6 ASCII digits.
    pub const fn expose_secret(&self) -> &[u8; 6] {
        &self.0
    }
}

impl Drop for AppPin {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for AppPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppPin([REDACTED])")
    }
}

/// The device secret: 32 random bytes kept apart from the record (zeroized
/// on drop, `Debug` redacted).
pub struct DeviceSecret(SecretBytes<32>);

impl fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSecret([REDACTED])")
    }
}

impl DeviceSecret {
    /// A new random device secret.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut b = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(b.as_mut_slice());
        Self::from_bytes(*b)
    }

    /// A device secret from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::from_array(bytes))
    }

    /// The secret bytes.
    pub fn expose_secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// The non-secret 16-byte id stored in the record.
    pub fn id(&self) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(DEVICE_ID_LABEL)
            .chain_update(self.0.expose_secret())
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        id
    }

    /// The file form: `"KWDS" ‖ 1 ‖ secret` (37 bytes), zeroized on drop.
    pub fn to_file_bytes(&self) -> Zeroizing<[u8; DEVICE_SECRET_FILE_LEN]> {
        let mut out = Zeroizing::new([0u8; DEVICE_SECRET_FILE_LEN]);
        let (head, secret) = out.split_at_mut(5);
        head.get_mut(..4)
            .unwrap_or(&mut [])
            .copy_from_slice(DEVICE_SECRET_MAGIC);
        if let Some(v) = head.get_mut(4) {
            *v = DEVICE_SECRET_FORMAT_VERSION;
        }
        secret.copy_from_slice(self.0.expose_secret());
        out
    }

    /// Reads the file form.
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::Magic`], [`Error::RecordVersion`],
    /// [`Error::TrailingBytes`]; the messages hold no secret byte.
    pub fn from_file_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader::new(data, Record::DeviceSecret);
        r.header(DEVICE_SECRET_MAGIC, DEVICE_SECRET_FORMAT_VERSION)?;
        let mut secret = Zeroizing::new(r.array::<32>()?);
        r.finish()?;
        let out = Self::from_bytes(*secret);
        secret.zeroize();
        Ok(out)
    }
}

/// The application-PIN record: the wrapped installation key, its Argon2id
/// parameters and salt, the device id and the try counter. Holds no secret
/// in the clear.
#[derive(Clone, PartialEq, Eq)]
pub struct AppPinRecord {
    max_tries: u8,
    failed: u8,
    params: Argon2Params,
    salt: [u8; 16],
    device_id: [u8; 16],
    wrapped: [u8; WRAPPED_LEN],
}

impl fmt::Debug for AppPinRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppPinRecord")
            .field("max_tries", &self.max_tries)
            .field("failed", &self.failed)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl AppPinRecord {
    /// Argon2id parameters of new records: m = 64 MiB, t = 3, p = 1
    /// (RFC 9106's second recommended option, one lane), more than the
    /// password default because a PIN has only 10^6 values.
    pub const DEFAULT_PARAMS: Argon2Params = Argon2Params {
        m_cost_kib: 65_536,
        t_cost: 3,
        p_cost: 1,
    };

    /// Wraps `installation_key` under `pin` and `device` (new random salt).
    ///
    /// # Errors
    /// [`Error::Field`] for `max_tries` outside 1..=10; Argon2 errors.
    pub fn create<R: CryptoRng + ?Sized>(
        installation_key: &SecretBytes<32>,
        pin: &AppPin,
        device: &DeviceSecret,
        params: Argon2Params,
        max_tries: u8,
        rng: &mut R,
    ) -> Result<Self> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        Self::create_with_salt(installation_key, pin, device, params, max_tries, salt)
    }

    /// [`AppPinRecord::create`] with a given salt (for known-answer vectors;
    /// salts must otherwise be random).
    ///
    /// # Errors
    /// As [`AppPinRecord::create`].
    #[doc(hidden)]
    pub fn create_with_salt(
        installation_key: &SecretBytes<32>,
        pin: &AppPin,
        device: &DeviceSecret,
        params: Argon2Params,
        max_tries: u8,
        salt: [u8; 16],
    ) -> Result<Self> {
        if !(1..=10).contains(&max_tries) {
            return Err(Error::Field {
                record: Record::AppPin,
                offset: 5,
                field: "maximum tries (1 to 10)",
            });
        }
        let mut rec = Self {
            max_tries,
            failed: 0,
            params,
            salt,
            device_id: device.id(),
            wrapped: [0; WRAPPED_LEN],
        };
        let kek = rec.kek(pin, device)?;
        let bytes = rec.to_bytes();
        rec.wrapped = wrap::wrap(&kek, &Self::ad(&bytes), installation_key.expose_secret())?;
        Ok(rec)
    }

    fn ad(bytes: &[u8; APP_PIN_RECORD_LEN]) -> [&[u8]; 3] {
        [
            APP_PIN_AD_LABEL,
            bytes.get(..COUNTER_AT).unwrap_or(&[]),
            bytes.get(COUNTER_AT + 1..AD_END).unwrap_or(&[]),
        ]
    }

    fn kek(&self, pin: &AppPin, device: &DeviceSecret) -> Result<SecretBytes<32>> {
        let stretched = wrap::stretch(&self.params, pin.expose_secret(), &self.salt)?;
        let hk = Hkdf::<Sha256>::new(Some(device.expose_secret()), stretched.expose_secret());
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand(APP_PIN_KEK_INFO, out.as_mut_slice())
            .map_err(|_| Error::Wrap)?;
        Ok(SecretBytes::from_array(*out))
    }

    /// Wrong PINs allowed before the record locks.
    pub const fn max_tries(&self) -> u8 {
        self.max_tries
    }

    /// Attempts counted since the last success (persisted before each try).
    pub const fn failed_tries(&self) -> u8 {
        self.failed
    }

    /// Whether the record is locked (fall back to the password or Super PIN).
    pub const fn is_locked(&self) -> bool {
        self.failed >= self.max_tries
    }

    /// The Argon2id parameters.
    pub const fn params(&self) -> Argon2Params {
        self.params
    }

    /// Unlocks with `pin` and `device`, calling `persist` with the record
    /// **after the try counter has been incremented and before the PIN is
    /// tried**, and again after a success has reset it. If the first
    /// `persist` fails nothing is tried.
    ///
    /// # Errors
    /// [`Error::DeviceSecretMismatch`] (checked first, no try counted);
    /// [`Error::AppPinLocked`]; [`Error::AppPinWrong`] with the tries left;
    /// the error of `persist`; Argon2 errors.
    pub fn unlock_with<E, F>(
        &mut self,
        pin: &AppPin,
        device: &DeviceSecret,
        mut persist: F,
    ) -> core::result::Result<SecretBytes<32>, E>
    where
        E: From<Error>,
        F: FnMut(&Self) -> core::result::Result<(), E>,
    {
        if !bool::from(device.id().ct_eq(&self.device_id)) {
            return Err(Error::DeviceSecretMismatch.into());
        }
        if self.is_locked() {
            return Err(Error::AppPinLocked {
                max_tries: self.max_tries,
            }
            .into());
        }
        self.failed = self.failed.saturating_add(1);
        persist(self)?;
        let kek = self.kek(pin, device)?;
        let bytes = self.to_bytes();
        match wrap::unwrap(&kek, &Self::ad(&bytes), &self.wrapped) {
            Some(key) => {
                self.failed = 0;
                persist(self)?;
                Ok(key)
            }
            None if self.is_locked() => Err(Error::AppPinLocked {
                max_tries: self.max_tries,
            }
            .into()),
            None => Err(Error::AppPinWrong {
                tries_left: self.max_tries.saturating_sub(self.failed),
            }
            .into()),
        }
    }

    /// The record bytes (format in `docs/formats.md`).
    pub fn to_bytes(&self) -> [u8; APP_PIN_RECORD_LEN] {
        let mut out = [0u8; APP_PIN_RECORD_LEN];
        let mut v = alloc::vec::Vec::with_capacity(APP_PIN_RECORD_LEN);
        v.extend_from_slice(APP_PIN_MAGIC);
        v.push(APP_PIN_FORMAT_VERSION);
        v.push(self.max_tries);
        v.push(self.failed);
        wire::put_params(&mut v, &self.params);
        v.extend_from_slice(&self.salt);
        v.extend_from_slice(&self.device_id);
        v.extend_from_slice(&self.wrapped);
        out.copy_from_slice(&v);
        out
    }

    /// Reads a record written by [`AppPinRecord::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::Magic`], [`Error::RecordVersion`],
    /// [`Error::Field`] (maximum tries outside 1..=10, a counter over it,
    /// Argon2 parameters), [`Error::Argon2Cost`], [`Error::TrailingBytes`]:
    /// never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader::new(data, Record::AppPin);
        r.header(APP_PIN_MAGIC, APP_PIN_FORMAT_VERSION)?;
        let max_tries = r.u8()?;
        if !(1..=10).contains(&max_tries) {
            return Err(r.field(5, "maximum tries (1 to 10)"));
        }
        let failed = r.u8()?;
        if failed > max_tries {
            return Err(r.field(COUNTER_AT, "try counter (over the maximum)"));
        }
        let params = r.argon2_params()?;
        let salt = r.array::<16>()?;
        let device_id = r.array::<16>()?;
        let wrapped = r.array::<WRAPPED_LEN>()?;
        r.finish()?;
        Ok(Self {
            max_tries,
            failed,
            params,
            salt,
            device_id,
            wrapped,
        })
    }
}
