//! The ceremony: generate the backup key, split it k-of-n with SLIP-0039,
//! write one share per [`CardStore`], and read every k-subset back from the
//! stores before anyone leaves the room.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::num::NonZeroUsize;

use keyward_core::rand_core::CryptoRng;
use keyward_core::{Aes256Key, Kcv, KcvMethod};
use keyward_shamir::slip39;
use keyward_superpin::Argon2Params;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::SALT_LEN;
use super::error::{Error, Result, numbered};
use super::record::{SealParams, check_label};
use super::soft::MemoryCard;
use super::store::{CardStore, WriteMode};
use super::{DEFAULT_PIN, PASSPHRASE};

/// Options of a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOptions {
    /// Cards needed to rebuild the key (k).
    pub threshold: u8,
    /// Cards written (n).
    pub shares: u8,
    /// Argon2id parameters of the card PINs (default OWASP's, which is also
    /// the floor [`CARD_ARGON2_FLOOR`](super::CARD_ARGON2_FLOOR); anything
    /// below it needs [`allow_weak_argon2`](Self::allow_weak_argon2)).
    pub argon2: Argon2Params,
    /// Allow [`argon2`](Self::argon2) below the floor, marking every card
    /// written as a test card (tests and demos only; see
    /// [`weak_argon2_for_tests`](Self::weak_argon2_for_tests)).
    pub allow_weak_argon2: bool,
    /// SLIP-0039 iteration exponent (default 1, the standard's default).
    pub iteration_exponent: u8,
    /// Label prefix: cards are labelled "`prefix` card i of n".
    pub label_prefix: String,
    /// Whether a store that holds a share may be overwritten (default
    /// [`WriteMode::CreateNew`]: refused with
    /// [`StoreError::Exists`](super::StoreError::Exists)).
    pub write_mode: WriteMode,
}

impl BackupOptions {
    /// k-of-n with OWASP Argon2id and label prefix `backup`.
    ///
    /// # Errors
    /// [`Error::Threshold`] unless 2 ≤ k ≤ n ≤ 16.
    pub fn new(threshold: u8, shares: u8) -> Result<Self> {
        if threshold < 2 || shares < threshold || shares > 16 {
            return Err(Error::Threshold {
                k: threshold,
                n: shares,
            });
        }
        Ok(Self {
            threshold,
            shares,
            argon2: Argon2Params::OWASP,
            allow_weak_argon2: false,
            iteration_exponent: 1,
            label_prefix: String::from("backup"),
            write_mode: WriteMode::CreateNew,
        })
    }

    /// Tests and demos only: small Argon2id parameters (64 KiB, t = 1,
    /// p = 1), allowed below the floor. Every card written is marked as a
    /// test card (`docs/formats.md`, card record flags), and a recovery
    /// refuses it unless told
    /// ([`CardRecovery::allow_weak_argon2_for_tests`](super::CardRecovery::allow_weak_argon2_for_tests)):
    /// a copy of such a card falls to a search of all 6-digit PINs in
    /// minutes.
    #[must_use]
    pub const fn weak_argon2_for_tests(mut self) -> Self {
        self.argon2 = super::WEAK_TEST_ARGON2;
        self.allow_weak_argon2 = true;
        self
    }

    /// The label of card `number` (1-based).
    pub fn label(&self, number: u8) -> String {
        format!("{} card {number} of {}", self.label_prefix, self.shares)
    }
}

/// A backup staged on in-memory cards ([`create`]).
#[derive(Debug)]
pub struct Backup {
    /// The generated backup key.
    pub key: Aes256Key,
    /// Its KCV (AES-CMAC).
    pub kcv: Kcv,
    /// One card per share, in share order, all with PIN [`DEFAULT_PIN`].
    pub cards: Vec<MemoryCard>,
}

/// A backup written onto the caller's stores ([`create_on`]).
#[derive(Debug)]
pub struct Written {
    /// The generated backup key.
    pub key: Aes256Key,
    /// Its KCV (AES-CMAC).
    pub kcv: Kcv,
    /// The k-subsets of cards read back, each rebuilding the key.
    pub subsets: usize,
}

/// Generates a 32-byte AES key and stages it k-of-n on in-memory cards
/// with PIN [`DEFAULT_PIN`], read back ([`create_on`] on [`MemoryCard`]s).
///
/// # Errors
/// As [`create_on`].
pub fn create<R: CryptoRng + ?Sized>(opts: &BackupOptions, rng: &mut R) -> Result<Backup> {
    let mut cards = Vec::new();
    cards.resize_with(usize::from(opts.shares), MemoryCard::new);
    let w = create_on(opts, &mut cards, rng)?;
    Ok(Backup {
        key: w.key,
        kcv: w.kcv,
        cards,
    })
}

