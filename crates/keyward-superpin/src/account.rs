//! Account recovery slots: the account's 32-byte master key wrapped under a
//! password, a Super PIN and one-time Recovery Codes.
//!
//! Every slot is `AES-256-SIV(siv_key(KEK), AD = [account id, slot label],
//! master key)` (see [`crate::wrap`]), with
//!
//! | slot | KEK | AD slot label |
//! |---|---|---|
//! | password | Argon2id(password, own 16-byte salt, stored parameters) | `password` |
//! | Super PIN | `SuperPin::derive_key(AccountSlot)` | `super-pin` |
//! | Recovery Code | `RecoveryCode::derive_key(AccountSlot)` | `recovery-code` |
//!
//! A Recovery Code slot is found by its non-secret id, the first 8 bytes of
//! `RecoveryCode::derive_key(SlotId)`. Using a Recovery Code removes its slot
//! and remembers its id (the 32 most recent), so a second use is reported as
//! such. The caller persists the new state ([`AccountKeys::to_bytes`]).

use alloc::vec::Vec;
use core::fmt;

use keyward_core::{Aes256Key, SecretBytes};
use rand_core::CryptoRng;

use crate::codes::{KeyPurpose, RecoveryCode, SuperPin};
use crate::error::{Error, Record, Result, SlotKind};
use crate::wire::{self, Reader};
use crate::wrap::{self, Argon2Params, WRAPPED_LEN};

/// Magic bytes of an [`AccountKeys`] record.
pub const ACCOUNT_KEYS_MAGIC: &[u8; 4] = b"KWAK";
/// Record format version.
pub const ACCOUNT_KEYS_FORMAT_VERSION: u8 = 1;
/// Most unused Recovery Code slots an account may hold.
pub const MAX_RECOVERY_CODES: usize = 16;
/// Most used Recovery Code ids remembered (older ones are forgotten).
pub const MAX_USED_IDS: usize = 32;

