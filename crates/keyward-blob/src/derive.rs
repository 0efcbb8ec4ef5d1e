//! Key derivation: setting → database key → per-record key (HKDF-SHA256).
//!
//! ```text
//! PRK          = HKDF-Extract(salt = static key, IKM = storage derive key or empty)
//! database key = HKDF-Expand(PRK, "keyward/blob/v1/database-key" ‖ mode ‖ DV, 32)
//! key id       = HKDF-Expand(database key, "keyward/blob/v1/key-id" ‖ static IV, 4)
//! record key   = HKDF-Expand(database key, "keyward/blob/v1/record-key" ‖ kind
//!                            ‖ u32be(len serial) ‖ serial ‖ u32be(len app) ‖ app
//!                            ‖ static IV, 64)
//! ```
//!
//! `mode` is one byte, `0x01` (derive vector only, IKM empty) or `0x02`
//! (storage derive key); `DV` is the derive vector as 4 big-endian bytes.
//! The record key is the 64-byte AES-256-SIV key (RFC 5297: first half
//! CMAC key, second half CTR key).

use core::fmt;

use hkdf::Hkdf;
use keyward_core::{KeyId, SecretBytes};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::ZeroizeOnDrop;

use crate::error::{Error, Result};
use crate::inputs::{DeriveVector, StaticIv, StaticKey, StorageDeriveKey};

/// HKDF info label of the database key.
pub const LABEL_DATABASE_KEY: &[u8] = b"keyward/blob/v1/database-key";
/// HKDF info label of the key id.
pub const LABEL_KEY_ID: &[u8] = b"keyward/blob/v1/key-id";
/// HKDF info label of the per-record key.
pub const LABEL_RECORD_KEY: &[u8] = b"keyward/blob/v1/record-key";

/// Mode byte: derive vector only (IKM empty).
pub const MODE_DERIVE_VECTOR: u8 = 0x01;
/// Mode byte: storage derive key as IKM.
pub const MODE_STORAGE_DERIVE_KEY: u8 = 0x02;

/// What a BLOB protects; each kind derives its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// An authenticator application BLOB (byte `0x01`).
    Application,
    /// A secure-channel payload key BLOB (byte `0x02`).
    PayloadKey,
}

impl BlobKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Application, Self::PayloadKey];

    /// The kind byte used in derivation and associated data.
    pub const fn byte(self) -> u8 {
        match self {
            Self::Application => 0x01,
            Self::PayloadKey => 0x02,
        }
    }

    /// The name used by the CLI: `application` or `payload`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::PayloadKey => "payload",
        }
    }
}

impl fmt::Display for BlobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for BlobKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "application" | "app" => Ok(Self::Application),
            "payload" | "payload-key" => Ok(Self::PayloadKey),
            _ => Err(Error::UnknownKind),
        }
    }
}

/// The identity of a record: what its BLOB is bound to.
///
/// Kind, serial number and application name select the per-record key; all
/// four fields (and the header) are authenticated as associated data. The
/// context is caller-chosen (e.g. a table name); empty by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordId<'a> {
    /// BLOB kind.
    pub kind: BlobKind,
    /// Authenticator serial number (bytes as stored).
    pub serial: &'a [u8],
    /// Application name.
    pub application: &'a [u8],
    /// Caller context, authenticated but not part of the key.
    pub context: &'a [u8],
}

impl<'a> RecordId<'a> {
    /// A record identity with an empty context.
    pub const fn new(kind: BlobKind, serial: &'a [u8], application: &'a [u8]) -> Self {
        Self {
            kind,
            serial,
            application,
            context: &[],
        }
    }

    /// An authenticator application BLOB.
    pub const fn application(serial: &'a [u8], application: &'a [u8]) -> Self {
        Self::new(BlobKind::Application, serial, application)
    }

    /// A secure-channel payload key BLOB.
    pub const fn payload_key(serial: &'a [u8], application: &'a [u8]) -> Self {
        Self::new(BlobKind::PayloadKey, serial, application)
    }

    /// The same identity with a caller context.
    #[must_use]
    pub const fn with_context(self, context: &'a [u8]) -> Self {
        Self { context, ..self }
    }
}

/// A deployment's key setting: static key, static IV, derive vector and an
/// optional storage derive key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySetting {
    /// The HKDF salt (default: the public built-in static key).
    pub static_key: StaticKey,
    /// Mixed into every per-record key (default: the built-in static IV).
    pub static_iv: StaticIv,
    /// The derive vector (0 when only a storage derive key is used).
    pub derive_vector: DeriveVector,
    /// The storage derive key, if any (mode `0x02`).
    pub storage_derive_key: Option<StorageDeriveKey>,
}