/// Generates a 32-byte AES key, writes one share per store (`stores[i]`
/// gets card i + 1, PIN [`DEFAULT_PIN`] — a token keeps its own user PIN,
/// [`CardStore::own_pin`] — refusing stores that hold a share unless
/// [`BackupOptions::write_mode`] says replace), then reads every k-subset
/// back from the stores
/// ([`verify_read_back`]).
///
/// # Errors
/// [`Error::Threshold`], [`Error::Stores`] unless there is one store per
/// share, [`Error::Label`], [`Error::Shamir`], a numbered [`Error::Card`]
/// (e.g. [`StoreError::Exists`](super::StoreError::Exists)),
/// [`Error::ReadBack`].
pub fn create_on<S, R>(opts: &BackupOptions, stores: &mut [S], rng: &mut R) -> Result<Written>
where
    S: CardStore,
    R: CryptoRng + ?Sized,
{
    let pins = alloc::vec![DEFAULT_PIN; stores.len()];
    create_on_with_pins(opts, stores, &pins, rng)
}

/// As [`create_on`], with card i + 1 sealed under `pins[i]` and read back
/// with it. Every PIN is checked against
/// [`NEW_PIN_POLICY`](super::NEW_PIN_POLICY) (except [`DEFAULT_PIN`],
/// the appliance default) before any card is written.
///
/// # Errors
/// As [`create_on`]; [`Error::Stores`] unless there is one PIN per store;
/// a numbered [`StoreError::NewPin`](super::StoreError::NewPin).
pub fn create_on_with_pins<S, R>(
    opts: &BackupOptions,
    stores: &mut [S],
    pins: &[&[u8]],
    rng: &mut R,
) -> Result<Written>
where
    S: CardStore,
    R: CryptoRng + ?Sized,
{
    let key = Aes256Key::generate(rng);
    write_cards_with_pins(&key, opts, stores, pins, rng)?;
    let typed: Vec<Option<&[u8]>> = pins.iter().map(|p| Some(*p)).collect();
    let subsets = verify_read_back_with_pins(stores, &typed)?;
    Ok(Written {
        kcv: key.kcv(),
        key,
        subsets,
    })
}

/// Splits an existing key onto the stores (no read-back: see
/// [`verify_read_back`]). The SLIP-0039 parameters are those of
/// `docs/formats.md` ("keyward (facade): card record"): one group of
/// k-of-n (group threshold 1), passphrase [`PASSPHRASE`] (empty),
/// extendable flag 1, iteration exponent from the options (default 1).
///
/// # Errors
/// As [`create_on`] except [`Error::ReadBack`]; [`Error::Argon2Floor`] for
/// parameters below the floor without
/// [`BackupOptions::allow_weak_argon2`].
pub fn write_cards<S, R>(
    key: &Aes256Key,
    opts: &BackupOptions,
    stores: &mut [S],
    rng: &mut R,
) -> Result<()>
where
    S: CardStore,
    R: CryptoRng + ?Sized,
{
    let pins = alloc::vec![DEFAULT_PIN; stores.len()];
    write_cards_with_pins(key, opts, stores, &pins, rng)
}

/// As [`write_cards`], with card i + 1 sealed under `pins[i]`.
///
/// # Errors
/// As [`create_on_with_pins`] except [`Error::ReadBack`].
pub fn write_cards_with_pins<S, R>(
    key: &Aes256Key,
    opts: &BackupOptions,
    stores: &mut [S],
    pins: &[&[u8]],
    rng: &mut R,
) -> Result<()>
where
    S: CardStore,
    R: CryptoRng + ?Sized,
{
    let _ = BackupOptions::new(opts.threshold, opts.shares)?;
    if !super::record::meets_card_floor(&opts.argon2) && !opts.allow_weak_argon2 {
        return Err(Error::Argon2Floor { found: opts.argon2 });
    }
    if stores.len() != usize::from(opts.shares) || pins.len() != stores.len() {
        return Err(Error::Stores {
            expected: usize::from(opts.shares),
            found: if pins.len() == stores.len() {
                stores.len()
            } else {
                pins.len()
            },
        });
    }
    for (i, (pin, store)) in pins.iter().zip(stores.iter()).enumerate() {
        // A store with its own PIN (a token's user PIN, or a PIN pad) is
        // sealed under that PIN, whatever `pins[i]` says: the token's rules
        // apply to it, not the new-PIN rule.
        let own = store.own_pin().is_some() || store.pin_entry() == super::PinEntry::PinPad;
        if *pin != DEFAULT_PIN && !own {
            super::soft::check_new_pin(Some(pin)).map_err(|e| numbered(e, card_no(i)))?;
        }
    }
    check_label(&opts.label(opts.shares))?;
    let mut params = slip39::Params::single(opts.threshold, opts.shares).map_err(Error::Shamir)?;
    params.iteration_exponent = opts.iteration_exponent;
    params.extendable = true;
    let groups =
        slip39::split(key.expose_secret(), PASSPHRASE, &params, rng).map_err(Error::Shamir)?;
    let kcv = key.kcv_with(KcvMethod::Cmac);
    for (((i, share), store), pin) in groups
        .iter()
        .flatten()
        .enumerate()
        .zip(stores.iter_mut())
        .zip(pins)
    {
        let label = opts.label(share.member_index().saturating_add(1));
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let p = SealParams {
            label: &label,
            share,
            shares: opts.shares,
            kcv: &kcv,
            argon2: opts.argon2,
            salt,
            pin,
            allow_weak_argon2: opts.allow_weak_argon2,
        };
        store
            .write_share(&p, opts.write_mode)
            .map_err(|e| numbered(e, card_no(i)))?;
    }
    Ok(())
}

