//! AES keys that live in a token: finding them, their KCV computed by the
//! token, creating one from given bytes with a verified KCV, and RFC 5649
//! wrapped export and import.
//!
//! Every key keyward creates is a token object with `CKA_PRIVATE` and
//! `CKA_SENSITIVE` set and `CKA_EXTRACTABLE` only when asked. Right after
//! creating or unwrapping a key the token computes its KCV; when it differs
//! from the expected one the new object is destroyed at once, so a refused
//! import leaves nothing in the token. A key being replaced (`replace`) is
//! destroyed only after its successor is in place and verified, so an
//! interruption leaves the old key or the new one, never neither.

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use keyward_core::{AesKey, Kcv, KcvMethod, KeyLength};
use zeroize::Zeroize;

use crate::error::{self, Error, Result};
use crate::session::TokenSession;
use crate::uri::{ObjectType, Pkcs11Uri};
use crate::wrapped::{WrappedKey, blob_len};

/// The all-zero block both KCV methods process.
const ZERO_BLOCK: [u8; 16] = [0; 16];

/// A secret-key object in a token and its public attributes.
#[derive(Debug, Clone)]
pub struct SecretKey {
    handle: ObjectHandle,
    /// `CKA_LABEL` (lossy UTF-8).
    pub label: String,
    /// `CKA_ID`.
    pub id: Vec<u8>,
    /// `CKA_KEY_TYPE`, when the token gave it.
    pub key_type: Option<KeyType>,
    /// `CKA_VALUE_LEN` in bytes, when the token gave it.
    pub len: Option<usize>,
    /// `CKA_EXTRACTABLE`.
    pub extractable: Option<bool>,
    /// `CKA_SENSITIVE`.
    pub sensitive: Option<bool>,
    /// `CKA_WRAP`.
    pub wrap: Option<bool>,
    /// `CKA_UNWRAP`.
    pub unwrap: Option<bool>,
}

impl SecretKey {
    /// The object handle in its session's token.
    pub const fn handle(&self) -> ObjectHandle {
        self.handle
    }

    /// Checks that this is an AES key; its length when the token reports
    /// one. Some tokens (SoftHSM2 2.6 after `C_UnwrapKey`) report a
    /// `CKA_VALUE_LEN` of 0: the length is then unknown, and the KCV
    /// comparison is what identifies the key.
    ///
    /// # Errors
    /// [`Error::NotAes`] for another key type or a length AES does not have.
    fn aes_length(&self, token: &str) -> Result<Option<KeyLength>> {
        let not_aes = |found: String| Error::NotAes {
            token: token.to_owned(),
            label: self.label.clone(),
            found,
        };
        match self.key_type {
            Some(t) if t == KeyType::AES => {}
            Some(t) => return Err(not_aes(format!("key type {t}"))),
            None => return Err(not_aes("no key type".into())),
        }
        match self.len {
            None | Some(0) => Ok(None),
            Some(n) => KeyLength::from_bytes(n)
                .map(Some)
                .ok_or_else(|| not_aes(format!("{n} bytes"))),
        }
    }

    /// `"AES-256"`, `"AES-?"` or the PKCS#11 key type.
    pub fn type_and_size(&self) -> String {
        match (self.key_type, self.len) {
            (Some(t), Some(n)) if t == KeyType::AES && n > 0 => format!("AES-{}", n * 8),
            (Some(t), _) if t == KeyType::AES => "AES".into(),
            (Some(t), Some(n)) => format!("{t} ({n} bytes)"),
            (Some(t), None) => t.to_string(),
            (None, _) => "unknown type".into(),
        }
    }
}

/// What a key keyward creates is for; it sets the usage attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyUsage {
    /// A data key: `CKA_ENCRYPT`, `CKA_DECRYPT`, `CKA_SIGN`, `CKA_VERIFY`.
    #[default]
    Data,
    /// A transport (key-encryption) key: `CKA_WRAP`, `CKA_UNWRAP`, and
    /// `CKA_SIGN`/`CKA_VERIFY` for its CMAC KCV; never `CKA_ENCRYPT`.
    Transport,
}

/// How to create (or unwrap) a key.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    /// `CKA_LABEL` (required).
    pub label: String,
    /// `CKA_ID`, if any.
    pub id: Option<Vec<u8>>,
    /// `CKA_EXTRACTABLE` (otherwise the key can never leave the token).
    pub extractable: bool,
    /// Usage attributes.
    pub usage: KeyUsage,
    /// Replace an existing key of the same label (after the new one is verified).
    pub replace: bool,
    /// The method of the KCV check after creation.
    pub kcv_method: KcvMethod,
    /// A KCV the key must have, known from elsewhere (the backup cards'
    /// KCV when a recovered key goes into an HSM). Checked against the
    /// given bytes before the token is touched, and against the
    /// token-computed KCV after.
    pub expected_kcv: Option<Kcv>,
}

