//! A keyring of database keys with one primary: open under any held key,
//! seal under the primary, re-seal old BLOBs, migrate a batch.

use keyward_core::KeyId;

use crate::derive::{DatabaseKey, RecordId};
use crate::error::{Error, KeyIdList, MAX_KEYS, Result};
use crate::format::{Header, NONCE_LEN};

/// Up to [`MAX_KEYS`] database keys, one of them primary. Needs no
/// allocation.
#[derive(Debug, Clone)]
pub struct Keyring {
    primary: DatabaseKey,
    older: [Option<DatabaseKey>; MAX_KEYS - 1],
}

/// What [`Keyring::reseal_in_place`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// The BLOB was sealed under another held key and is now sealed under
    /// the primary.
    Resealed {
        /// The key id it was sealed under.
        from: KeyId,
        /// The primary key id it is sealed under now.
        to: KeyId,
    },
    /// The BLOB was already sealed under the primary (and authentic); it is
    /// unchanged.
    AlreadyCurrent,
}

impl Keyring {
    /// A keyring holding `primary` only.
    pub fn new(primary: DatabaseKey) -> Self {
        Self {
            primary,
            older: Default::default(),
        }
    }

    /// Adds an older key, for opening only.
    ///
    /// # Errors
    /// [`Error::DuplicateKeyId`], [`Error::KeyringFull`].
    pub fn add(&mut self, key: DatabaseKey) -> Result<()> {
        let id = key.key_id();
        if self.get(id).is_some() {
            return Err(Error::DuplicateKeyId { id });
        }
        let slot = self
            .older
            .iter_mut()
            .find(|k| k.is_none())
            .ok_or(Error::KeyringFull)?;
        *slot = Some(key);
        Ok(())
    }

    /// Adds a key and makes it the primary; the old primary stays, for
    /// opening.
    ///
    /// # Errors
    /// [`Error::DuplicateKeyId`], [`Error::KeyringFull`].
    pub fn add_primary(&mut self, key: DatabaseKey) -> Result<()> {
        let id = key.key_id();
        self.add(key)?;
        self.set_primary(id)
    }

    /// Makes the held key `id` the primary.
    ///
    /// # Errors
    /// [`Error::KeyIdNotHeld`].
    pub fn set_primary(&mut self, id: KeyId) -> Result<()> {
        if self.primary.key_id() == id {
            return Ok(());
        }
        let held = self.ids();
        let slot = self
            .older
            .iter_mut()
            .find(|k| k.as_ref().is_some_and(|k| k.key_id() == id))
            .ok_or(Error::KeyIdNotHeld { found: id, held })?;
        if let Some(k) = slot.as_mut() {
            core::mem::swap(k, &mut self.primary);
        }
        Ok(())
    }

    /// The primary key.
    pub const fn primary(&self) -> &DatabaseKey {
        &self.primary
    }

    /// The held key with id `id`.
    pub fn get(&self, id: KeyId) -> Option<&DatabaseKey> {
        core::iter::once(&self.primary)
            .chain(self.older.iter().flatten())
            .find(|k| k.key_id() == id)
    }

    /// The held key ids, primary first.
    pub fn ids(&self) -> KeyIdList {
        let mut list = KeyIdList::new();
        for k in core::iter::once(&self.primary).chain(self.older.iter().flatten()) {
            list.push(k.key_id());
        }
        list
    }

    /// The key a sealed BLOB names, and its parsed header.
    ///
    /// # Errors
    /// Header errors ([`Header::parse`]); [`Error::KeyIdNotHeld`] naming the
    /// id found and the ids held.
    pub fn key_for(&self, blob: &[u8]) -> Result<(&DatabaseKey, Header)> {
        let header = Header::parse(blob)?;
        match self.get(header.key_id) {
            Some(k) => Ok((k, header)),
            None => Err(Error::KeyIdNotHeld {
                found: header.key_id,
                held: self.ids(),
            }),
        }
    }

