//! The Super PIN Repository: escrow of users' Super PIN recovery data under a
//! key derived from the account's Master Password.
//!
//! * The repository key is `Argon2id(Master Password, own 16-byte salt,
//!   stored parameters)` (32 bytes). A Master Password of fewer than 20
//!   characters is refused.
//! * A 16-byte check tag (the AES-256-SIV of an empty plaintext with
//!   AD = [repository id, `repository-check`]) tells a wrong Master Password
//!   from a damaged entry.
//! * What is escrowed for a user is not the Super PIN but the key-encryption
//!   key of the Super PIN slot, `SuperPin::derive_key(AccountSlot)`, wrapped
//!   with AD = [repository id, `escrow`, account id]. It opens exactly the
//!   user's Super PIN slot; the manager never sees the Super PIN.
//! * A manager who opens the repository issues a one-time Recovery Code:
//!   escrowed KEK → Super PIN slot → master key → new Recovery Code slot.
//!
//! **Changing the Master Password re-keys the repository**: it is opened
//! with the current Master Password, every entry is unwrapped and re-wrapped
//! under the key derived from the new password with a new salt, and a new
//! check tag is written. If any entry fails to unwrap nothing changes. (The
//! alternative, deleting the escrow and re-enrolling every user, would need
//! every user's Super PIN again.)
//!
//! Escrowing needs the open repository (the Master Password): the escrow is
//! symmetric, so a user cannot deposit without it. A public-key deposit is
//! out of scope.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use keyward_core::{Aes256Key, SecretBytes};
use rand_core::CryptoRng;

use crate::account::AccountKeys;
use crate::codes::{KeyPurpose, RecoveryCode, SuperPin};
use crate::error::{Error, Record, Result};
use crate::wire::{self, Reader};
use crate::wrap::{self, Argon2Params, WRAPPED_LEN};

/// Magic bytes of a [`Repository`] record.
pub const REPOSITORY_MAGIC: &[u8; 4] = b"KWSR";
/// Record format version.
pub const REPOSITORY_FORMAT_VERSION: u8 = 1;
/// Minimum Master Password length in characters.
pub const MIN_MASTER_PASSWORD_CHARS: usize = 20;
/// Most entries a repository record may hold.
pub const MAX_ENTRIES: usize = 65_535;

const CHECK_LABEL: &[u8] = b"repository-check";
const ESCROW_LABEL: &[u8] = b"escrow";

#[derive(Clone, PartialEq, Eq)]
struct Entry {
    account_id: Vec<u8>,
    wrapped: [u8; WRAPPED_LEN],
}

/// A Super PIN Repository (sealed; holds no secret in the clear).
#[derive(Clone, PartialEq, Eq)]
pub struct Repository {
    id: Vec<u8>,
    params: Argon2Params,
    salt: [u8; 16],
    check: [u8; 16],
    entries: Vec<Entry>,
}

/// A repository opened with its Master Password: holds the repository key
/// (zeroized on drop).
pub struct OpenRepository<'a> {
    repo: &'a mut Repository,
    key: SecretBytes<32>,
}

fn check_master_password(master_password: &str) -> Result<()> {
    let found = master_password.chars().count();
    if found < MIN_MASTER_PASSWORD_CHARS {
        return Err(Error::MasterPasswordLength {
            found,
            min: MIN_MASTER_PASSWORD_CHARS,
        });
    }
    Ok(())
}

impl Repository {
    /// Creates an empty repository for account (organisation) `id`.
    ///
    /// # Errors
    /// [`Error::MasterPasswordLength`] under 20 characters;
    /// [`Error::IdLength`]; Argon2 errors.
    pub fn create<R: CryptoRng + ?Sized>(
        id: &[u8],
        master_password: &str,
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<Self> {
        wire::check_id(id)?;
        check_master_password(master_password)?;
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let key = wrap::stretch(&params, master_password.as_bytes(), &salt)?;
        let check = wrap::check_tag(&key, &[id, CHECK_LABEL])?;
        Ok(Self {
            id: id.to_vec(),
            params,
            salt,
            check,
            entries: Vec::new(),
        })
    }

    /// The repository id.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// Number of escrowed accounts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is escrowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `account_id` is escrowed.
    pub fn contains(&self, account_id: &[u8]) -> bool {
        self.entries.iter().any(|e| e.account_id == account_id)
    }

    /// Opens the repository with its Master Password.
    ///
    /// # Errors
    /// [`Error::MasterPasswordLength`]; [`Error::MasterPassword`] if it is
    /// not this repository's; Argon2 errors.
    pub fn open(&mut self, master_password: &str) -> Result<OpenRepository<'_>> {
        check_master_password(master_password)?;
        let key = wrap::stretch(&self.params, master_password.as_bytes(), &self.salt)?;
        let check = wrap::check_tag(&key, &[&self.id, CHECK_LABEL])?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&check[..], &self.check[..])) {
            return Err(Error::MasterPassword);
        }
        Ok(OpenRepository { repo: self, key })
    }

    /// The versioned record (format in `docs/formats.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entries.len() * 64);
        out.extend_from_slice(REPOSITORY_MAGIC);
        out.push(REPOSITORY_FORMAT_VERSION);
        wire::put_id(&mut out, &self.id);
        wire::put_params(&mut out, &self.params);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.check);
        out.extend_from_slice(&u16::try_from(self.entries.len()).unwrap_or(0).to_be_bytes());
        for e in &self.entries {
            wire::put_id(&mut out, &e.account_id);
            out.extend_from_slice(&e.wrapped);
        }
        out
    }

    /// Reads a record written by [`Repository::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::Magic`], [`Error::RecordVersion`],
    /// [`Error::Field`], [`Error::TrailingBytes`]: never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader::new(data, Record::Repository);
        r.header(REPOSITORY_MAGIC, REPOSITORY_FORMAT_VERSION)?;
        let id = r.id("repository id length")?.to_vec();
        let params = r.argon2_params()?;
        let salt = r.array::<16>()?;
        let check = r.array::<16>()?;
        let n = usize::from(r.u16()?);
        // Each entry takes at least 50 bytes: don't pre-allocate more than
        // the record can hold.
        let mut entries: Vec<Entry> = Vec::with_capacity(n.min(data.len() / 50));
        // Ids seen so far, borrowed from `data`: O(log n) per entry, so a
        // record of 65,535 entries is not O(n²) work for whoever reads it.
        let mut seen: BTreeSet<&[u8]> = BTreeSet::new();
        for _ in 0..n {
            let at = r.pos();
            let account_id = r.id("account id length")?;
            if !seen.insert(account_id) {
                return Err(r.field(at, "account id (duplicate)"));
            }
            entries.push(Entry {
                account_id: account_id.to_vec(),
                wrapped: r.array::<WRAPPED_LEN>()?,
            });
        }
        r.finish()?;
        Ok(Self {
            id,
            params,
            salt,
            check,
            entries,
        })
    }
}

