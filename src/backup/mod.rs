//! The backup-key ceremony (`docs/design.md#backup-key-on-smart-cards`): a
//! 32-byte AES key split k-of-n with SLIP-0039 onto PIN-protected **cards**,
//! read back at once, and recovered later card by card with progress and
//! operator-language errors.
//!
//! A card lives in a [`CardStore`] (`docs/design.md#card-storage`): an
//! in-memory [`MemoryCard`], a card file `FileCard` (feature `std`), or a
//! PKCS#11 token implemented outside this crate. The ceremony
//! ([`create_on`], [`verify_read_back`]) and the recovery
//! ([`CardRecovery`]) use stores through the trait only; each store counts
//! PIN tries itself, before the expensive check.
//!
//! A soft card holds a [`Card`] record (format in `docs/formats.md`, section
//! "keyward (facade): card record"): label, set identifier, the backup key's
//! KCV and the wrong-PIN counter in the clear, the share's 42-byte bytes form
//! sealed with AES-256-SIV under a key derived from the card's PIN with
//! Argon2id at no less than [`CARD_ARGON2_FLOOR`] (OWASP's) outside tests.
//! A ceremony gives each card its PIN ([`create_on_with_pins`]) or the
//! appliance default [`DEFAULT_PIN`] ([`create_on`]), which the record
//! flags until [`CardStore::change_pin`] re-seals under a new one. What
//! cannot be a card PIN is refused by [`check_pin_shape`] before a card
//! counts a try.
//!
//! **The wrong-PIN counter of a soft card is advisory.** Three consecutive
//! wrong PINs block a card ([`MAX_WRONG_PINS`]) and a correct PIN resets the
//! count, but the counter lives in the record: whoever holds a copy of the
//! file can restore it and guess on (Argon2id makes each guess cost time and
//! memory, nothing more). A token keeps the counter in hardware and enforces
//! it; soft cards are for tests, demos and appliances that keep card files
//! in storage they trust.
//!
//! **Security.** The share is authenticated and encrypted (AES-256-SIV) with
//! every header field as associated data, so a label, set id, KCV or Argon2
//! parameter changed without the PIN makes the card refuse the PIN; after
//! unsealing, the share's own set id and member index must match the header
//! ([`Error::HeaderMismatch`]). The PIN key, the SIV key, opened shares and
//! the rebuilt key are zeroized on drop; KCVs, set ids and counters are
//! public. KCV comparisons use `subtle`. Argon2 parameters read from a card
//! are bounded by keyward-superpin's limits (at most 1 GiB), so a forged
//! card cannot make an unlock allocate without bound. The PIN itself is the
//! weak point: 6 digits are 10^6 guesses, and only a hardware counter stops
//! an offline attacker.
//!
//! ```
//! use keyward::backup::{self, BackupOptions, CardRecovery, DEFAULT_PIN};
//! # let mut rng = keyward::key::os_rng();
//! // Tests only (64 KiB, t = 1, every card marked as a test card); the
//! // default is OWASP's, which is also the floor.
//! let opts = BackupOptions::new(2, 3)?.weak_argon2_for_tests();
//! let made = backup::create(&opts, &mut rng)?; // read back before returning
//! let mut cards = made.cards;
//!
//! let mut rec = CardRecovery::new();
//! rec.allow_weak_argon2_for_tests(); // a test card is refused otherwise
//! let p = rec.add(&mut cards[2], Some(DEFAULT_PIN))?;
//! assert_eq!(p.to_string(), "card 1 of 2 read; 1 more needed");
//! // The same card again is named as such.
//! let again = rec.add(&mut cards[2], Some(DEFAULT_PIN)).unwrap_err();
//! assert_eq!(again.to_string(), "card 2 is the same card as card 1 (a copy of it?): read another card of the set");
//! rec.add(&mut cards[0], Some(DEFAULT_PIN))?;
//! let key = rec.finish()?;
//! assert_eq!(key.kcv(), made.key.kcv());
//! # Ok::<(), backup::Error>(())
//! ```

use keyward_pinhash::PinPolicy;
use keyward_superpin::Argon2Params;

mod ceremony;
mod crypto;
mod error;
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "fuzzing")]
mod fuzz;
mod pin;
mod record;
mod recovery;
mod soft;
mod store;

pub use ceremony::{
    Backup, BackupOptions, Written, create, create_on, create_on_with_pins, verify_read_back,
    verify_read_back_with_pins, write_cards, write_cards_with_pins,
};
pub use crypto::{SALT_LEN, SIV_KEY_INFO};
pub use error::{BoxedError, Damage, Error, Result, StoreError, TriesLeft};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use file::{FileCard, MAX_CARD_FILE_LEN};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use fuzz::fuzz_card_record;
pub use pin::{PIN_LINE_CAP, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PinShape, check_pin_shape};
pub use record::{
    CARD_ARGON2_FLOOR, CHECKSUM_LEN, Card, FLAG_DEFAULT_PIN, FLAG_WEAK_ARGON2_FOR_TESTS, MAGIC,
    MAX_LABEL_LEN, MAX_WRONG_PINS, SHARE_LEN, SealParams, VERSION, VERSION_1, meets_card_floor,
};
pub use recovery::{CardRecovery, Progress};
pub use soft::MemoryCard;
pub use store::{CardHeader, CardStore, PinEntry, WriteMode, copy_share, duplicate};

/// The PIN every new card ships with.
pub const DEFAULT_PIN: &[u8] = b"123456";

/// The SLIP-0039 passphrase of the backup-key shares: empty. The PIN guards
/// each card; a passphrase would be one more secret to keep for the key.
pub const PASSPHRASE: &[u8] = b"";

/// Small Argon2id parameters (64 KiB, t = 1, p = 1) for tests and the demo
/// only (a PIN guess then costs almost nothing): reached through
/// [`BackupOptions::weak_argon2_for_tests`], which also allows them.
pub(crate) const WEAK_TEST_ARGON2: Argon2Params = Argon2Params {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

/// The rule for a new PIN: 6 to 16 digits, no trivial PIN (so `123456`
/// cannot be kept by changing to it).
pub const NEW_PIN_POLICY: PinPolicy = PinPolicy {
    min_digits: 6,
    max_digits: 16,
    reject_trivial: true,
};
