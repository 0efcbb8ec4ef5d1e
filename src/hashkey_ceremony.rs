//! The HashKey ceremony and migration (`docs/design.md#site-hashkey-and-irreversible-pins`).
//!
//! **Enable** a site HashKey with [`SiteHashKey::enable`]: it derives the PIN
//! pepper and the template key from the HashKey's purpose subkeys
//! (keyward-core) and reports the HashKey's key id. The HashKey itself is not
//! kept.
//!
//! **Migrate** from the built-in default HashKey to the site's, or between
//! site HashKeys, with [`migrate`]:
//!
//! 1. every PIN/password hash is surveyed ([`survey_hashes`]): the `keyid` of
//!    its PHC string says which HashKey it was made under. Hashes are
//!    irreversible, so hashes made under the old HashKey **cannot** be moved to
//!    the new one: those users must re-enrol. The migration refuses
//!    ([`Error::ReenrolmentNotAccepted`], naming how many hashes) unless the
//!    caller passes [`AcceptReenrolment::UsersMustReenrol`]; nothing is
//!    touched when it refuses;
//! 2. every encrypted template BLOB is re-sealed from the old template key to
//!    the new one by keyward-blob's batch [`Keyring::migrate`], with a progress
//!    callback; a BLOB that cannot be opened comes back untouched with its
//!    reason (nothing is lost);
//! 3. the result lists the users to re-enrol, exactly.
//!
//! **Derivations.** A HashKey is used under derivation 1 (HKDF of its
//! characters, records made before derivation 2) or derivation 2 (Argon2id
//! first: `keyward_pinhash::stretch_hash_key`); one HashKey has one key id per
//! derivation, and the ceremony names each HashKey as [`HashKeyName`]
//! (`7ecc060f (derivation 1)`). Moving a site from derivation 1 to 2 is a
//! [`migrate`] from the key to itself. [`census`] names the HashKey and
//! derivation of every stored hash and template.
//!
//! ```
//! use keyward::hashkey_ceremony::{migrate, AcceptReenrolment, Error, SiteHashKey, TemplateId};
//! use keyward::key::HashKey;
//! use keyward::pinhash::Params;
//!
//! let old = SiteHashKey::builtin_default();
//! let id = TemplateId::new(b"alice", b"finger-1");
//! let templates = vec![(id.clone(), old.seal_template(&id, b"minutiae")?)];
//! // Small Argon2 parameters for the example only.
//! let hasher = old.pin_hasher().with_params(Params::new(64, 1, 1).unwrap());
//! let hashes = vec![("alice", hasher.hash_with_salt(b"alice", b"483920", &[7; 16]).unwrap())];
//!
//! let new = SiteHashKey::enable(&HashKey::new("Site-HashKey/for:demo#2026-11-22")?);
//! println!("site HashKey enabled, key id {}", new.key_id());
//! let hashes = || hashes.iter().map(|(u, h)| (*u, h.as_str()));
//!
//! let refused = migrate(&old, &new, templates.clone(), hashes(), AcceptReenrolment::No, |_| {});
//! assert!(matches!(refused, Err(Error::ReenrolmentNotAccepted { hashes: 1, .. })));
//!
//! let m = migrate(&old, &new, templates, hashes(), AcceptReenrolment::UsersMustReenrol, |_| {})?;
//! assert_eq!(m.hashes.reenrol, ["alice"]);
//! let r = &m.templates.resealed[0];
//! assert_eq!(&new.open_template(&r.id, &r.blob)?[..], b"minutiae");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # How templates are sealed
//!
//! Templates (personal data such as biometric templates) are keyward-blob
//! BLOBs under a database key derived from the HashKey:
//!
//! ```text
//! template subkey = HashKey subkey "template-encryption" (keyward-core Purpose::TemplateEncryption)
//! database key    = keyward-blob KeySetting { static key = template subkey,
//!                                             mode 0x01 (derive vector only), derive vector 0,
//!                                             static IV = keyward-blob's built-in "keyward-blob-iv1" }
//! record          = kind Application (0x01), serial = user id,
//!                   application = "keyward/template/v1", context = template slot (e.g. "finger-1")
//! ```
//!
//! so the BLOB header names the template key id (the keyward-blob key id of
//! that database key, not the HashKey's key id), and a BLOB sealed under
//! another HashKey is named, not decrypted into garbage. The template subkey
//! is the *static key* (HKDF salt) of the derivation; it is secret because the
//! HashKey is.
//!
//! # Rehash on login instead?
//!
//! A site that still holds the old HashKey can avoid re-enrolment: keep it as
//! a retired pepper in a keyward-pinhash `PepperSet`, rehash each PIN at its
//! next successful login (`needs_rehash`), and run this migration only when
//! [`survey_hashes`] finds no old hashes left. This ceremony is the one that
//! retires the old HashKey for good.