    /// Seals under the primary key ([`DatabaseKey::seal_in_place`]).
    ///
    /// # Errors
    /// As [`DatabaseKey::seal_in_place`].
    pub fn seal_in_place(
        &self,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        self.primary()
            .seal_in_place(record, nonce, buf, plaintext_len)
    }

    /// Opens under whichever held key the header names
    /// ([`DatabaseKey::open_in_place`]).
    ///
    /// # Errors
    /// As [`DatabaseKey::open_in_place`].
    pub fn open_in_place<'b>(
        &self,
        record: &RecordId<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b mut [u8]> {
        let (key, header) = self.key_for(buf)?;
        key.open_parsed(&header, record, buf)
    }

    /// Opens `buf[..len]` under any held key and seals it again under the
    /// primary, in place. A nonce, if present, is kept (it is fresh for the
    /// new key), so the length does not change. On error `buf` is
    /// unchanged.
    ///
    /// # Errors
    /// As [`Self::open_in_place`].
    pub fn reseal_in_place(&self, record: &RecordId<'_>, buf: &mut [u8]) -> Result<Reseal> {
        let (key, header) = self.key_for(buf)?;
        let primary = self.primary();
        let from = header.key_id;
        let len = buf.len();
        let plaintext_len = key.open_parsed(&header, record, buf)?.len();
        let start = len.saturating_sub(plaintext_len);
        buf.copy_within(start.., 0);
        // Same header length and plaintext length: the sealed BLOB fits.
        primary.seal_in_place(record, header.nonce.as_ref(), buf, plaintext_len)?;
        if from == primary.key_id() {
            Ok(Reseal::AlreadyCurrent)
        } else {
            Ok(Reseal::Resealed {
                from,
                to: primary.key_id(),
            })
        }
    }

    /// Seals under the primary key, deterministically.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`].
    #[cfg(feature = "alloc")]
    pub fn seal(&self, record: &RecordId<'_>, plaintext: &[u8]) -> Result<alloc::vec::Vec<u8>> {
        self.primary().seal(record, plaintext)
    }

    /// Seals under the primary key with a random nonce.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`].
    #[cfg(feature = "alloc")]
    pub fn seal_randomized<R: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        record: &RecordId<'_>,
        plaintext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>> {
        self.primary().seal_randomized(rng, record, plaintext)
    }

    /// Opens under whichever held key the header names.
    ///
    /// # Errors
    /// As [`DatabaseKey::open_in_place`].
    #[cfg(feature = "alloc")]
    pub fn open(
        &self,
        record: &RecordId<'_>,
        blob: &[u8],
    ) -> Result<zeroize::Zeroizing<alloc::vec::Vec<u8>>> {
        let (key, _) = self.key_for(blob)?;
        key.open(record, blob)
    }

    /// Re-seals a BLOB under the primary: returns the new BLOB (equal to the
    /// old one when it was already current) and what was done. The input is
    /// not modified.
    ///
    /// # Errors
    /// As [`Self::open_in_place`].
    #[cfg(feature = "alloc")]
    pub fn reseal(
        &self,
        record: &RecordId<'_>,
        blob: &[u8],
    ) -> Result<(alloc::vec::Vec<u8>, Reseal)> {
        let mut buf = alloc::vec::Vec::from(blob);
        match self.reseal_in_place(record, &mut buf) {
            Ok(r) => Ok((buf, r)),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut buf);
                Err(e)
            }
        }
    }

    /// Migrates a batch: every BLOB is opened under any held key and
    /// re-sealed under the primary. `progress` is called after each record.
    /// Nothing is lost: a record that fails comes back untouched in
    /// [`Migration::failed`] with the reason.
    #[cfg(feature = "alloc")]
    pub fn migrate<K, I, F>(&self, records: I, mut progress: F) -> Migration<K>
    where
        K: RecordIdentity,
        I: IntoIterator<Item = (K, alloc::vec::Vec<u8>)>,
        F: FnMut(&Progress),
    {
        let mut m = Migration {
            resealed: alloc::vec::Vec::new(),
            current: alloc::vec::Vec::new(),
            failed: alloc::vec::Vec::new(),
        };
        let mut p = Progress::default();
        for (id, blob) in records {
            let result = self.reseal(&id.record_id(), &blob);
            p.done = p.done.saturating_add(1);
            match result {
                Ok((new_blob, Reseal::Resealed { from, .. })) => {
                    p.resealed = p.resealed.saturating_add(1);
                    p.last = Some(Ok(Reseal::Resealed {
                        from,
                        to: self.primary().key_id(),
                    }));
                    m.resealed.push(Resealed {
                        id,
                        blob: new_blob,
                        from,
                    });
                }
                Ok((_, Reseal::AlreadyCurrent)) => {
                    p.current = p.current.saturating_add(1);
                    p.last = Some(Ok(Reseal::AlreadyCurrent));
                    m.current.push((id, blob));
                }
                Err(error) => {
                    p.failed = p.failed.saturating_add(1);
                    p.last = Some(Err(error));
                    m.failed.push(Failed { id, blob, error });
                }
            }
            progress(&p);
        }
        m
    }
}