impl OpenRepository<'_> {
    fn escrow_ad<'b>(&'b self, account_id: &'b [u8]) -> [&'b [u8]; 3] {
        [&self.repo.id, ESCROW_LABEL, account_id]
    }

    /// Escrows the Super PIN recovery data of `keys`' account. The Super PIN
    /// is first checked against the account's Super PIN slot.
    ///
    /// # Errors
    /// [`Error::NoSuperPin`], [`Error::Unlock`] if the Super PIN does not
    /// open the slot; [`Error::AlreadyEscrowed`] (remove the old entry
    /// first); [`Error::RepositoryFull`].
    pub fn escrow(&mut self, keys: &AccountKeys, pin: &SuperPin) -> Result<()> {
        let kek = pin.derive_key(KeyPurpose::AccountSlot);
        keys.unlock_with_super_pin_kek(&kek)?;
        if self.repo.contains(keys.account_id()) {
            return Err(Error::AlreadyEscrowed);
        }
        if self.repo.entries.len() >= MAX_ENTRIES {
            return Err(Error::RepositoryFull { max: MAX_ENTRIES });
        }
        let wrapped = wrap::wrap(
            &self.key,
            &self.escrow_ad(keys.account_id()),
            kek.expose_secret(),
        )?;
        self.repo.entries.push(Entry {
            account_id: keys.account_id().to_vec(),
            wrapped,
        });
        Ok(())
    }

    /// Deletes the escrow of `account_id`; returns whether there was one.
    pub fn remove(&mut self, account_id: &[u8]) -> bool {
        let before = self.repo.entries.len();
        self.repo.entries.retain(|e| e.account_id != account_id);
        before != self.repo.entries.len()
    }

    fn escrowed_kek(&self, account_id: &[u8]) -> Result<SecretBytes<32>> {
        let entry = self
            .repo
            .entries
            .iter()
            .find(|e| e.account_id == account_id)
            .ok_or(Error::NotEscrowed)?;
        wrap::unwrap(&self.key, &self.escrow_ad(account_id), &entry.wrapped)
            .ok_or(Error::EscrowEntry)
    }

    /// Issues a one-time Recovery Code for the account of `keys`: adds a
    /// Recovery Code slot to `keys` (persist it) and returns the code to
    /// hand to the user.
    ///
    /// # Errors
    /// [`Error::NotEscrowed`]; [`Error::Unlock`] if the account's Super PIN
    /// slot no longer matches the escrow (the Super PIN was replaced);
    /// [`Error::EscrowEntry`] for a damaged entry; [`Error::TooManyRecoveryCodes`].
    pub fn issue_recovery_code<R: CryptoRng + ?Sized>(
        &self,
        keys: &mut AccountKeys,
        rng: &mut R,
    ) -> Result<RecoveryCode> {
        let kek = self.escrowed_kek(keys.account_id())?;
        let master: Aes256Key = keys.unlock_with_super_pin_kek(&kek)?;
        keys.add_recovery_code(&master, rng)
    }

    /// Re-keys the repository under a new Master Password (new salt, the
    /// given parameters). Nothing changes if an entry fails to unwrap.
    ///
    /// # Errors
    /// [`Error::MasterPasswordLength`]; Argon2 errors; [`Error::EscrowEntry`]
    /// for a damaged entry.
    pub fn change_master_password<R: CryptoRng + ?Sized>(
        &mut self,
        new_master_password: &str,
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<()> {
        check_master_password(new_master_password)?;
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let new_key = wrap::stretch(&params, new_master_password.as_bytes(), &salt)?;
        let mut entries = Vec::with_capacity(self.repo.entries.len());
        for e in &self.repo.entries {
            let kek = self.escrowed_kek(&e.account_id)?;
            let wrapped = wrap::wrap(
                &new_key,
                &[&self.repo.id, ESCROW_LABEL, &e.account_id],
                kek.expose_secret(),
            )?;
            entries.push(Entry {
                account_id: e.account_id.clone(),
                wrapped,
            });
        }
        let check = wrap::check_tag(&new_key, &[&self.repo.id, CHECK_LABEL])?;
        self.repo.params = params;
        self.repo.salt = salt;
        self.repo.check = check;
        self.repo.entries = entries;
        self.key = new_key;
        Ok(())
    }
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("id", &format_args!("\"{}\"", self.id.escape_ascii()))
            .field("params", &self.params)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl fmt::Debug for OpenRepository<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenRepository")
            .field("repository", &self.repo)
            .field("key", &"[REDACTED]")
            .finish()
    }
}