use alloc::vec::Vec;
use core::fmt;

use keyward_blob::{
    DatabaseKey, DeriveVector, KeySetting, Keyring, Migration, Progress, RecordId, RecordIdentity,
    StaticKey,
};
use keyward_core::zeroize::Zeroizing;
use keyward_core::{Derivation, HashKey, KeyId, Purpose};
use keyward_pinhash::{Pepper, PepperSet, PinHasher};

/// The keyward-blob application name of every template BLOB.
pub const TEMPLATE_APPLICATION: &[u8] = b"keyward/template/v1";

/// The derive vector of the template database key.
pub const TEMPLATE_DERIVE_VECTOR: DeriveVector = DeriveVector::ZERO;

/// Errors of the HashKey ceremony.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// PIN/password hashes exist under the old HashKey and the caller did not
    /// accept that those users must re-enrol. Nothing was changed.
    ReenrolmentNotAccepted {
        /// How many hashes were made under the old HashKey.
        hashes: usize,
        /// The old HashKey.
        from: HashKeyName,
        /// The new HashKey.
        to: HashKeyName,
    },
    /// The old and new HashKeys are the same key (same key id).
    SameHashKey {
        /// The key id of both.
        key_id: KeyId,
    },
    /// A template BLOB is sealed under another template key than this
    /// HashKey's: it was sealed under another HashKey.
    OtherHashKey {
        /// The template key id in the BLOB header.
        found: KeyId,
        /// This HashKey's template key id.
        expected: KeyId,
    },
    /// Sealing or opening a template failed (keyward-blob).
    Template(keyward_blob::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReenrolmentNotAccepted { hashes, from, to } => {
                let (what, who) = if *hashes == 1 {
                    ("hash was", "its user")
                } else {
                    ("hashes were", "their users")
                };
                write!(
                    f,
                    "refusing to switch HashKey {from} to {to}: {hashes} PIN/password {what} made \
                     under the old HashKey {}; hashes are irreversible and cannot be re-keyed, \
                     so {who} must re-enrol (accept that explicitly to switch)",
                    from.key_id
                )
            }
            Self::SameHashKey { key_id } => write!(
                f,
                "the old and new HashKeys are the same key (key id {key_id}): nothing to migrate"
            ),
            Self::OtherHashKey { found, expected } => write!(
                f,
                "template is sealed under template key id {found}, expected {expected}: it was \
                 sealed under another HashKey (migrate it, or use the HashKey it was sealed under)"
            ),
            Self::Template(e) => write!(f, "template: {e}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Template(e) => Some(e),
            _ => None,
        }
    }
}

impl From<keyward_blob::Error> for Error {
    fn from(e: keyward_blob::Error) -> Self {
        Self::Template(e)
    }
}

/// Result of the HashKey ceremony.
pub type Result<T> = core::result::Result<T, Error>;

/// Whether the caller accepts that users whose PIN/password hashes were made
/// under the old HashKey must re-enrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptReenrolment {
    /// Refuse to switch while hashes exist under the old HashKey.
    No,
    /// Switch anyway: the listed users must enrol their PIN/password again.
    UsersMustReenrol,
}

/// A HashKey as its records name it: the key id, and the derivation that
/// key id belongs to (the same HashKey has one key id per derivation).
/// Shown as `7ecc060f (derivation 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashKeyName {
    /// The key id (the `keyid` of its PIN hashes).
    pub key_id: KeyId,
    /// The derivation of that key id and of the keys.
    pub derivation: Derivation,
}

impl fmt::Display for HashKeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.key_id, self.derivation)
    }
}

/// A HashKey in use: the keys derived from it and its key id.
#[derive(Clone)]
pub struct SiteHashKey {
    key_id: KeyId,
    derivation: Derivation,
    builtin_default: bool,
    pepper: Pepper,
    template_key: DatabaseKey,
}