impl KeySetting {
    /// Derive-vector mode on the built-in static key and IV.
    ///
    /// With the public default static key this separates tenants; it does
    /// not keep BLOBs secret from anyone who can read this documentation.
    pub const fn derive_vector(dv: DeriveVector) -> Self {
        Self {
            static_key: StaticKey::builtin_default(),
            static_iv: StaticIv::builtin_default(),
            derive_vector: dv,
            storage_derive_key: None,
        }
    }

    /// Storage-derive-key mode (derive vector 0) on the built-in static key
    /// and IV.
    pub const fn storage_derive_key(sdk: StorageDeriveKey) -> Self {
        Self {
            static_key: StaticKey::builtin_default(),
            static_iv: StaticIv::builtin_default(),
            derive_vector: DeriveVector::ZERO,
            storage_derive_key: Some(sdk),
        }
    }

    /// With a static key.
    #[must_use]
    pub fn with_static_key(mut self, key: StaticKey) -> Self {
        self.static_key = key;
        self
    }

    /// With a static IV.
    #[must_use]
    pub const fn with_static_iv(mut self, iv: StaticIv) -> Self {
        self.static_iv = iv;
        self
    }

    /// With a derive vector (also allowed together with a storage derive key).
    #[must_use]
    pub const fn with_derive_vector(mut self, dv: DeriveVector) -> Self {
        self.derive_vector = dv;
        self
    }

    /// The mode byte.
    pub const fn mode(&self) -> u8 {
        if self.storage_derive_key.is_some() {
            MODE_STORAGE_DERIVE_KEY
        } else {
            MODE_DERIVE_VECTOR
        }
    }

    /// Derives the database key.
    pub fn database_key(&self) -> DatabaseKey {
        DatabaseKey::derive(self)
    }
}

/// A 32-byte database key with its static IV and non-secret key id.
///
/// It keeps the HMAC-SHA256 state pre-keyed with the database key (the HKDF
/// PRK), so deriving a record key costs no HMAC key setup; that state is
/// zeroized on drop (`sha2`'s `zeroize` feature).
#[derive(Clone)]
pub struct DatabaseKey {
    key: SecretBytes<32>,
    prk: Hkdf<Sha256>,
    static_iv: StaticIv,
    id: KeyId,
}

impl DatabaseKey {
    /// Derives the database key of `setting`.
    pub fn derive(setting: &KeySetting) -> Self {
        let ikm: &[u8] = match &setting.storage_derive_key {
            Some(sdk) => sdk.expose_secret(),
            None => &[],
        };
        let hk = Hkdf::<Sha256>::new(Some(setting.static_key.expose_secret()), ikm);
        let mut key = [0u8; 32];
        // L = 32 ≤ 255 · 32: cannot fail.
        let _ = hk.expand_multi_info(
            &[
                LABEL_DATABASE_KEY,
                &[setting.mode()],
                &setting.derive_vector.to_be_bytes(),
            ],
            &mut key,
        );
        let out = Self::from_array(key, setting.static_iv);
        zeroize::Zeroize::zeroize(&mut key);
        out
    }

    /// From 32 raw database key bytes (e.g. held in an HSM) and the static IV.
    pub fn from_array(key: [u8; 32], static_iv: StaticIv) -> Self {
        let key = SecretBytes::from_array(key);
        let mut id = [0u8; 4];
        // `from_prk` accepts every PRK of at least HashLen (32) bytes, so the
        // fallback is unreachable; it exists only to keep this function total
        // without an `Option` whose `None` would silently give all-zero keys.
        let prk = Hkdf::<Sha256>::from_prk(key.expose_secret())
            .unwrap_or_else(|_| Hkdf::<Sha256>::new(None, key.expose_secret()));
        let _ = prk.expand_multi_info(&[LABEL_KEY_ID, static_iv.as_bytes()], &mut id);
        Self {
            key,
            prk,
            static_iv,
            id: KeyId(id),
        }
    }

    /// The non-secret key id: written in every BLOB header, and the
    /// "encryption version" of a record.
    pub const fn key_id(&self) -> KeyId {
        self.id
    }

    /// The static IV.
    pub const fn static_iv(&self) -> StaticIv {
        self.static_iv
    }

