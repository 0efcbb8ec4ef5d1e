//! Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B).
//!
//! Two kinds of operation, kept apart on purpose:
//!
//! * **Public scalars** ([`mul`], [`inv`], [`lagrange`]): x-coordinates and
//!   Lagrange coefficients. They are public, so log/exp tables indexed by them
//!   are fine.
//! * **Secret data** ([`mul_block`]): share and secret bytes, 32 at a time
//!   in four `u64` words (SWAR). Secret data is only ever multiplied by a
//!   public constant `c`: `xtime` (multiply by 2) is computed for all bytes at
//!   once with shifts, masks and XORs, and the product is the XOR of the
//!   `xtime` powers for the set bits of `c`. The loop over the bits of `c`
//!   branches on `c`, which is public; no secret value indexes a table or
//!   decides a branch.

use zeroize::Zeroize;

/// The reduction polynomial without its x^8 term.
const POLY_LOW: u8 = 0x1B;

/// exp/log tables for generator 3, built at compile time. Only ever indexed
/// by public values. (Evaluated by the compiler: an out-of-range index here
/// would be a build error, not a run-time panic.)
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const TABLES: ([u8; 512], [u8; 256]) = {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u8 = 1;
    let mut i = 0usize;
    while i < 255 {
        exp[i] = x;
        exp[i + 255] = x;
        log[x as usize] = i as u8;
        // x *= 3  (x * 2 ^ x)
        let x2 = (x << 1) ^ (if x & 0x80 != 0 { POLY_LOW } else { 0 });
        x ^= x2;
        i += 1;
    }
    // exp[510], exp[511] stay unused.
    (exp, log)
};

fn exp(i: usize) -> u8 {
    TABLES.0.get(i).copied().unwrap_or(0)
}

fn log(a: u8) -> usize {
    usize::from(TABLES.1.get(usize::from(a)).copied().unwrap_or(0))
}

/// Product of two **public** field elements.
pub fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        exp(log(a) + log(b))
    }
}

/// Inverse of a non-zero **public** field element (0 maps to 0).
pub fn inv(a: u8) -> u8 {
    if a == 0 { 0 } else { exp(255 - log(a)) }
}

/// Multiplies eight secret bytes (one per lane of `v`) by 2: shifts and
/// masks only (0x1B = x^4 + x^3 + x + 1 is added as shifted copies of the
/// per-byte carry bit, so the compiler can vectorize it).
#[inline(always)]
pub const fn xtime(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let c = (v >> 7) & ONES;
    ((v & LOW7) << 1) ^ c ^ (c << 1) ^ (c << 3) ^ (c << 4)
}

/// Bytes in a [`Block`].
pub const BLOCK_BYTES: usize = 32;

/// 32 secret bytes as four little-endian words, processed together.
pub type Block = [u64; 4];

/// XORs `b` into `a`.
#[inline(always)]
pub fn xor_into(a: &mut Block, b: &Block) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x ^= y;
    }
}

/// Multiplies every byte of the secret block `v` by the **public** constant
/// `c`: the XOR of `v * 2^b` over the set bits b of `c`. The loop and its
/// branches depend on `c` only; the secret bytes go through shifts, masks
/// and XORs.
#[inline(always)]
pub fn mul_block(v: &Block, c: u8) -> Block {
    let mut acc = [0u64; 4];
    let mut p = *v;
    let mut c = c;
    while c != 0 {
        if c & 1 == 1 {
            xor_into(&mut acc, &p);
        }
        c >>= 1;
        if c != 0 {
            for w in p.iter_mut() {
                *w = xtime(*w);
            }
        }
    }
    acc
}

/// Loads up to 32 bytes into a block (missing bytes are 0).
#[inline(always)]
pub fn load_block(bytes: &[u8]) -> Block {
    let mut out = [0u64; 4];
    if let Some(full) = bytes.get(..BLOCK_BYTES) {
        for (w, chunk) in out.iter_mut().zip(full.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
    } else {
        let mut buf = [0u8; BLOCK_BYTES];
        for (d, s) in buf.iter_mut().zip(bytes) {
            *d = *s;
        }
        for (w, chunk) in out.iter_mut().zip(buf.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        buf.zeroize();
    }
    out
}

/// Stores the first `out.len()` (at most 32) bytes of a block.
#[inline(always)]
pub fn store_block(v: &Block, out: &mut [u8]) {
    if out.len() == BLOCK_BYTES {
        for (w, chunk) in v.iter().zip(out.chunks_exact_mut(8)) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
    } else {
        let mut buf = [0u8; BLOCK_BYTES];
        for (w, chunk) in v.iter().zip(buf.chunks_exact_mut(8)) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        for (d, s) in out.iter_mut().zip(buf.iter()) {
            *d = *s;
        }
        buf.zeroize();
    }
}

/// The Lagrange basis coefficients at `target` for the (public, pairwise
/// distinct) x-coordinates `xs`, written to `out[..xs.len()]`.
///
/// `out` must be at least as long as `xs`; coordinates beyond it are ignored.
pub fn lagrange(xs: &[u8], target: u8, out: &mut [u8]) {
    for (i, (xi, li)) in xs.iter().zip(out.iter_mut()).enumerate() {
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                num = mul(num, target ^ xj);
                den = mul(den, xi ^ xj);
            }
        }
        *li = mul(num, inv(den));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference multiplication (test only).
    fn slow_mul(mut a: u8, mut b: u8) -> u8 {
        let mut p = 0u8;
        while b != 0 {
            if b & 1 != 0 {
                p ^= a;
            }
            let hi = a & 0x80;
            a <<= 1;
            if hi != 0 {
                a ^= 0x1B;
            }
            b >>= 1;
        }
        p
    }

    #[test]
    fn tables_match_reference_multiplication() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(mul(a, b), slow_mul(a, b), "{a} * {b}");
            }
        }
    }

    #[test]
    fn inverse() {
        assert_eq!(inv(0), 0);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
        // FIPS-197 §4.2 example: {57} * {83} = {c1}; {53}^-1 = {ca} (§5.1.1).
        assert_eq!(mul(0x57, 0x83), 0xc1);
        assert_eq!(inv(0x53), 0xca);
    }

    #[test]
    fn swar_matches_scalar() {
        for c in 0..=255u8 {
            for base in (0..=255u8).step_by(8) {
                let bytes: [u8; 8] =
                    core::array::from_fn(|i| base.wrapping_add((i as u8).wrapping_mul(37)));
                let mut all = [0u8; 32];
                for (i, b) in all.iter_mut().enumerate() {
                    *b = bytes[i % 8] ^ (i as u8);
                }
                let mut got = [0u8; 32];
                store_block(&mul_block(&load_block(&all), c), &mut got);
                for i in 0..32 {
                    assert_eq!(got[i], slow_mul(all[i], c));
                }
                // Partial blocks.
                let mut part = [0u8; 13];
                store_block(&mul_block(&load_block(&all[..13]), c), &mut part);
                assert_eq!(part[..], got[..13]);
            }
        }
    }

    #[test]
    fn lagrange_reproduces_points() {
        let xs = [1u8, 2, 3];
        let mut l = [0u8; 3];
        lagrange(&xs, 2, &mut l);
        assert_eq!(l, [0, 1, 0]);
        lagrange(&xs, 0, &mut l);
        // Σ λ_i = 1 for any target (interpolating the constant 1).
        assert_eq!(l[0] ^ l[1] ^ l[2], 1);
    }
}
