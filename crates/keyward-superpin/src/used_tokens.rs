//! The server's record of redeemed Recovery URL tokens, so each token works
//! once (`docs/formats.md`, "Used Recovery URL tokens").
//!
//! An id is kept until its token expires; expired ids are dropped whenever
//! an id is added (an expired token is refused by its expiry anyway).
//!
//! ```text
//! "KWUT" ‖ version (1) = 1 ‖ count (u32 BE)
//! ‖ count × (token id (16) ‖ expires_at (u64 BE))     sorted by id, no duplicates
//! ```

use alloc::vec::Vec;

use crate::error::{Error, Record, Result};
use crate::wire::Reader;

/// Magic bytes of a [`UsedTokens`] record.
pub const USED_TOKENS_MAGIC: &[u8; 4] = b"KWUT";
/// Record format version.
pub const USED_TOKENS_FORMAT_VERSION: u8 = 1;
/// Most unexpired token ids a record holds.
pub const MAX_USED_TOKENS: usize = 1 << 20;

/// Redeemed token ids with their expiry, sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsedTokens {
    entries: Vec<([u8; 16], u64)>,
}

impl UsedTokens {
    /// An empty record.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Number of ids held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `id` has been redeemed (and not yet dropped as expired).
    pub fn contains(&self, id: &[u8; 16]) -> bool {
        self.entries.binary_search_by(|(e, _)| e.cmp(id)).is_ok()
    }

    /// Records `id` (of a token expiring at `expires_at`) as redeemed at
    /// `now`, first dropping the ids whose tokens have expired.
    ///
    /// # Errors
    /// [`Error::TokenUsed`] when `id` is already recorded (nothing changes);
    /// [`Error::UsedTokensFull`].
    pub fn insert(&mut self, id: [u8; 16], expires_at: u64, now: u64) -> Result<()> {
        self.entries.retain(|(_, exp)| *exp > now);
        match self.entries.binary_search_by(|(e, _)| e.cmp(&id)) {
            Ok(_) => Err(Error::TokenUsed),
            Err(_) if self.entries.len() >= MAX_USED_TOKENS => Err(Error::UsedTokensFull {
                max: MAX_USED_TOKENS,
            }),
            Err(at) => {
                self.entries.insert(at, (id, expires_at));
                Ok(())
            }
        }
    }

    /// The versioned record.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + 24 * self.entries.len());
        out.extend_from_slice(USED_TOKENS_MAGIC);
        out.push(USED_TOKENS_FORMAT_VERSION);
        // At most MAX_USED_TOKENS (2^20) entries.
        out.extend_from_slice(&u32::try_from(self.entries.len()).unwrap_or(0).to_be_bytes());
        for (id, exp) in &self.entries {
            out.extend_from_slice(id);
            out.extend_from_slice(&exp.to_be_bytes());
        }
        out
    }

    /// Reads a record written by [`UsedTokens::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::Magic`], [`Error::RecordVersion`],
    /// [`Error::Field`] (count over the maximum, ids not strictly
    /// increasing), [`Error::TrailingBytes`]: never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Self> {
        let mut r = Reader::new(data, Record::UsedTokens);
        r.header(USED_TOKENS_MAGIC, USED_TOKENS_FORMAT_VERSION)?;
        let at = r.pos();
        let n = usize::try_from(r.u32()?).unwrap_or(usize::MAX);
        if n > MAX_USED_TOKENS {
            return Err(r.field(at, "token count"));
        }
        // The count is checked against the bytes present before allocating.
        let needed = 9usize.saturating_add(n.saturating_mul(24));
        if data.len() < needed {
            return Err(Error::Truncated {
                record: Record::UsedTokens,
                needed,
                found: data.len(),
            });
        }
        let mut entries: Vec<([u8; 16], u64)> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.pos();
            let id = r.array::<16>()?;
            let exp = u64::from_be_bytes(r.array::<8>()?);
            if entries.last().is_some_and(|(prev, _)| *prev >= id) {
                return Err(r.field(at, "token id (not in increasing order)"));
            }
            entries.push((id, exp));
        }
        r.finish()?;
        Ok(Self { entries })
    }
}