    /// The database key bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        self.key.expose_secret()
    }

    /// The 64-byte AES-256-SIV key of one record.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`] if the serial or application name is longer
    /// than `u32::MAX` bytes.
    pub fn record_key(
        &self,
        kind: BlobKind,
        serial: &[u8],
        application: &[u8],
    ) -> Result<RecordKey> {
        let serial_len = u32::try_from(serial.len()).map_err(|_| Error::FieldTooLong {
            field: "serial number",
            found: serial.len(),
        })?;
        let app_len = u32::try_from(application.len()).map_err(|_| Error::FieldTooLong {
            field: "application name",
            found: application.len(),
        })?;
        let mut out = [0u8; 64];
        // L = 64 ≤ 255 · 32: cannot fail.
        let _ = self.prk.expand_multi_info(
            &[
                LABEL_RECORD_KEY,
                &[kind.byte()],
                &serial_len.to_be_bytes(),
                serial,
                &app_len.to_be_bytes(),
                application,
                self.static_iv.as_bytes(),
            ],
            &mut out,
        );
        let key = RecordKey(SecretBytes::from_array(out));
        zeroize::Zeroize::zeroize(&mut out);
        Ok(key)
    }
}

impl ConstantTimeEq for DatabaseKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.key.ct_eq(&other.key) & self.static_iv.as_bytes().ct_eq(other.static_iv.as_bytes())
    }
}

impl PartialEq for DatabaseKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for DatabaseKey {}

impl ZeroizeOnDrop for DatabaseKey {}

impl fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseKey {{ key_id: {} }}", self.id)
    }
}

/// The 64-byte AES-256-SIV key of one record.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordKey(SecretBytes<64>);

impl RecordKey {
    /// The key bytes.
    pub const fn expose_secret(&self) -> &[u8; 64] {
        self.0.expose_secret()
    }
}

impl ZeroizeOnDrop for RecordKey {}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    fn dbk(dv: u32) -> DatabaseKey {
        KeySetting::derive_vector(DeriveVector::new(dv).unwrap()).database_key()
    }

    #[test]
    fn length_prefixing_separates_serial_and_application() {
        let k = dbk(7);
        let ab_c = k.record_key(BlobKind::Application, b"AB", b"C").unwrap();
        let a_bc = k.record_key(BlobKind::Application, b"A", b"BC").unwrap();
        assert_ne!(ab_c, a_bc);
        let abc_ = k.record_key(BlobKind::Application, b"ABC", b"").unwrap();
        let _abc = k.record_key(BlobKind::Application, b"", b"ABC").unwrap();
        assert_ne!(abc_, _abc);
        assert_ne!(abc_, ab_c);
    }

    #[test]
    fn every_input_changes_the_keys() {
        let base = dbk(7);
        let rk = |d: &DatabaseKey, kind| d.record_key(kind, b"VDS1234567", b"RESPONSE").unwrap();
        assert_ne!(
            rk(&base, BlobKind::Application),
            rk(&base, BlobKind::PayloadKey)
        );
        assert_ne!(base, dbk(8));
        assert_ne!(base.key_id(), dbk(8).key_id());
        let sdk = StorageDeriveKey::from_array([0; 32]);
        // Mode byte: an all-zero storage derive key differs from no key.
        let with_sdk = KeySetting::storage_derive_key(sdk.clone())
            .with_derive_vector(DeriveVector::new(7).unwrap())
            .database_key();
        assert_ne!(with_sdk, base);
        let other_static = KeySetting::derive_vector(DeriveVector::new(7).unwrap())
            .with_static_key(StaticKey::from_array([1; 32]))
            .database_key();
        assert_ne!(other_static, base);
        // Same database key, other static IV: other key id and record keys.
        let other_iv = KeySetting::derive_vector(DeriveVector::new(7).unwrap())
            .with_static_iv(StaticIv::from_array([0; 16]))
            .database_key();
        assert_eq!(other_iv.expose_secret(), base.expose_secret());
        assert_ne!(other_iv.key_id(), base.key_id());
        assert_ne!(
            rk(&other_iv, BlobKind::Application),
            rk(&base, BlobKind::Application)
        );
        assert_eq!(
            format!("{base:?}"),
            format!("DatabaseKey {{ key_id: {} }}", base.key_id())
        );
        assert_eq!(
            format!("{:?}", rk(&base, BlobKind::Application)),
            "RecordKey([REDACTED])"
        );
    }

    #[test]
    fn kind_names() {
        assert_eq!(
            "application".parse::<BlobKind>().unwrap(),
            BlobKind::Application
        );
        assert_eq!("payload".parse::<BlobKind>().unwrap(), BlobKind::PayloadKey);
        assert_eq!("x".parse::<BlobKind>().unwrap_err(), Error::UnknownKind);
    }
}