/// How a caller proves the right to change the password.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// The current password.
    Password(&'a [u8]),
    /// The Super PIN.
    SuperPin(&'a SuperPin),
    /// A one-time Recovery Code (its slot is consumed).
    RecoveryCode(&'a RecoveryCode),
}

impl fmt::Debug for Proof<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Proof::Password([REDACTED])"),
            Self::SuperPin(_) => f.write_str("Proof::SuperPin([REDACTED])"),
            Self::RecoveryCode(_) => f.write_str("Proof::RecoveryCode([REDACTED])"),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
struct PasswordSlot {
    params: Argon2Params,
    salt: [u8; 16],
    wrapped: [u8; WRAPPED_LEN],
}

#[derive(Clone, PartialEq, Eq)]
struct RecoverySlot {
    id: [u8; 8],
    wrapped: [u8; WRAPPED_LEN],
}

/// An account's wrapped master key and its recovery slots.
///
/// Holds no secret in the clear: every slot is wrapped. `Debug` shows the
/// account id and which slots exist.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKeys {
    account_id: Vec<u8>,
    password: PasswordSlot,
    super_pin: Option<[u8; WRAPPED_LEN]>,
    recovery: Vec<RecoverySlot>,
    used: Vec<[u8; 8]>,
}

fn recovery_slot_id(code: &RecoveryCode) -> [u8; 8] {
    let full = code.derive_key(KeyPurpose::SlotId);
    let mut id = [0u8; 8];
    id.copy_from_slice(full.expose_secret().get(..8).unwrap_or(&[0u8; 8]));
    id
}

impl AccountKeys {
    /// Creates the record for a new account with a fresh random master key,
    /// protected by `password`. Returns the record and the master key.
    ///
    /// # Errors
    /// [`Error::IdLength`] unless the id is 1..=255 bytes; Argon2 errors.
    pub fn create<R: CryptoRng + ?Sized>(
        account_id: &[u8],
        password: &[u8],
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<(Self, Aes256Key)> {
        let master = Aes256Key::generate(rng);
        let keys = Self::with_master_key(account_id, &master, password, params, rng)?;
        Ok((keys, master))
    }

    /// Creates the record for an existing master key.
    ///
    /// # Errors
    /// As [`AccountKeys::create`].
    pub fn with_master_key<R: CryptoRng + ?Sized>(
        account_id: &[u8],
        master: &Aes256Key,
        password: &[u8],
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<Self> {
        wire::check_id(account_id)?;
        let password = Self::password_slot(account_id, master, password, params, rng)?;
        Ok(Self {
            account_id: account_id.to_vec(),
            password,
            super_pin: None,
            recovery: Vec::new(),
            used: Vec::new(),
        })
    }

    fn ad(account_id: &[u8], kind: SlotKind) -> [&[u8]; 2] {
        [account_id, kind.label().as_bytes()]
    }

    fn password_slot<R: CryptoRng + ?Sized>(
        account_id: &[u8],
        master: &Aes256Key,
        password: &[u8],
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<PasswordSlot> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let kek = wrap::stretch(&params, password, &salt)?;
        let wrapped = wrap::wrap(
            &kek,
            &Self::ad(account_id, SlotKind::Password),
            master.expose_secret(),
        )?;
        Ok(PasswordSlot {
            params,
            salt,
            wrapped,
        })
    }

    fn open(
        &self,
        kek: &SecretBytes<32>,
        kind: SlotKind,
        wrapped: &[u8; WRAPPED_LEN],
    ) -> Result<Aes256Key> {
        let key = wrap::unwrap(kek, &Self::ad(&self.account_id, kind), wrapped)
            .ok_or(Error::Unlock { slot: kind })?;
        // Copied from the unwrapped key (wiped when `key` drops) straight into
        // the new key: no temporary array left on the stack.
        Aes256Key::from_slice(key.expose_secret()).map_err(|_| Error::Unlock { slot: kind })
    }

    /// The account id (the first associated-data item of every slot).
    pub fn account_id(&self) -> &[u8] {
        &self.account_id
    }

    /// The Argon2id parameters of the password slot.
    pub const fn password_params(&self) -> Argon2Params {
        self.password.params
    }

    /// Whether a Super PIN has been activated.
    pub const fn has_super_pin(&self) -> bool {
        self.super_pin.is_some()
    }

    /// Number of unused Recovery Code slots.
    pub fn recovery_code_count(&self) -> usize {
        self.recovery.len()
    }

    /// Unlocks the master key with the password.
    ///
    /// # Errors
    /// [`Error::Unlock`] (slot `Password`) if the password is wrong; Argon2
    /// errors.
    pub fn unlock_with_password(&self, password: &[u8]) -> Result<Aes256Key> {
        let kek = wrap::stretch(&self.password.params, password, &self.password.salt)?;
        self.open(&kek, SlotKind::Password, &self.password.wrapped)
    }

    /// Unlocks the master key with the Super PIN.
    ///
    /// # Errors
    /// [`Error::NoSuperPin`] if none is activated; [`Error::Unlock`] (slot
    /// `SuperPin`) if it is not this account's Super PIN.
    pub fn unlock_with_super_pin(&self, pin: &SuperPin) -> Result<Aes256Key> {
        self.unlock_with_super_pin_kek(&pin.derive_key(KeyPurpose::AccountSlot))
    }

    pub(crate) fn unlock_with_super_pin_kek(&self, kek: &SecretBytes<32>) -> Result<Aes256Key> {
        let wrapped = self.super_pin.as_ref().ok_or(Error::NoSuperPin)?;
        self.open(kek, SlotKind::SuperPin, wrapped)
    }

    /// Unlocks the master key with a one-time Recovery Code and removes its
    /// slot: persist the record afterwards. A second use fails with
    /// [`Error::RecoveryCodeUsed`].
    ///
    /// # Errors
    /// [`Error::RecoveryCodeUsed`], [`Error::RecoveryCodeUnknown`], or
    /// [`Error::Unlock`] (slot `RecoveryCode`) if the slot does not open.
    pub fn unlock_with_recovery_code(&mut self, code: &RecoveryCode) -> Result<Aes256Key> {
        let id = recovery_slot_id(code);
        let Some(index) = self.recovery.iter().position(|s| s.id == id) else {
            return Err(if self.used.contains(&id) {
                Error::RecoveryCodeUsed
            } else {
                Error::RecoveryCodeUnknown
            });
        };
        let wrapped = self
            .recovery
            .get(index)
            .map(|s| s.wrapped)
            .ok_or(Error::RecoveryCodeUnknown)?;
        let master = self.open(
            &code.derive_key(KeyPurpose::AccountSlot),
            SlotKind::RecoveryCode,
            &wrapped,
        )?;
        self.recovery.remove(index);
        if self.used.len() >= MAX_USED_IDS {
            self.used.remove(0);
        }
        self.used.push(id);
        Ok(master)
    }

    /// Checks a proof and returns the master key (consuming a Recovery Code).
    ///
    /// # Errors
    /// Those of the matching `unlock_with_*`.
    pub fn unlock(&mut self, proof: Proof<'_>) -> Result<Aes256Key> {
        match proof {
            Proof::Password(p) => self.unlock_with_password(p),
            Proof::SuperPin(p) => self.unlock_with_super_pin(p),
            Proof::RecoveryCode(c) => self.unlock_with_recovery_code(c),
        }
    }

    /// Activates (or replaces) the Super PIN after proof, and returns the
    /// new Super PIN to show to the user once.
    ///
    /// # Errors
    /// Those of [`AccountKeys::unlock`].
    pub fn activate_super_pin<R: CryptoRng + ?Sized>(
        &mut self,
        proof: Proof<'_>,
        rng: &mut R,
    ) -> Result<SuperPin> {
        let master = self.unlock(proof)?;
        let pin = SuperPin::generate(rng);
        let kek = pin.derive_key(KeyPurpose::AccountSlot);
        self.super_pin = Some(wrap::wrap(
            &kek,
            &Self::ad(&self.account_id, SlotKind::SuperPin),
            master.expose_secret(),
        )?);
        Ok(pin)
    }

    /// Adds a one-time Recovery Code slot for `master` (which the caller has
    /// unlocked) and returns the new code.
    pub(crate) fn add_recovery_code<R: CryptoRng + ?Sized>(
        &mut self,
        master: &Aes256Key,
        rng: &mut R,
    ) -> Result<RecoveryCode> {
        if self.recovery.len() >= MAX_RECOVERY_CODES {
            return Err(Error::TooManyRecoveryCodes {
                max: MAX_RECOVERY_CODES,
            });
        }
        let code = RecoveryCode::generate(rng);
        let wrapped = wrap::wrap(
            &code.derive_key(KeyPurpose::AccountSlot),
            &Self::ad(&self.account_id, SlotKind::RecoveryCode),
            master.expose_secret(),
        )?;
        self.recovery.push(RecoverySlot {
            id: recovery_slot_id(&code),
            wrapped,
        });
        Ok(code)
    }

    /// Issues a Recovery Code after proof (the escrow repository does the
    /// same with the escrowed Super PIN key).
    ///
    /// # Errors
    /// Those of [`AccountKeys::unlock`]; [`Error::TooManyRecoveryCodes`].
    pub fn issue_recovery_code<R: CryptoRng + ?Sized>(
        &mut self,
        proof: Proof<'_>,
        rng: &mut R,
    ) -> Result<RecoveryCode> {
        let master = self.unlock(proof)?;
        self.add_recovery_code(&master, rng)
    }

    /// Replaces the password after proof by the current password, the Super
    /// PIN or a Recovery Code (which is consumed). The new password slot has
    /// a new salt and the given parameters.
    ///
    /// On error the record is unchanged, except that a Recovery Code given
    /// as proof is consumed once it has opened its slot.
    ///
    /// # Errors
    /// Those of [`AccountKeys::unlock`]; Argon2 errors.
    pub fn change_password<R: CryptoRng + ?Sized>(
        &mut self,
        proof: Proof<'_>,
        new_password: &[u8],
        params: Argon2Params,
        rng: &mut R,
    ) -> Result<()> {
        wrap::check_params(&params)?;
        let master = self.unlock(proof)?;
        self.password = Self::password_slot(&self.account_id, &master, new_password, params, rng)?;
        Ok(())
    }

    /// The versioned record (format in `docs/formats.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.recovery.len() * 56);
        out.extend_from_slice(ACCOUNT_KEYS_MAGIC);
        out.push(ACCOUNT_KEYS_FORMAT_VERSION);
        wire::put_id(&mut out, &self.account_id);
        wire::put_params(&mut out, &self.password.params);
        out.extend_from_slice(&self.password.salt);
        out.extend_from_slice(&self.password.wrapped);
        match &self.super_pin {
            Some(w) => {
                out.push(1);
                out.extend_from_slice(w);
            }
            None => out.push(0),
        }
        out.push(u8::try_from(self.recovery.len()).unwrap_or(0));
        for s in &self.recovery {
            out.extend_from_slice(&s.id);
            out.extend_from_slice(&s.wrapped);
        }
        out.push(u8::try_from(self.used.len()).unwrap_or(0));
        for id in &self.used {
            out.extend_from_slice(id);
        }
        out
    }

    /// Reads a record written by [`AccountKeys::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::Magic`], [`Error::RecordVersion`],
    /// [`Error::Field`], [`Error::TrailingBytes`]: never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader::new(data, Record::AccountKeys);
        r.header(ACCOUNT_KEYS_MAGIC, ACCOUNT_KEYS_FORMAT_VERSION)?;
        let account_id = r.id("account id length")?.to_vec();
        let params = r.argon2_params()?;
        let salt = r.array::<16>()?;
        let wrapped = r.array::<WRAPPED_LEN>()?;
        let at = r.pos();
        let super_pin = match r.u8()? {
            0 => None,
            1 => Some(r.array::<WRAPPED_LEN>()?),
            _ => return Err(r.field(at, "Super PIN flag")),
        };
        let at = r.pos();
        let n = usize::from(r.u8()?);
        if n > MAX_RECOVERY_CODES {
            return Err(r.field(at, "Recovery Code slot count"));
        }
        let mut recovery = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.pos();
            let id = r.array::<8>()?;
            if recovery.iter().any(|s: &RecoverySlot| s.id == id) {
                return Err(r.field(at, "Recovery Code slot id (duplicate)"));
            }
            recovery.push(RecoverySlot {
                id,
                wrapped: r.array::<WRAPPED_LEN>()?,
            });
        }
        let at = r.pos();
        let n = usize::from(r.u8()?);
        if n > MAX_USED_IDS {
            return Err(r.field(at, "used Recovery Code count"));
        }
        let mut used = Vec::with_capacity(n);
        for _ in 0..n {
            used.push(r.array::<8>()?);
        }
        r.finish()?;
        Ok(Self {
            account_id,
            password: PasswordSlot {
                params,
                salt,
                wrapped,
            },
            super_pin,
            recovery,
            used,
        })
    }
}

impl fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKeys")
            .field(
                "account_id",
                &format_args!("\"{}\"", self.account_id.escape_ascii()),
            )
            .field("password_params", &self.password.params)
            .field("super_pin", &self.super_pin.is_some())
            .field("recovery_codes", &self.recovery.len())
            .field("used_recovery_codes", &self.used.len())
            .finish()
    }
}
