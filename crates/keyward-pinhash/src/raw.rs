//! The one Argon2id call every hash and verification of this crate goes
//! through, exposed for known-answer tests (RFC 9106 §5.3 uses an 8-byte
//! secret and 12 bytes of associated data, which [`crate::PinHasher`] never
//! does).

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
/// against Argon2).
///
/// # Errors
/// [`Error::MemoryTooSmall`]; [`Error::Argon2`] if `argon2` refuses the
/// inputs (salt shorter than 8 bytes, `ad` over 32 bytes, `out` under 4 bytes).
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
        .m_cost(params.m_cost())
        .t_cost(params.t_cost())
        .p_cost(params.p_cost())
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