/// 1-based card number of index `i`.
pub(super) fn card_no(i: usize) -> NonZeroUsize {
    NonZeroUsize::new(i.saturating_add(1)).unwrap_or(NonZeroUsize::MIN)
}

/// Read-back right after writing, as the appliance does: unlocks every store
/// with `pin` (a store with its own PIN, a token, with that; a PIN pad with
/// none) (a right PIN leaves the counters as they were), checks each
/// share against its header, then checks that every subset of `threshold`
/// cards rebuilds a key whose KCV matches the cards'. Returns the number of
/// subsets checked.
///
/// # Errors
/// A numbered [`Error::Card`] (wrong PIN, blocked, storage),
/// [`Error::HeaderMismatch`], [`Error::NotEnoughCards`], [`Error::ReadBack`]
/// naming the failing subset.
pub fn verify_read_back<S: CardStore>(stores: &mut [S], pin: Option<&[u8]>) -> Result<usize> {
    let pins = alloc::vec![pin; stores.len()];
    verify_read_back_with_pins(stores, &pins)
}

/// As [`verify_read_back`], unlocking card i + 1 with `pins[i]`.
///
/// # Errors
/// As [`verify_read_back`]; [`Error::Stores`] unless there is one PIN per
/// store.
pub fn verify_read_back_with_pins<S: CardStore>(
    stores: &mut [S],
    pins: &[Option<&[u8]>],
) -> Result<usize> {
    let n = stores.len();
    if pins.len() != n {
        return Err(Error::Stores {
            expected: pins.len(),
            found: n,
        });
    }
    let mut opened: Vec<Zeroizing<Vec<u8>>> = Vec::with_capacity(n);
    let mut first = None;
    for ((i, store), pin) in stores.iter_mut().enumerate().zip(pins) {
        let no = card_no(i);
        let header = store.read_header().map_err(|e| numbered(e, no))?;
        let own = super::store::pin_for(&*store, *pin);
        let share = store
            .unlock(own.as_deref().map(Vec::as_slice))
            .map_err(|e| numbered(e, no))?;
        super::recovery::parse_share(&share, &header, no)?;
        first.get_or_insert((header.threshold, header.kcv));
        opened.push(share);
    }
    let Some((k, kcv)) = first else {
        return Err(Error::NotEnoughCards { needed: 2, read: 0 });
    };
    let k = usize::from(k);
    if n < k || n > 16 {
        return Err(Error::NotEnoughCards { needed: k, read: n });
    }
    let mut checked = 0;
    for mask in 0u32..(1u32 << n) {
        if usize::try_from(mask.count_ones()).ok() != Some(k) {
            continue;
        }
        let fail = |source| Error::ReadBack {
            cards: mask,
            source,
        };
        let mut rec = slip39::Recovery::new();
        for (i, share) in opened.iter().enumerate() {
            if mask & (1 << i) != 0 {
                rec.add_bytes(share).map_err(|e| fail(Some(e)))?;
            }
        }
        let secret = rec.finish(PASSPHRASE).map_err(|e| fail(Some(e)))?;
        let key = Aes256Key::from_slice(secret.expose_secret()).map_err(|_| fail(None))?;
        let found = key.kcv_with(KcvMethod::Cmac);
        if !bool::from(found.bytes().ct_eq(kcv.bytes())) {
            return Err(fail(None));
        }
        checked += 1;
    }
    Ok(checked)
}