impl SiteHashKey {
    /// Enables `hash_key`: derives the PIN pepper (`pin-pepper` subkey) and
    /// the template database key (`template-encryption` subkey as the
    /// keyward-blob static key, see the module documentation).
    pub fn enable(hash_key: &HashKey) -> Self {
        let mut bytes = *hash_key.subkey(Purpose::TemplateEncryption).expose_secret();
        let template_static = StaticKey::from_array(bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        let template_key = KeySetting::derive_vector(TEMPLATE_DERIVE_VECTOR)
            .with_static_key(template_static)
            .database_key();
        Self {
            key_id: hash_key.key_id(),
            derivation: hash_key.derivation(),
            builtin_default: hash_key.is_builtin_default(),
            pepper: Pepper::from_hash_key(hash_key),
            template_key,
        }
    }

    /// The built-in default HashKey, enabled (every installation starts
    /// here; it is public and protects nothing).
    pub fn builtin_default() -> Self {
        Self::enable(&HashKey::builtin_default())
    }

    /// The HashKey's non-secret key id (the `keyid` of its PIN hashes).
    pub const fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The derivation the keys come from.
    pub const fn derivation(&self) -> Derivation {
        self.derivation
    }

    /// The key id and derivation, as records name this HashKey.
    pub const fn name(&self) -> HashKeyName {
        HashKeyName {
            key_id: self.key_id,
            derivation: self.derivation,
        }
    }

    /// Whether this is the public built-in default HashKey.
    pub const fn is_builtin_default(&self) -> bool {
        self.builtin_default
    }

    /// The PIN/password pepper.
    pub const fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    /// A PIN hasher with this pepper as the only one (OWASP parameters;
    /// change them with [`PinHasher::with_params`]).
    pub fn pin_hasher(&self) -> PinHasher {
        PinHasher::new(PepperSet::new(self.pepper.clone()))
    }

    /// The template database key.
    pub const fn template_key(&self) -> &DatabaseKey {
        &self.template_key
    }

    /// The key id written in the header of every template BLOB sealed under
    /// this HashKey (keyward-blob's key id of the template key).
    pub const fn template_key_id(&self) -> KeyId {
        self.template_key.key_id()
    }

    /// Seals a template.
    ///
    /// # Errors
    /// [`Error::Template`] from keyward-blob (only for absurd sizes).
    pub fn seal_template(&self, id: &TemplateId, template: &[u8]) -> Result<Vec<u8>> {
        Ok(self.template_key.seal(&id.record_id(), template)?)
    }

    /// A keyward-blob error on a template in HashKey terms: a BLOB under
    /// another template key than this HashKey's was sealed under another
    /// HashKey ([`Error::OtherHashKey`]); any other error (damaged BLOB,
    /// wrong user or slot) is [`Error::Template`]. Use it on the failures of
    /// [`migrate`] with the old HashKey.
    pub const fn template_error(&self, error: keyward_blob::Error) -> Error {
        match error {
            keyward_blob::Error::KeyIdNotHeld { found, .. } => Error::OtherHashKey {
                found,
                expected: self.template_key.key_id(),
            },
            e => Error::Template(e),
        }
    }

    /// Opens a template BLOB.
    ///
    /// # Errors
    /// [`Error::OtherHashKey`] naming the template key ids; [`Error::Template`]
    /// when damaged or belonging to another user or slot.
    pub fn open_template(&self, id: &TemplateId, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.template_key
            .open(&id.record_id(), blob)
            .map_err(|e| self.template_error(e))
    }
}

impl fmt::Debug for SiteHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteHashKey")
            .field("key_id", &self.key_id)
            .field("derivation", &self.derivation.number())
            .field("builtin_default", &self.builtin_default)
            .field("template_key_id", &self.template_key.key_id())
            .finish_non_exhaustive()
    }
}

/// The identity of a template BLOB: the user and the template slot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TemplateId {
    /// The user id (the keyward-blob serial).
    pub user: Vec<u8>,
    /// The template slot, e.g. `finger-1` (the keyward-blob context).
    pub slot: Vec<u8>,
}

impl TemplateId {
    /// A template identity.
    pub fn new(user: &[u8], slot: &[u8]) -> Self {
        Self {
            user: user.into(),
            slot: slot.into(),
        }
    }
}

impl RecordIdentity for TemplateId {
    fn record_id(&self) -> RecordId<'_> {
        RecordId::application(&self.user, TEMPLATE_APPLICATION).with_context(&self.slot)
    }
}

/// Which HashKeys the stored PIN/password hashes were made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashSurvey<U> {
    /// Hashes under the old HashKey: these users must re-enrol.
    pub reenrol: Vec<U>,
    /// Hashes already under the new HashKey (nothing to do).
    pub current: Vec<U>,
    /// Hashes under neither key (already unverifiable here), with their key id.
    pub other_key: Vec<(U, KeyId)>,
    /// Strings that are not keyward PHC strings, with the reason.
    pub malformed: Vec<(U, keyward_pinhash::Error)>,
}