impl NewKey {
    /// A spec whose label and id come from the URI's `object=` and `id=`.
    ///
    /// # Errors
    /// [`Error::NoLabel`] without `object=`, [`Error::NotASecretKey`] for
    /// another `type=`.
    pub fn from_uri(uri: &Pkcs11Uri) -> Result<Self> {
        check_type(uri)?;
        let label = uri.object.clone().ok_or(Error::NoLabel {
            what: "the key to create",
        })?;
        Ok(Self {
            label,
            id: uri.id.clone(),
            ..Self::default()
        })
    }

    fn template(&self) -> Vec<Attribute> {
        let data = self.usage == KeyUsage::Data;
        let mut t = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(self.extractable),
            Attribute::Label(self.label.as_bytes().to_vec()),
            Attribute::Encrypt(data),
            Attribute::Decrypt(data),
            Attribute::Sign(true),
            Attribute::Verify(true),
            Attribute::Wrap(!data),
            Attribute::Unwrap(!data),
        ];
        if let Some(id) = &self.id {
            t.push(Attribute::Id(id.clone()));
        }
        t
    }
}

fn check_type(uri: &Pkcs11Uri) -> Result<()> {
    match uri.object_type {
        None | Some(ObjectType::SecretKey) => Ok(()),
        Some(other) => Err(Error::NotASecretKey {
            found: other.name(),
        }),
    }
}

fn mechanism_name(m: MechanismType) -> &'static str {
    if m == MechanismType::AES_CMAC {
        "CKM_AES_CMAC"
    } else if m == MechanismType::AES_ECB {
        "CKM_AES_ECB"
    } else {
        "CKM_AES_KEY_WRAP_PAD"
    }
}

impl TokenSession {
    fn name(&self) -> &str {
        self.token().name()
    }

    fn has_mechanism(&self, m: MechanismType, purpose: &'static str) -> Result<()> {
        let list = self
            .token()
            .module()
            .context()
            .get_mechanism_list(self.token().slot())
            .map_err(|e| error::map(e, self.name(), "listing mechanisms"))?;
        if list.contains(&m) {
            Ok(())
        } else {
            Err(Error::MechanismMissing {
                token: self.name().to_owned(),
                mechanism: mechanism_name(m),
                purpose,
            })
        }
    }

    fn describe_key(&self, handle: ObjectHandle) -> Result<SecretKey> {
        let attrs = self
            .session()
            .get_attributes(
                handle,
                &[
                    AttributeType::Label,
                    AttributeType::Id,
                    AttributeType::KeyType,
                    AttributeType::ValueLen,
                    AttributeType::Extractable,
                    AttributeType::Sensitive,
                    AttributeType::Wrap,
                    AttributeType::Unwrap,
                ],
            )
            .map_err(|e| error::map(e, self.name(), "reading key attributes"))?;
        let mut key = SecretKey {
            handle,
            label: String::new(),
            id: Vec::new(),
            key_type: None,
            len: None,
            extractable: None,
            sensitive: None,
            wrap: None,
            unwrap: None,
        };
        for a in attrs {
            match a {
                Attribute::Label(l) => key.label = String::from_utf8_lossy(&l).into_owned(),
                Attribute::Id(i) => key.id = i,
                Attribute::KeyType(t) => key.key_type = Some(t),
                Attribute::ValueLen(n) => key.len = usize::try_from(*n).ok(),
                Attribute::Extractable(b) => key.extractable = Some(b),
                Attribute::Sensitive(b) => key.sensitive = Some(b),
                Attribute::Wrap(b) => key.wrap = Some(b),
                Attribute::Unwrap(b) => key.unwrap = Some(b),
                _ => {}
            }
        }
        Ok(key)
    }

