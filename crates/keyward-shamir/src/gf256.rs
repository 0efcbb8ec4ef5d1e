//! Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B).
//!
//! Two kinds of operation, kept apart on purpose:
//!
//! * **Public scalars** ([`mul`], [`inv`], [`lagrange`]): x-coordinates and
//!   Lagrange coefficients. They are public, so log/exp tables indexed by them
//!   are fine.
//! * **Secret data** ([`Chain`], [`Chain::select`]): share and secret bytes, eight at
//!   a time in a `u64` (SWAR). A secret word is only ever multiplied by a
//!   public constant: `xtime` (multiply by 2) is computed for all eight bytes
//!   with shifts, masks and an integer multiplication by 0 or 1, and the
//!   product by a constant `c` is the XOR of the `xtime` powers selected by the
//!   bits of `c` through all-ones/all-zeros masks. No secret value indexes a
//!   table or decides a branch.

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

/// Multiplies eight secret bytes (one per lane of `v`) by 2.
#[inline(always)]
pub const fn xtime(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let carry = (v >> 7) & ONES;
    ((v & LOW7) << 1) ^ (carry * POLY_LOW as u64)
}

/// The eight products `v * 2^b`, b = 0..8, of one secret word: multiplying it
/// by any public constant is then a masked XOR of these.
pub struct Chain([u64; 8]);

impl Chain {
    /// The chain of `v`.
    #[inline(always)]
    pub fn new(v: u64) -> Self {
        let mut c = [0u64; 8];
        let mut x = v;
        for slot in &mut c {
            *slot = x;
            x = xtime(x);
        }
        Self(c)
    }

    /// `v * c` for the public constant `c`, lane by lane.
    #[inline(always)]
    pub fn select(&self, c: u8) -> u64 {
        let mut acc = 0u64;
        for (b, v) in (0u32..).zip(self.0.iter()) {
            let mask = 0u64.wrapping_sub(u64::from((c >> b) & 1));
            acc ^= v & mask;
        }
        acc
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Multiplies every byte of the secret word `v` by the public constant `c`.
#[cfg(test)]
pub fn mul_word(v: u64, c: u8) -> u64 {
    Chain::new(v).select(c)
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

/// Loads up to eight bytes little-endian into a word (missing bytes are 0).
#[inline(always)]
pub fn load(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = *s;
    }
    let w = u64::from_le_bytes(buf);
    buf.zeroize();
    w
}

/// Stores the low `out.len()` (at most eight) bytes of `w` little-endian.
#[inline(always)]
pub fn store(w: u64, out: &mut [u8]) {
    let mut buf = w.to_le_bytes();
    for (d, s) in out.iter_mut().zip(buf.iter()) {
        *d = *s;
    }
    buf.zeroize();
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
                let w = u64::from_le_bytes(bytes);
                let got = mul_word(w, c).to_le_bytes();
                for i in 0..8 {
                    assert_eq!(got[i], slow_mul(bytes[i], c));
                }
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