impl<U> HashSurvey<U> {
    /// Hashes surveyed.
    pub fn total(&self) -> usize {
        self.reenrol.len() + self.current.len() + self.other_key.len() + self.malformed.len()
    }
}

impl<U> fmt::Display for HashSurvey<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} PIN/password hashes: {} under the old HashKey (must re-enrol), {} already under \
             the new one, {} under another key, {} malformed",
            self.total(),
            self.reenrol.len(),
            self.current.len(),
            self.other_key.len(),
            self.malformed.len()
        )
    }
}

/// Sorts stored PIN/password hashes (user, PHC string) by the HashKey they
/// were made under, reading only the `keyid` of each PHC string (no Argon2
/// work, no secret needed).
pub fn survey_hashes<U, S, I>(from: KeyId, to: KeyId, hashes: I) -> HashSurvey<U>
where
    S: AsRef<str>,
    I: IntoIterator<Item = (U, S)>,
{
    let mut s = HashSurvey {
        reenrol: Vec::new(),
        current: Vec::new(),
        other_key: Vec::new(),
        malformed: Vec::new(),
    };
    for (user, phc) in hashes {
        match keyward_pinhash::ParsedHash::parse(phc.as_ref()) {
            Ok(p) if p.keyid == from => s.reenrol.push(user),
            Ok(p) if p.keyid == to => s.current.push(user),
            Ok(p) => s.other_key.push((user, p.keyid)),
            Err(e) => s.malformed.push((user, e)),
        }
    }
    s
}

/// Where a record's key id leads among the HashKeys a census was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located<E> {
    /// Made under the census key at this index (see [`Census::keys`]).
    Held(usize),
    /// Made under a key id that none of the given HashKeys has.
    Other(KeyId),
    /// Not a record keyward can read, with the reason.
    Malformed(E),
}

impl<E> Located<E> {
    /// Whether the record was made under the census key at `index`.
    pub const fn is_held(&self, index: usize) -> bool {
        matches!(self, Self::Held(i) if *i == index)
    }

    /// Whether the record names a key id none of the census keys has.
    pub const fn is_other(&self) -> bool {
        matches!(self, Self::Other(_))
    }

    /// Where `found` leads: the first of `keys` whose `of` it is.
    fn find(keys: &[SiteHashKey], found: KeyId, of: fn(&SiteHashKey) -> KeyId) -> Self {
        keys.iter()
            .position(|k| of(k) == found)
            .map_or(Self::Other(found), Self::Held)
    }
}

/// Which HashKey, under which derivation, every record was made under
/// ([`census`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census<U, K> {
    /// The HashKeys looked for, in the order given: key id and derivation.
    pub keys: Vec<HashKeyName>,
    /// Their template key ids (the BLOB headers' key ids), in the same order.
    pub template_key_ids: Vec<KeyId>,
    /// Every PIN/password hash (user, where its `keyid` leads).
    pub hashes: Vec<(U, Located<keyward_pinhash::Error>)>,
    /// Every template (identity, where its header's key id leads).
    pub templates: Vec<(K, Located<keyward_blob::Error>)>,
}

impl<U, K> Census<U, K> {
    /// How many hashes and templates were made under key `index`.
    pub fn count(&self, index: usize) -> (usize, usize) {
        (
            self.hashes.iter().filter(|(_, l)| l.is_held(index)).count(),
            self.templates
                .iter()
                .filter(|(_, l)| l.is_held(index))
                .count(),
        )
    }

    /// How many hashes and templates name a key id none of the keys has.
    pub fn other(&self) -> (usize, usize) {
        (
            self.hashes.iter().filter(|(_, l)| l.is_other()).count(),
            self.templates.iter().filter(|(_, l)| l.is_other()).count(),
        )
    }
}

/// Sorts stored records by the HashKey and derivation they were made under:
/// each PIN/password hash by the `keyid` of its PHC string, each template by
/// the template key id in its BLOB header (only parsed; no Argon2 work, no
/// decryption). Give each HashKey under every derivation it may have been
/// used with: one HashKey has one key id per derivation, so the key id found
/// names the derivation.
pub fn census<U, S, H, K, B, T>(keys: &[SiteHashKey], hashes: H, templates: T) -> Census<U, K>
where
    S: AsRef<str>,
    H: IntoIterator<Item = (U, S)>,
    B: AsRef<[u8]>,
    T: IntoIterator<Item = (K, B)>,
{
    Census {
        keys: keys.iter().map(SiteHashKey::name).collect(),
        template_key_ids: keys.iter().map(SiteHashKey::template_key_id).collect(),
        hashes: hashes
            .into_iter()
            .map(|(user, phc)| {
                let at = match keyward_pinhash::ParsedHash::parse(phc.as_ref()) {
                    Ok(p) => Located::find(keys, p.keyid, SiteHashKey::key_id),
                    Err(e) => Located::Malformed(e),
                };
                (user, at)
            })
            .collect(),
        templates: templates
            .into_iter()
            .map(|(id, blob)| {
                let at = match keyward_blob::encryption_version(blob.as_ref()) {
                    Ok(found) => Located::find(keys, found, SiteHashKey::template_key_id),
                    Err(e) => Located::Malformed(e),
                };
                (id, at)
            })
            .collect(),
    }
}