    /// Every secret key visible in this session, in the token's order.
    ///
    /// # Errors
    /// The mapped PKCS#11 error.
    pub fn secret_keys(&self) -> Result<Vec<SecretKey>> {
        let handles = self
            .session()
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])
            .map_err(|e| error::map(e, self.name(), "searching for secret keys"))?;
        handles.into_iter().map(|h| self.describe_key(h)).collect()
    }

    /// The secret keys carrying `label`.
    fn keys_labelled(&self, label: &str) -> Result<Vec<SecretKey>> {
        Ok(self
            .secret_keys()?
            .into_iter()
            .filter(|k| k.label == label)
            .collect())
    }

    /// The one secret key the URI's `object=` / `id=` name (any single
    /// secret key when it names none).
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] listing the token's keys, [`Error::KeyAmbiguous`],
    /// [`Error::NotASecretKey`].
    pub fn find_key(&self, uri: &Pkcs11Uri) -> Result<SecretKey> {
        check_type(uri)?;
        let all = self.secret_keys()?;
        let uri_text = uri.path_only().to_string();
        let mut found: Vec<SecretKey> = all
            .iter()
            .filter(|k| uri.object.as_ref().is_none_or(|o| *o == k.label))
            .filter(|k| uri.id.as_ref().is_none_or(|i| *i == k.id))
            .cloned()
            .collect();
        match found.len() {
            1 => found.pop().ok_or(Error::KeyNotFound {
                token: self.name().to_owned(),
                uri: uri_text,
                present: Vec::new(),
            }),
            0 => Err(Error::KeyNotFound {
                token: self.name().to_owned(),
                uri: uri_text,
                present: all.iter().map(|k| format!("\"{}\"", k.label)).collect(),
            }),
            _ => Err(Error::KeyAmbiguous {
                token: self.name().to_owned(),
                uri: uri_text,
                matches: found.iter().map(|k| format!("\"{}\"", k.label)).collect(),
            }),
        }
    }

    /// The key's KCV computed by the token: `CKM_AES_CMAC` over a zero block
    /// (CMAC method) or `CKM_AES_ECB` of a zero block (legacy method).
    ///
    /// # Errors
    /// [`Error::MechanismMissing`] naming the mechanism, [`Error::KeyRefused`]
    /// naming the attribute that forbids it, [`Error::NotAes`].
    pub fn kcv(&self, key: &SecretKey, method: KcvMethod) -> Result<Kcv> {
        let token = self.name();
        key.aes_length(token)?;
        let (mechanism, mtype, purpose, attribute) = match method {
            KcvMethod::Cmac => (
                Mechanism::AesCMac,
                MechanismType::AES_CMAC,
                "the CMAC KCV",
                "CKA_SIGN",
            ),
            KcvMethod::Ecb => (
                Mechanism::AesEcb,
                MechanismType::AES_ECB,
                "the legacy ECB KCV",
                "CKA_ENCRYPT",
            ),
        };
        self.has_mechanism(mtype, purpose)?;
        let out = match method {
            KcvMethod::Cmac => self.session().sign(&mechanism, key.handle, &ZERO_BLOCK),
            KcvMethod::Ecb => self.session().encrypt(&mechanism, key.handle, &ZERO_BLOCK),
        };
        let block = out.map_err(|e| match e {
            CkError::Pkcs11(RvError::KeyFunctionNotPermitted, _) => Error::KeyRefused {
                token: token.to_owned(),
                label: key.label.clone(),
                detail: format!(
                    "{attribute} is false, so the token will not compute {purpose} with it"
                ),
            },
            CkError::Pkcs11(RvError::MechanismInvalid, _) => Error::MechanismMissing {
                token: token.to_owned(),
                mechanism: mechanism_name(mtype),
                purpose,
            },
            other => error::map(other, token, "computing the KCV"),
        })?;
        let mut kept = [0u8; Kcv::KEPT];
        let head = block.get(..Kcv::KEPT).ok_or_else(|| Error::Token {
            token: token.to_owned(),
            action: "computing the KCV",
            detail: format!("the token returned {} bytes, expected 16", block.len()),
        })?;
        kept.copy_from_slice(head);
        Ok(Kcv::from_bytes(method, kept))
    }

    fn destroy_quietly(&self, key: ObjectHandle) -> bool {
        self.session().destroy_object(key).is_ok()
    }

    /// Checks a just-created object's KCV; destroys it on any failure.
    fn verify_new(
        &self,
        handle: ObjectHandle,
        label: &str,
        expected: &Kcv,
        length: KeyLength,
    ) -> Result<SecretKey> {
        let token = self.name().to_owned();
        let checked = self.describe_key(handle).and_then(|key| {
            if let Some(found_len) = key.aes_length(&token)? {
                if found_len != length {
                    return Err(Error::NotAes {
                        token: token.clone(),
                        label: key.label.clone(),
                        found: format!(
                            "{} bytes where {} were given",
                            found_len.bytes(),
                            length.bytes()
                        ),
                    });
                }
            }
            let kcv = self.kcv(&key, expected.method())?;
            if kcv.bytes() != expected.bytes() {
                return Err(Error::KcvMismatch {
                    token: token.clone(),
                    label: key.label.clone(),
                    expected: expected.to_string(),
                    found: kcv.to_string(),
                    removed: false,
                });
            }
            Ok(key)
        });
        match checked {
            Ok(key) => Ok(key),
            Err(e) => {
                let removed = self.destroy_quietly(handle);
                Err(match e {
                    Error::KcvMismatch {
                        token,
                        label,
                        expected,
                        found,
                        ..
                    } => Error::KcvMismatch {
                        token,
                        label,
                        expected,
                        found,
                        removed,
                    },
                    other => Error::NotVerified {
                        token: self.name().to_owned(),
                        label: label.to_owned(),
                        reason: match &other {
                            Error::MechanismMissing {
                                mechanism, purpose, ..
                            } => format!("the token does not offer {mechanism} for {purpose}"),
                            Error::KeyRefused { detail, .. } => detail.clone(),
                            e => e.to_string(),
                        },
                        removed,
                    },
                })
            }
        }
    }

    fn existing(&self, spec: &NewKey) -> Result<Vec<SecretKey>> {
        let existing = self.keys_labelled(&spec.label)?;
        if !existing.is_empty() && !spec.replace {
            return Err(Error::LabelExists {
                token: self.name().to_owned(),
                label: spec.label.clone(),
            });
        }
        Ok(existing)
    }

    fn remove_replaced(&self, old: Vec<SecretKey>) -> Result<()> {
        for k in old {
            self.session()
                .destroy_object(k.handle)
                .map_err(|e| error::map(e, self.name(), "destroying the replaced key"))?;
        }
        Ok(())
    }

    /// Creates `key` in the token as `spec` says, then has the token compute
    /// its KCV and compares it with the KCV of the given bytes (and with
    /// `spec.expected_kcv`, checked first); on a difference (or when the
    /// token cannot compute it) the new object is destroyed. The key bytes
    /// are wiped from the template after the call; they are never printed.
    /// Returns the new key and its token-computed KCV.
    ///
    /// This is the call that puts a recovered backup key into an HSM:
    /// `NewKey { expected_kcv: Some(cards_kcv), ..NewKey::from_uri(&uri)? }`
    /// (non-extractable unless `extractable` is set).
    ///
    /// # Errors
    /// [`Error::LabelExists`] (unless `spec.replace`), [`Error::KcvMismatch`]
    /// (before creating, or after with the object destroyed),
    /// [`Error::NotVerified`] (the token could not compute the KCV: missing
    /// mechanism or forbidding attribute; the object destroyed),
    /// [`Error::Token`].
    pub fn create_aes_key(&self, key: &AesKey, spec: &NewKey) -> Result<(SecretKey, Kcv)> {
        let expected = match spec.expected_kcv {
            Some(e) => e,
            None => key.kcv_with(spec.kcv_method),
        };
        let software = key.kcv_with(expected.method());
        if software.bytes() != expected.bytes() {
            return Err(Error::KcvMismatch {
                token: self.name().to_owned(),
                label: spec.label.clone(),
                expected: expected.to_string(),
                found: format!("{software} (computed from the given bytes, before creating)"),
                removed: false,
            });
        }
        let old = self.existing(spec)?;
        let mut template = spec.template();
        template.push(Attribute::Value(key.expose_secret().to_vec()));
        let created = self.session().create_object(&template);
        for a in &mut template {
            if let Attribute::Value(v) = a {
                v.zeroize();
            }
        }
        let handle = created.map_err(|e| error::map(e, self.name(), "creating the key"))?;
        let new = self.verify_new(handle, &spec.label, &expected, key.length())?;
        self.remove_replaced(old)?;
        Ok((new, expected))
    }

    /// Wraps `key` under `wrapping` with `CKM_AES_KEY_WRAP_PAD` (RFC 5649),
    /// recording both token-computed KCVs.
    ///
    /// # Errors
    /// [`Error::KeyRefused`] for an unextractable key or a wrapping key
    /// without `CKA_WRAP`, [`Error::MechanismMissing`], [`Error::Token`].
    pub fn wrap(
        &self,
        key: &SecretKey,
        wrapping: &SecretKey,
        method: KcvMethod,
    ) -> Result<WrappedKey> {
        let token = self.name();
        let reported = key.aes_length(token)?;
        wrapping.aes_length(token)?;
        self.has_mechanism(MechanismType::AES_KEY_WRAP_PAD, "RFC 5649 key wrap")?;
        if key.extractable == Some(false) {
            return Err(Error::KeyRefused {
                token: token.to_owned(),
                label: key.label.clone(),
                detail: "CKA_EXTRACTABLE is false, so the token will never export it".into(),
            });
        }
        if wrapping.wrap == Some(false) {
            return Err(Error::KeyRefused {
                token: token.to_owned(),
                label: wrapping.label.clone(),
                detail: "CKA_WRAP is false, so it cannot wrap keys".into(),
            });
        }
        let key_kcv = self.kcv(key, method)?;
        let wrapping_kcv = self.kcv(wrapping, method)?;
        let blob = self
            .session()
            .wrap_key(&Mechanism::AesKeyWrapPad, wrapping.handle, key.handle)
            .map_err(|e| match e {
                CkError::Pkcs11(RvError::KeyUnextractable | RvError::KeyNotWrappable, _) => {
                    Error::KeyRefused {
                        token: token.to_owned(),
                        label: key.label.clone(),
                        detail: "the token refuses to wrap it (not extractable)".into(),
                    }
                }
                other => error::map(other, token, "wrapping the key"),
            })?;
        // RFC 5649 output is 8 bytes longer than the key rounded up to 8; a
        // token whose CKM_AES_KEY_WRAP_PAD pads another way (PKCS#7 then
        // RFC 3394, as some read PKCS#11 v2.40) is caught here.
        let length = blob
            .len()
            .checked_sub(8)
            .and_then(KeyLength::from_bytes)
            .filter(|l| reported.is_none_or(|r| r == *l) && blob.len() == blob_len(l.bytes()))
            .ok_or_else(|| Error::Token {
                token: token.to_owned(),
                action: "wrapping the key",
                detail: format!(
                    "CKM_AES_KEY_WRAP_PAD gave {} bytes, which is not RFC 5649 output for an AES \
                     key{}: this token pads differently, and its output would not unwrap elsewhere",
                    blob.len(),
                    reported.map_or(String::new(), |r| format!(" of {} bytes", r.bytes()))
                ),
            })?;
        Ok(WrappedKey {
            length,
            kcv_method: method,
            wrapping_kcv,
            key_kcv,
            label: key.label.clone(),
            blob,
        })
    }

    /// Unwraps `file` under `wrapping` into a new key as `spec` says. The
    /// wrapping key's token-computed KCV is compared with the file's before
    /// any unwrap; the new key's KCV after, destroying it on a difference.
    ///
    /// # Errors
    /// [`Error::WrappingKeyMismatch`], [`Error::LabelExists`],
    /// [`Error::KcvMismatch`] and [`Error::NotVerified`] (the new object
    /// destroyed), [`Error::Token`] (a blob that does not unwrap).
    pub fn unwrap(
        &self,
        file: &WrappedKey,
        wrapping: &SecretKey,
        spec: &NewKey,
    ) -> Result<SecretKey> {
        let token = self.name();
        wrapping.aes_length(token)?;
        let wrapping_kcv = self.kcv(wrapping, file.kcv_method)?;
        if wrapping_kcv.bytes() != file.wrapping_kcv.bytes() {
            return Err(Error::WrappingKeyMismatch {
                token: token.to_owned(),
                label: wrapping.label.clone(),
                file_kcv: file.wrapping_kcv.to_string(),
                token_kcv: wrapping_kcv.to_string(),
            });
        }
        if wrapping.unwrap == Some(false) {
            return Err(Error::KeyRefused {
                token: token.to_owned(),
                label: wrapping.label.clone(),
                detail: "CKA_UNWRAP is false, so it cannot unwrap keys".into(),
            });
        }
        self.has_mechanism(MechanismType::AES_KEY_WRAP_PAD, "RFC 5649 key unwrap")?;
        let old = self.existing(spec)?;
        let handle = self
            .session()
            .unwrap_key(
                &Mechanism::AesKeyWrapPad,
                wrapping.handle,
                &file.blob,
                &spec.template(),
            )
            .map_err(|e| match e {
                CkError::Pkcs11(
                    RvError::WrappedKeyInvalid
                    | RvError::WrappedKeyLenRange
                    | RvError::EncryptedDataInvalid
                    | RvError::EncryptedDataLenRange,
                    _,
                ) => Error::Token {
                    token: token.to_owned(),
                    action: "unwrapping the key",
                    detail: "the blob fails its RFC 5649 integrity check under this wrapping key \
                             (damaged file)"
                        .into(),
                },
                other => error::map(other, token, "unwrapping the key"),
            })?;
        let new = self.verify_new(handle, &spec.label, &file.key_kcv, file.length)?;
        self.remove_replaced(old)?;
        Ok(new)
    }
}
