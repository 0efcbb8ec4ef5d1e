//! The one Argon2id entry point of keyward: every PIN hash, verification
//! and key derivation from a password (account password slots, repository
//! Master Password, card PINs) runs through [`argon2id`], on memory that is
//! wiped before it is returned or released.

use argon2::{Algorithm, Argon2, AssociatedData, Block, ParamsBuilder, Version};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::params::Params;

/// Argon2id version 0x13 (19) with secret `secret` (the pepper, Argon2's K)
/// and associated data `ad` (Argon2's X, at most 32 bytes), writing a tag of
/// `out.len()` bytes (4 or more).
///
/// `memory` must hold at least [`Params::block_count`] blocks; the blocks
/// used are overwritten with zeros before returning, so nothing derived from
/// the password stays in them (as the reference implementation does: a
/// memory dump would otherwise allow the "garbage-collector" shortcut
/// against Argon2, and the tag is one Blake2b away from the last block).
///
/// Known-answer tests reach it directly (RFC 9106 §5.3 uses an 8-byte
/// secret and 12 bytes of associated data).
///
/// # Errors
/// [`Error::MemoryTooSmall`]; [`Error::Argon2`] if `argon2` refuses the
/// inputs (parameters outside Argon2's rules, salt shorter than 8 bytes,
/// `ad` over 32 bytes, `out` under 4 bytes).
pub fn argon2id(
    secret: &[u8],
    ad: &[u8],
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut [Block],
) -> Result<()> {
    let mut builder = ParamsBuilder::new();
    builder
        .m_cost(params.m_cost_kib)
        .t_cost(params.t_cost)
        .p_cost(params.p_cost)
        .output_len(out.len())
        .data(AssociatedData::new(ad)?);
    let argon2_params = builder.build()?;
    let needed = argon2_params.block_count();
    let available = memory.len();
    let blocks = memory
        .get_mut(..needed)
        .ok_or(Error::MemoryTooSmall { needed, available })?;
    let argon2 =
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, argon2_params)?;
    let result = argon2.hash_password_into_with_memory(password, salt, out, &mut *blocks);
    wipe(blocks);
    if result.is_err() {
        out.zeroize();
    }
    Ok(result?)
}

/// Zeroes Argon2 working memory.
///
/// A plain `fill` runs at memory bandwidth (about 2 ms for the 19 MiB of the
/// OWASP parameters); `zeroize`'s word-by-word volatile writes take 1.5–3×
/// as long. `black_box` after the fill makes the zeroed memory observable,
/// so the optimiser cannot drop the stores even when the memory is freed
/// next; the fence keeps them before whatever follows.
fn wipe(blocks: &mut [Block]) {
    blocks.fill(Block::new());
    core::hint::black_box(&mut *blocks);
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// Largest Argon2 memory (in 1 KiB blocks, 64 MiB) a thread keeps for
/// reuse; larger requests get a fresh allocation each time.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub const THREAD_CACHE_MAX_BLOCKS: usize = 65_536;

/// Runs `f` on Argon2 memory for `params`.
///
/// With `std`, each thread keeps one buffer (up to
/// [`THREAD_CACHE_MAX_BLOCKS`]) and reuses it: [`argon2id`] zeroes the
/// blocks it used before returning, so the buffer holds only zeros between
/// calls (and when the thread ends and frees it), and the 19 MiB
/// allocate-and-clear of every call is saved. Without `std` (or if the
/// buffer is in use further up the stack, or too small a cap), the memory is
/// a fresh zeroed `Vec`, wiped likewise before it is freed.
#[cfg(feature = "alloc")]
pub(crate) fn with_memory<T>(params: &Params, mut f: impl FnMut(&mut [Block]) -> T) -> T {
    let needed = params.block_count();
    #[cfg(feature = "std")]
    if needed <= THREAD_CACHE_MAX_BLOCKS {
        use core::cell::RefCell;
        std::thread_local! {
            static MEMORY: RefCell<alloc::vec::Vec<Block>> = const { RefCell::new(alloc::vec::Vec::new()) };
        }
        let cached = MEMORY.try_with(|cell| {
            let mut memory = cell.try_borrow_mut().ok()?;
            if memory.len() < needed {
                // Growing moves the old contents, which are zeros: every
                // run wiped what it used.
                memory.resize(needed, Block::new());
            }
            memory.get_mut(..needed).map(&mut f)
        });
        if let Ok(Some(out)) = cached {
            return out;
        }
    }
    f(&mut alloc::vec![Block::new(); needed])
}

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
impl Params {
    /// Argon2id(password, salt) with no secret and no associated data → a
    /// 32-byte key, on memory wiped before release (see [`argon2id`]). The
    /// key derivation of account password slots, the repository Master
    /// Password and card PINs.
    ///
    /// The parameters are checked against Argon2's rules, not against a
    /// budget: a reader of stored parameters calls [`Params::validate`] (or
    /// [`crate::Limits::check`]) first.
    ///
    /// # Errors
    /// [`Error::CostOutOfRange`] for parameters Argon2 refuses;
    /// [`Error::Argon2`] if Argon2 fails.
    pub fn derive(
        &self,
        password: &[u8],
        salt: &[u8; 16],
    ) -> Result<keyward_core::SecretBytes<32>> {
        let checked = Self::new(self.m_cost_kib, self.t_cost, self.p_cost)?;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        with_memory(&checked, |memory| {
            argon2id(&[], &[], &checked, password, salt, &mut *key, memory)
        })?;
        Ok(keyward_core::SecretBytes::from_array(*key))
    }
}