/// A record that can name its identity, for [`Keyring::migrate`].
pub trait RecordIdentity {
    /// The record's identity.
    fn record_id(&self) -> RecordId<'_>;
}

/// An owned record identity.
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedRecordId {
    /// BLOB kind.
    pub kind: crate::BlobKind,
    /// Serial number.
    pub serial: alloc::vec::Vec<u8>,
    /// Application name.
    pub application: alloc::vec::Vec<u8>,
    /// Caller context.
    pub context: alloc::vec::Vec<u8>,
}

#[cfg(feature = "alloc")]
impl RecordIdentity for OwnedRecordId {
    fn record_id(&self) -> RecordId<'_> {
        RecordId {
            kind: self.kind,
            serial: &self.serial,
            application: &self.application,
            context: &self.context,
        }
    }
}

#[cfg(feature = "alloc")]
impl From<RecordId<'_>> for OwnedRecordId {
    fn from(r: RecordId<'_>) -> Self {
        Self {
            kind: r.kind,
            serial: r.serial.into(),
            application: r.application.into(),
            context: r.context.into(),
        }
    }
}

/// Progress of a [`Keyring::migrate`] run, after each record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records processed so far.
    pub done: usize,
    /// Of which re-sealed under the primary.
    pub resealed: usize,
    /// Of which already current.
    pub current: usize,
    /// Of which failed.
    pub failed: usize,
    /// The outcome of the last record.
    pub last: Option<Result<Reseal>>,
}

/// A record re-sealed by [`Keyring::migrate`].
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resealed<K> {
    /// The record.
    pub id: K,
    /// Its new BLOB, sealed under the primary.
    pub blob: alloc::vec::Vec<u8>,
    /// The key id it was sealed under.
    pub from: KeyId,
}

/// A record [`Keyring::migrate`] could not re-seal.
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed<K> {
    /// The record.
    pub id: K,
    /// Its BLOB, untouched.
    pub blob: alloc::vec::Vec<u8>,
    /// Why.
    pub error: Error,
}

/// The result of [`Keyring::migrate`].
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration<K> {
    /// Re-sealed under the primary: write these back.
    pub resealed: alloc::vec::Vec<Resealed<K>>,
    /// Already under the primary: nothing to write.
    pub current: alloc::vec::Vec<(K, alloc::vec::Vec<u8>)>,
    /// Not re-sealed, with the reason; BLOBs untouched.
    pub failed: alloc::vec::Vec<Failed<K>>,
}

#[cfg(feature = "alloc")]
impl<K> Migration<K> {
    /// Records processed.
    pub fn total(&self) -> usize {
        self.resealed.len() + self.current.len() + self.failed.len()
    }
}

#[cfg(feature = "alloc")]
impl<K> core::fmt::Display for Migration<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} records: {} resealed, {} already current, {} failed",
            self.total(),
            self.resealed.len(),
            self.current.len(),
            self.failed.len()
        )
    }
}