/// The outcome of a HashKey migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashKeyMigration<K, U> {
    /// The old HashKey.
    pub from: HashKeyName,
    /// The new HashKey.
    pub to: HashKeyName,
    /// The template key ids, old and new (the BLOB headers' key ids).
    pub template_key_ids: (KeyId, KeyId),
    /// The templates: re-sealed (write these back), already current, and
    /// failed (untouched, with the reason).
    pub templates: Migration<K>,
    /// The PIN/password hashes; `hashes.reenrol` lists every user who must
    /// enrol again.
    pub hashes: HashSurvey<U>,
}

impl<K, U> fmt::Display for HashKeyMigration<K, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HashKey {} -> {}: templates {}; {} users must re-enrol",
            self.from,
            self.to,
            self.templates,
            self.hashes.reenrol.len()
        )
    }
}

/// Migrates from HashKey `from` to `to`.
///
/// `hashes` are the stored PIN/password hashes (user, PHC string);
/// `templates` the stored template BLOBs (identity, BLOB). The hashes are
/// surveyed first; if any was made under `from` and `accept` is
/// [`AcceptReenrolment::No`], the migration refuses before touching anything.
/// Otherwise every template is re-sealed under `to`'s template key by
/// [`Keyring::migrate`] (the keyring holds both template keys, so templates
/// already under `to` count as current), calling `progress` after each.
///
/// # Errors
/// [`Error::ReenrolmentNotAccepted`] with the number of old hashes;
/// [`Error::SameHashKey`] when `from` and `to` are the same key.
pub fn migrate<K, I, U, S, H, F>(
    from: &SiteHashKey,
    to: &SiteHashKey,
    templates: I,
    hashes: H,
    accept: AcceptReenrolment,
    progress: F,
) -> Result<HashKeyMigration<K, U>>
where
    K: RecordIdentity,
    I: IntoIterator<Item = (K, Vec<u8>)>,
    S: AsRef<str>,
    H: IntoIterator<Item = (U, S)>,
    F: FnMut(&Progress),
{
    if from.key_id == to.key_id {
        return Err(Error::SameHashKey {
            key_id: from.key_id,
        });
    }
    let survey = survey_hashes(from.key_id, to.key_id, hashes);
    if !survey.reenrol.is_empty() && accept == AcceptReenrolment::No {
        return Err(Error::ReenrolmentNotAccepted {
            hashes: survey.reenrol.len(),
            from: from.name(),
            to: to.name(),
        });
    }
    let mut ring = Keyring::new(to.template_key.clone());
    // Distinct HashKeys give independent template keys; a 4-byte key id
    // collision (2^-32) is refused by the keyring and reported.
    ring.add(from.template_key.clone())?;
    let templates = ring.migrate(templates, progress);
    Ok(HashKeyMigration {
        from: from.name(),
        to: to.name(),
        template_key_ids: (from.template_key_id(), to.template_key_id()),
        templates,
        hashes: survey,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use keyward_pinhash::Params;

    const SITE: &str = "Site-HashKey/for:demo#2026-11-22";
    const NEXT: &str = "Next-HashKey/rotated:2027-01-01!";

    struct Fixture {
        old: SiteHashKey,
        new: SiteHashKey,
        templates: Vec<(TemplateId, Vec<u8>)>,
        hashes: Vec<(String, String)>,
    }

    fn template_bytes(n: usize) -> Vec<u8> {
        std::format!("template of user {n}: minutiae ...").into_bytes()
    }

    /// 5 templates under the default HashKey; PIN hashes: alice and carol
    /// under the default, bob already under the site HashKey.
    fn fixture() -> Fixture {
        let old = SiteHashKey::builtin_default();
        let new = SiteHashKey::enable(&HashKey::new(SITE).unwrap());
        let templates = (0..5)
            .map(|n| {
                let id = TemplateId::new(std::format!("user{n}").as_bytes(), b"finger-1");
                let blob = old.seal_template(&id, &template_bytes(n)).unwrap();
                (id, blob)
            })
            .collect();
        let small = Params::new(64, 1, 1).unwrap();
        let salt = [7u8; 16];
        let hash = |k: &SiteHashKey, pin: &[u8]| {
            k.pin_hasher()
                .with_params(small)
                .hash_with_salt(b"user", pin, &salt)
                .unwrap()
                .as_str()
                .to_string()
        };
        let hashes = vec![
            ("alice".to_string(), hash(&old, b"483920")),
            ("bob".to_string(), hash(&new, b"918273")),
            ("carol".to_string(), hash(&old, b"564738")),
        ];
        Fixture {
            old,
            new,
            templates,
            hashes,
        }
    }

    #[test]
    fn enable_reports_key_id_and_derives_distinct_keys() {
        let hk = HashKey::new(SITE).unwrap();
        let site = SiteHashKey::enable(&hk);
        assert_eq!(site.key_id(), hk.key_id());
        assert_eq!(site.pepper().key_id(), hk.key_id());
        assert!(!site.is_builtin_default());
        assert!(SiteHashKey::builtin_default().is_builtin_default());
        // The template key is the TemplateEncryption subkey used as static key.
        let expected = KeySetting::derive_vector(DeriveVector::ZERO)
            .with_static_key(StaticKey::from_array(
                *hk.subkey(Purpose::TemplateEncryption).expose_secret(),
            ))
            .database_key();
        assert_eq!(site.template_key_id(), expected.key_id());
        // ... and not keyward-blob's HashKey static key (BlobStaticKey).
        let blob_static = KeySetting::derive_vector(DeriveVector::ZERO)
            .with_static_key(StaticKey::from_hash_key(&hk))
            .database_key();
        assert_ne!(site.template_key_id(), blob_static.key_id());
        assert_ne!(
            site.template_key_id(),
            SiteHashKey::builtin_default().template_key_id()
        );
        let d = std::format!("{site:?}");
        assert!(
            d.contains(&hk.key_id().to_string()) && !d.contains("Site-HashKey"),
            "{d}"
        );
    }

    #[test]
    fn refuses_while_old_hashes_exist_and_touches_nothing() {
        let f = fixture();
        let mut calls = 0;
        let e = migrate(
            &f.old,
            &f.new,
            f.templates.clone(),
            f.hashes.iter().map(|(u, h)| (u.clone(), h.as_str())),
            AcceptReenrolment::No,
            |_| calls += 1,
        )
        .unwrap_err();
        assert_eq!(
            e,
            Error::ReenrolmentNotAccepted {
                hashes: 2,
                from: f.old.name(),
                to: f.new.name()
            }
        );
        assert_eq!(calls, 0, "no template touched when refusing");
        let text = e.to_string();
        assert!(text.contains("2 PIN/password hashes"), "{text}");
        assert!(
            text.contains("irreversible") && text.contains("re-enrol"),
            "{text}"
        );
        assert!(text.contains(&f.old.key_id().to_string()), "{text}");
        // One hash: singular wording.
        let one = Error::ReenrolmentNotAccepted {
            hashes: 1,
            from: f.old.name(),
            to: f.new.name(),
        }
        .to_string();
        assert!(one.contains(": 1 PIN/password hash was made"), "{one}");
        assert!(one.contains("its user must re-enrol"), "{one}");
    }

    #[test]
    fn no_old_hashes_needs_no_acceptance() {
        let f = fixture();
        let only_bob = f.hashes.iter().filter(|(u, _)| u == "bob").cloned();
        let m = migrate(
            &f.old,
            &f.new,
            f.templates.clone(),
            only_bob,
            AcceptReenrolment::No,
            |_| {},
        )
        .unwrap();
        assert!(m.hashes.reenrol.is_empty());
        assert_eq!(m.hashes.current, ["bob"]);
        assert_eq!(m.templates.resealed.len(), 5);
    }

    #[test]
    fn accepted_migration_lists_exactly_the_old_hashes_and_reseals_templates() {
        let f = fixture();
        let mut seen: Vec<Progress> = Vec::new();
        let mut hashes = f.hashes.clone();
        hashes.push(("dave".to_string(), "not a hash".to_string()));
        let m = migrate(
            &f.old,
            &f.new,
            f.templates.clone(),
            hashes,
            AcceptReenrolment::UsersMustReenrol,
            |p| seen.push(*p),
        )
        .unwrap();
        assert_eq!(m.hashes.reenrol, ["alice", "carol"]);
        assert_eq!(m.hashes.current, ["bob"]);
        assert_eq!(m.hashes.malformed.len(), 1);
        assert_eq!(m.from, f.old.name());
        assert_eq!(m.to, f.new.name());
        assert_eq!(
            m.template_key_ids,
            (f.old.template_key_id(), f.new.template_key_id())
        );
        assert_eq!(m.templates.resealed.len(), 5);
        assert!(m.templates.failed.is_empty() && m.templates.current.is_empty());
        assert_eq!(
            seen.iter()
                .map(|p| (p.done, p.resealed))
                .collect::<Vec<_>>(),
            [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
        );
        for (n, r) in m.templates.resealed.iter().enumerate() {
            assert_eq!(r.from, f.old.template_key_id());
            assert_eq!(
                keyward_blob::encryption_version(&r.blob).unwrap(),
                f.new.template_key_id()
            );
            assert_eq!(
                &f.new.open_template(&r.id, &r.blob).unwrap()[..],
                &template_bytes(n)[..]
            );
            // Not readable under the old key: named by key id.
            let e = f.old.open_template(&r.id, &r.blob).unwrap_err();
            assert_eq!(
                e,
                Error::OtherHashKey {
                    found: f.new.template_key_id(),
                    expected: f.old.template_key_id()
                }
            );
            assert!(
                e.to_string().contains(&f.new.template_key_id().to_string()),
                "{e}"
            );
        }
        assert!(m.to_string().contains("5 resealed"), "{m}");
        assert!(m.to_string().contains("2 users must re-enrol"), "{m}");
    }

    #[test]
    fn damaged_and_foreign_templates_come_back_untouched() {
        let f = fixture();
        let mut templates = f.templates.clone();
        // Damage template 2 (one bit of the ciphertext).
        let damaged = templates[2].1.clone();
        let last = templates[2].1.len() - 1;
        templates[2].1[last] ^= 0x01;
        let damaged_blob = templates[2].1.clone();
        assert_ne!(damaged, damaged_blob);
        // Template 4 under a third HashKey: not in the migration's keyring.
        let third = SiteHashKey::enable(&HashKey::new(NEXT).unwrap());
        templates[4].1 = third.seal_template(&templates[4].0, b"x").unwrap();
        let foreign_blob = templates[4].1.clone();
        // Template 3 already under the new key.
        templates[3].1 = f
            .new
            .seal_template(&templates[3].0, &template_bytes(3))
            .unwrap();
        let mut last_progress = Progress::default();
        let m = migrate(
            &f.old,
            &f.new,
            templates,
            Vec::<(String, String)>::new(),
            AcceptReenrolment::No,
            |p| last_progress = *p,
        )
        .unwrap();
        assert_eq!(
            (
                last_progress.done,
                last_progress.resealed,
                last_progress.current,
                last_progress.failed
            ),
            (5, 2, 1, 2)
        );
        assert_eq!(m.templates.total(), 5);
        assert_eq!(m.templates.current.len(), 1);
        assert_eq!(m.templates.failed.len(), 2);
        let bad = &m.templates.failed[0];
        assert_eq!(bad.id, f.templates[2].0);
        assert_eq!(bad.blob, damaged_blob, "returned untouched");
        assert_eq!(bad.error, keyward_blob::Error::Authentication);
        let foreign = &m.templates.failed[1];
        assert_eq!(foreign.blob, foreign_blob);
        assert!(
            matches!(foreign.error, keyward_blob::Error::KeyIdNotHeld { found, .. } if found == third.template_key_id()),
            "{:?}",
            foreign.error
        );
        assert_eq!(
            f.old.template_error(foreign.error),
            Error::OtherHashKey {
                found: third.template_key_id(),
                expected: f.old.template_key_id()
            }
        );
        assert_eq!(
            f.old.template_error(bad.error),
            Error::Template(keyward_blob::Error::Authentication)
        );
        assert!(
            m.templates.to_string().contains("2 failed"),
            "{}",
            m.templates
        );
    }

    #[test]
    fn same_hash_key_is_refused() {
        let a = SiteHashKey::enable(&HashKey::new(SITE).unwrap());
        let b = SiteHashKey::enable(&HashKey::new(SITE).unwrap());
        let e = migrate(
            &a,
            &b,
            Vec::<(TemplateId, Vec<u8>)>::new(),
            Vec::<(String, String)>::new(),
            AcceptReenrolment::UsersMustReenrol,
            |_| {},
        )
        .unwrap_err();
        assert_eq!(e, Error::SameHashKey { key_id: a.key_id() });
        assert!(e.to_string().contains("same key"), "{e}");
    }

    #[test]
    fn templates_are_bound_to_user_and_slot() {
        let k = SiteHashKey::builtin_default();
        let id = TemplateId::new(b"user1", b"finger-1");
        let blob = k.seal_template(&id, b"t").unwrap();
        assert_eq!(&k.open_template(&id, &blob).unwrap()[..], b"t");
        for other in [
            TemplateId::new(b"user2", b"finger-1"),
            TemplateId::new(b"user1", b"finger-2"),
        ] {
            assert_eq!(
                k.open_template(&other, &blob).unwrap_err(),
                Error::Template(keyward_blob::Error::Authentication)
            );
        }
    }

    #[test]
    fn census_names_the_hashkey_and_derivation_of_every_record() {
        let text = HashKey::new(SITE).unwrap();
        let v1 = SiteHashKey::enable(&text);
        let v2 = SiteHashKey::enable(&keyward_pinhash::stretch_hash_key(&text).unwrap());
        assert_eq!(v1.name().derivation, Derivation::V1);
        assert_eq!(v2.name().derivation, Derivation::V2);
        assert_ne!(v1.key_id(), v2.key_id());
        assert_ne!(v1.template_key_id(), v2.template_key_id());
        let small = Params::new(64, 1, 1).unwrap();
        let hash = |k: &SiteHashKey| {
            k.pin_hasher()
                .with_params(small)
                .hash_with_salt(b"u", b"483920", &[7; 16])
                .unwrap()
                .as_str()
                .to_string()
        };
        let other = SiteHashKey::enable(&HashKey::new(NEXT).unwrap());
        let hashes = vec![
            ("alice", hash(&v1)),
            ("bob", hash(&v2)),
            ("carol", hash(&other)),
            ("dave", "not a hash".to_string()),
        ];
        let id = TemplateId::new(b"alice", b"finger-1");
        let templates = vec![
            ("t1", v1.seal_template(&id, b"x").unwrap()),
            ("t2", v2.seal_template(&id, b"x").unwrap()),
            ("t3", other.seal_template(&id, b"x").unwrap()),
            ("t4", vec![0u8; 3]),
        ];
        let c = census(&[v1.clone(), v2.clone()], hashes, templates);
        assert_eq!(c.keys, [v1.name(), v2.name()]);
        assert_eq!(
            c.template_key_ids,
            [v1.template_key_id(), v2.template_key_id()]
        );
        assert_eq!(c.hashes[0], ("alice", Located::Held(0)));
        assert_eq!(c.hashes[1], ("bob", Located::Held(1)));
        assert_eq!(c.hashes[2], ("carol", Located::Other(other.key_id())));
        assert!(matches!(c.hashes[3], ("dave", Located::Malformed(_))));
        assert_eq!(c.templates[0], ("t1", Located::Held(0)));
        assert_eq!(c.templates[1], ("t2", Located::Held(1)));
        assert_eq!(
            c.templates[2],
            ("t3", Located::Other(other.template_key_id()))
        );
        assert!(matches!(c.templates[3], ("t4", Located::Malformed(_))));
        assert_eq!(
            (c.count(0), c.count(1), c.other()),
            ((1, 1), (1, 1), (1, 1))
        );
        assert_eq!(
            v1.name().to_string(),
            std::format!("{} (derivation 1)", v1.key_id())
        );
    }

    #[test]
    fn one_hashkey_migrates_from_derivation_1_to_2() {
        let text = HashKey::new(SITE).unwrap();
        let v1 = SiteHashKey::enable(&text);
        let v2 = SiteHashKey::enable(&keyward_pinhash::stretch_hash_key(&text).unwrap());
        let id = TemplateId::new(b"alice", b"finger-1");
        let templates = vec![(id.clone(), v1.seal_template(&id, b"minutiae").unwrap())];
        let m = migrate(
            &v1,
            &v2,
            templates,
            Vec::<(String, String)>::new(),
            AcceptReenrolment::No,
            |_| {},
        )
        .unwrap();
        assert_eq!((m.from, m.to), (v1.name(), v2.name()));
        let r = &m.templates.resealed[0];
        assert_eq!(&v2.open_template(&r.id, &r.blob).unwrap()[..], b"minutiae");
        assert!(
            m.to_string().starts_with(&std::format!(
                "HashKey {} (derivation 1) -> {} (derivation 2)",
                v1.key_id(),
                v2.key_id()
            )),
            "{m}"
        );
    }
}
