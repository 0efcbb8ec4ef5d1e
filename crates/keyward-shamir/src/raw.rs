//! Plain Shamir secret sharing over GF(2^8) (polynomial 0x11B), no allocation.
//!
//! The secret sits at x = 0; shares at x = 1..=n (or x-coordinates chosen by
//! the caller, never 0). Each byte of the secret is shared by its own random
//! polynomial of degree k − 1 whose coefficients are uniform over all 256
//! byte values.
//!
//! Two APIs over the same code:
//!
//! * fixed size: [`split`], [`split_at`], [`combine`], [`interpolate`] on
//!   [`Share<N>`] (const generics, results on the stack);
//! * slices: [`split_into`], [`combine_into`], [`interpolate_into`] on
//!   [`ShareRef`] with caller-provided output buffers.
//!
//! Combining checks everything it can: a threshold below 2, fewer than k
//! shares, x = 0, the same share given twice ([`Error::DuplicateShare`]) and
//! two different shares at one x ([`Error::ConflictingShares`]) are errors,
//! never a wrong secret. Shares beyond the threshold are checked against the
//! polynomial the first k define; with two or more extra shares the share off
//! the polynomial is named ([`Error::ShareOffPolynomial`]).
//!
//! ```
//! use keyward_shamir::raw;
//! # let mut rng = keyward_core::os_rng();
//! let key = [7u8; 32];
//! let shares: [raw::Share<32>; 5] = raw::split(&key, 3, &mut rng)?;
//! let back = raw::combine(3, &[shares[4].clone(), shares[0].clone(), shares[2].clone()])?;
//! assert_eq!(back.expose_secret(), &key);
//! // Two shares of a 3-of-5 are not enough: an error, not a wrong key.
//! assert!(raw::combine(3, &shares[..2]).is_err());
//! # Ok::<(), keyward_shamir::Error>(())
//! ```

use core::fmt;

use keyward_core::SecretBytes;
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::gf256::{self, BLOCK_BYTES, Block};

/// The largest number of shares (x = 1..=255).
pub const MAX_SHARES: usize = 255;

/// One share of an `N`-byte secret: its x-coordinate and value.
///
/// The value is private, zeroized on drop, compared in constant time and
/// redacted in `Debug`.
#[derive(Clone)]
pub struct Share<const N: usize> {
    x: u8,
    y: [u8; N],
}

impl<const N: usize> Share<N> {
    /// A share from its x-coordinate and value (as read back from storage).
    pub const fn new(x: u8, y: [u8; N]) -> Self {
        Self { x, y }
    }

    /// The x-coordinate (public).
    pub const fn x(&self) -> u8 {
        self.x
    }

    /// The share value. Every call site is a place where it leaves this type.
    pub const fn expose_value(&self) -> &[u8; N] {
        &self.y
    }

    /// A borrowed view for the slice API.
    pub fn as_ref(&self) -> ShareRef<'_> {
        ShareRef {
            x: self.x,
            y: &self.y,
        }
    }
}

impl<const N: usize> Drop for Share<N> {
    fn drop(&mut self) {
        self.y.zeroize();
    }
}

impl<const N: usize> ZeroizeOnDrop for Share<N> {}

impl<const N: usize> ConstantTimeEq for Share<N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.x.ct_eq(&other.x) & self.y.ct_eq(&other.y)
    }
}

impl<const N: usize> PartialEq for Share<N> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl<const N: usize> Eq for Share<N> {}

impl<const N: usize> fmt::Debug for Share<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Share<{N}> {{ x: {}, y: [REDACTED] }}", self.x)
    }
}

/// A borrowed share for the slice API.
#[derive(Clone, Copy)]
pub struct ShareRef<'a> {
    /// The x-coordinate.
    pub x: u8,
    /// The share value.
    pub y: &'a [u8],
}

impl fmt::Debug for ShareRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ShareRef {{ x: {}, y: [REDACTED; {}] }}",
            self.x,
            self.y.len()
        )
    }
}

/// Indexed access to a list of points, for both APIs.
pub(crate) trait Points {
    fn count(&self) -> usize;
    fn x(&self, i: usize) -> u8;
    fn y(&self, i: usize) -> &[u8];
}

impl<const N: usize> Points for [Share<N>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn x(&self, i: usize) -> u8 {
        self.get(i).map_or(0, |s| s.x)
    }
    fn y(&self, i: usize) -> &[u8] {
        self.get(i).map_or(&[], |s| &s.y[..])
    }
}

impl Points for [ShareRef<'_>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn x(&self, i: usize) -> u8 {
        self.get(i).map_or(0, |s| s.x)
    }
    fn y(&self, i: usize) -> &[u8] {
        self.get(i).map_or(&[], |s| s.y)
    }
}

/// Room for the random coefficients of one block: 254 coefficients of 8
/// bytes, or fewer coefficients of up to 32 bytes.
const COEF_BUF: usize = (MAX_SHARES - 1) * 8;

/// Where split writes share values.
trait OutShares {
    fn share_mut(&mut self, i: usize) -> &mut [u8];
}

impl<const N: usize> OutShares for [Share<N>] {
    fn share_mut(&mut self, i: usize) -> &mut [u8] {
        self.get_mut(i).map_or(Default::default(), |s| &mut s.y[..])
    }
}

/// `n` values of `len` bytes back to back.
struct Flat<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl OutShares for Flat<'_> {
    fn share_mut(&mut self, i: usize) -> &mut [u8] {
        let start = i.saturating_mul(self.len);
        self.buf
            .get_mut(start..start.saturating_add(self.len))
            .unwrap_or_default()
    }
}

/// Checks 2 ≤ k ≤ n ≤ 255, non-zero distinct x, non-empty secret.
fn check_split(len: usize, k: usize, xs: &[u8]) -> Result<()> {
    let n = xs.len();
    if !(2..=n).contains(&k) || n > MAX_SHARES {
        return Err(Error::Threshold { k, n });
    }
    if len == 0 {
        return Err(Error::EmptySecret);
    }
    let mut seen = [0usize; 256];
    for (i, &x) in (1usize..).zip(xs) {
        if x == 0 {
            return Err(Error::ZeroX { share: i });
        }
        if let Some(slot) = seen.get_mut(usize::from(x)) {
            if *slot != 0 {
                return Err(Error::DuplicateX {
                    share: i,
                    first: *slot,
                    x,
                });
            }
            *slot = i;
        }
    }
    Ok(())
}

/// The core of splitting, parameters already validated: for each block of
/// the secret, draw its k − 1 random coefficient blocks at once, then
/// evaluate the polynomial at every x by Horner's rule (multiplications by
/// the public x only).
fn split_core<R: CryptoRng + ?Sized, O: OutShares + ?Sized>(
    secret: &[u8],
    k: usize,
    xs: &[u8],
    out: &mut O,
    rng: &mut R,
) {
    // A small coefficient buffer for the usual thresholds (k ≤ 9) keeps the
    // stack clearing cheap.
    if k.saturating_sub(1) * BLOCK_BYTES <= 256 {
        split_blocks::<R, O, 256>(secret, k, xs, out, rng);
    } else {
        split_blocks::<R, O, COEF_BUF>(secret, k, xs, out, rng);
    }
}

fn split_blocks<R: CryptoRng + ?Sized, O: OutShares + ?Sized, const B: usize>(
    secret: &[u8],
    k: usize,
    xs: &[u8],
    out: &mut O,
    rng: &mut R,
) {
    let degree = k.saturating_sub(1).max(1);
    // Block size: 32 bytes while k − 1 coefficients of 32 bytes fit the
    // buffer, else 8 (254 × 8 fits COEF_BUF).
    let block = if degree * BLOCK_BYTES <= B {
        BLOCK_BYTES
    } else {
        8
    };
    let mut coef = [0u8; B];
    let mut used = 0;
    for (b_no, sblock) in secret.chunks(block).enumerate() {
        let blen = sblock.len();
        let need = degree * blen;
        let c = coef.get_mut(..need).unwrap_or_default();
        // Uniform over all 256 values, zero included.
        rng.fill_bytes(c);
        used = used.max(need);
        let s = gf256::load_block(sblock);
        let at = b_no * block;
        for (i, &x) in xs.iter().enumerate() {
            // Horner from the top coefficient a_{k-1} down to a_1, then s.
            let mut coefs = c.chunks(blen).rev();
            let mut acc: Block = coefs.next().map(gf256::load_block).unwrap_or_default();
            for a in coefs {
                acc = gf256::mul_block(&acc, x);
                gf256::xor_into(&mut acc, &gf256::load_block(a));
            }
            acc = gf256::mul_block(&acc, x);
            gf256::xor_into(&mut acc, &s);
            if let Some(dst) = out.share_mut(i).get_mut(at..at + blen) {
                gf256::store_block(&acc, dst);
            }
            acc.zeroize();
        }
    }
    if let Some(c) = coef.get_mut(..used) {
        c.zeroize();
    }
}

/// Splits `secret` into `S` shares at x = 1..=S, any `k` of which recover it.
///
/// # Errors
/// [`Error::Threshold`] unless 2 ≤ k ≤ S ≤ 255; [`Error::EmptySecret`] if N = 0.
pub fn split<const N: usize, const S: usize, R: CryptoRng + ?Sized>(
    secret: &[u8; N],
    k: usize,
    rng: &mut R,
) -> Result<[Share<N>; S]> {
    let mut xs = [0u8; S];
    for (x, i) in xs.iter_mut().zip(1u8..=255) {
        *x = i;
    }
    if S > MAX_SHARES {
        return Err(Error::Threshold { k, n: S });
    }
    split_at(secret, k, &xs, rng)
}

/// Splits `secret` into shares at the caller's x-coordinates (non-zero,
/// pairwise distinct).
///
/// # Errors
/// As [`split`], plus [`Error::ZeroX`] and [`Error::DuplicateX`].
pub fn split_at<const N: usize, const S: usize, R: CryptoRng + ?Sized>(
    secret: &[u8; N],
    k: usize,
    xs: &[u8; S],
    rng: &mut R,
) -> Result<[Share<N>; S]> {
    check_split(N, k, xs)?;
    let mut shares: [Share<N>; S] = core::array::from_fn(|i| Share {
        x: xs.get(i).copied().unwrap_or(0),
        y: [0u8; N],
    });
    split_core(secret, k, xs, &mut shares[..], rng);
    Ok(shares)
}

/// Splits `secret` at the x-coordinates `xs` into `out`, which receives
/// `xs.len()` share values of `secret.len()` bytes back to back (share i at
/// `out[i * len..(i + 1) * len]`).
///
/// # Errors
/// As [`split_at`], plus [`Error::BufferLength`].
pub fn split_into<R: CryptoRng + ?Sized>(
    secret: &[u8],
    k: usize,
    xs: &[u8],
    out: &mut [u8],
    rng: &mut R,
) -> Result<()> {
    check_split(secret.len(), k, xs)?;
    let expected = xs.len().saturating_mul(secret.len());
    if out.len() != expected {
        return Err(Error::BufferLength {
            expected,
            found: out.len(),
        });
    }
    let len = secret.len();
    split_core(secret, k, xs, &mut Flat { buf: out, len }, rng);
    Ok(())
}

/// Validates a share list for combining: threshold, x ≠ 0 (when
/// `reject_zero`), distinct x (identical duplicates and conflicting ones told
/// apart), equal non-zero lengths, at least k shares. Returns the value length.
pub(crate) fn check_shares<P: Points + ?Sized>(
    k: usize,
    p: &P,
    reject_zero: bool,
) -> Result<usize> {
    let m = p.count();
    if !(2..=MAX_SHARES).contains(&k) {
        return Err(Error::Threshold { k, n: m });
    }
    let len = p.y(0).len();
    // 1-based number of the share seen at each x. A 257th share always
    // repeats an x, so numbers fit in u16 before the loop returns.
    let mut seen = [0u16; 256];
    for i in 0..m {
        let share = i + 1;
        let x = p.x(i);
        let y = p.y(i);
        if reject_zero && x == 0 {
            return Err(Error::ZeroX { share });
        }
        if y.len() != len {
            return Err(Error::LengthMismatch {
                share,
                expected: len,
                found: y.len(),
            });
        }
        if let Some(slot) = seen.get_mut(usize::from(x)) {
            if *slot != 0 {
                let first = usize::from(*slot);
                let same: bool = p.y(first - 1).ct_eq(y).into();
                return Err(if same {
                    Error::DuplicateShare { share, first }
                } else {
                    Error::ConflictingShares { share, first, x }
                });
            }
            *slot = u16::try_from(share).unwrap_or(u16::MAX);
        }
    }
    if m < k {
        return Err(Error::TooFewShares {
            needed: k,
            found: m,
        });
    }
    if len == 0 {
        return Err(Error::EmptySecret);
    }
    Ok(len)
}

/// Interpolates at `target` from the points `sel` (indices into `p`, at most
/// 255, distinct x) into `out`.
pub(crate) fn interpolate_sel<P: Points + ?Sized>(p: &P, sel: &[u8], target: u8, out: &mut [u8]) {
    let mut xs = [0u8; MAX_SHARES];
    for (d, &i) in xs.iter_mut().zip(sel) {
        *d = p.x(usize::from(i));
    }
    let m = sel.len().min(MAX_SHARES);
    let mut lam = [0u8; MAX_SHARES];
    gf256::lagrange(xs.get(..m).unwrap_or_default(), target, &mut lam);
    for (b_no, dst) in out.chunks_mut(BLOCK_BYTES).enumerate() {
        let at = b_no * BLOCK_BYTES;
        let mut acc: Block = [0; 4];
        for (&i, &l) in sel.iter().zip(lam.iter()) {
            let y = p.y(usize::from(i)).get(at..).unwrap_or_default();
            gf256::xor_into(&mut acc, &gf256::mul_block(&gf256::load_block(y), l));
        }
        gf256::store_block(&acc, dst);
        acc.zeroize();
    }
}

/// Whether point `e` lies on the polynomial through the points `sel`
/// (constant time in the values).
pub(crate) fn on_polynomial<P: Points + ?Sized>(p: &P, sel: &[u8], e: usize) -> bool {
    let mut xs = [0u8; MAX_SHARES];
    for (d, &i) in xs.iter_mut().zip(sel) {
        *d = p.x(usize::from(i));
    }
    let m = sel.len().min(MAX_SHARES);
    let mut lam = [0u8; MAX_SHARES];
    gf256::lagrange(xs.get(..m).unwrap_or_default(), p.x(e), &mut lam);
    let want = p.y(e);
    let mut diff = 0u64;
    for (b_no, chunk) in want.chunks(BLOCK_BYTES).enumerate() {
        let at = b_no * BLOCK_BYTES;
        let mut acc = gf256::load_block(chunk);
        for (&i, &l) in sel.iter().zip(lam.iter()) {
            let y = p.y(usize::from(i)).get(at..).unwrap_or_default();
            gf256::xor_into(&mut acc, &gf256::mul_block(&gf256::load_block(y), l));
        }
        for w in acc {
            diff |= w;
        }
        acc.zeroize();
    }
    diff.ct_eq(&0).into()
}

/// The indices 0..=254 (built by the compiler).
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const FIRST: [u8; MAX_SHARES] = {
    let mut a = [0u8; MAX_SHARES];
    let mut i = 0;
    while i < MAX_SHARES {
        a[i] = i as u8;
        i += 1;
    }
    a
};

/// Indices `0..m` without `skip`, as u8 (m ≤ 255 after validation).
fn indices(m: usize, skip: Option<usize>) -> ([u8; MAX_SHARES], usize) {
    let mut idx = [0u8; MAX_SHARES];
    let mut n = 0;
    for i in (0..m.min(MAX_SHARES)).filter(|&i| Some(i) != skip) {
        if let (Some(slot), Ok(v)) = (idx.get_mut(n), u8::try_from(i)) {
            *slot = v;
            n += 1;
        }
    }
    (idx, n)
}

/// Checks that all `m` points lie on the polynomial of the first `k` (after
/// removing `skip`).
fn all_consistent<P: Points + ?Sized>(p: &P, k: usize, skip: Option<usize>) -> bool {
    let (idx, n) = indices(p.count(), skip);
    let base = idx.get(..k).unwrap_or_default();
    let rest = idx.get(k..n).unwrap_or_default();
    let mut ok = true;
    for &e in rest {
        ok &= on_polynomial(p, base, usize::from(e));
    }
    ok
}

/// With more than k shares: error naming the share off the polynomial, if any.
pub(crate) fn check_extras<P: Points + ?Sized>(p: &P, k: usize) -> Result<()> {
    let m = p.count();
    if m <= k || all_consistent(p, k, None) {
        return Ok(());
    }
    if m >= k + 2 {
        let mut culprit = None;
        let mut candidates = 0usize;
        for c in 0..m {
            if all_consistent(p, k, Some(c)) {
                culprit = Some(c);
                candidates += 1;
            }
        }
        if let (1, Some(c)) = (candidates, culprit) {
            return Err(Error::ShareOffPolynomial { share: c + 1 });
        }
    }
    Err(Error::InconsistentShares { found: m })
}

fn interpolate_checked<P: Points + ?Sized>(
    k: usize,
    p: &P,
    target: u8,
    out: &mut [u8],
    reject_zero: bool,
) -> Result<()> {
    let len = check_shares(k, p, reject_zero)?;
    if out.len() != len {
        return Err(Error::BufferLength {
            expected: len,
            found: out.len(),
        });
    }
    check_extras(p, k)?;
    interpolate_sel(p, FIRST.get(..k).unwrap_or_default(), target, out);
    Ok(())
}

/// Recovers the secret from at least `k` shares of a k-of-n split.
///
/// # Errors
/// [`Error::Threshold`] if k < 2 or k > 255, [`Error::TooFewShares`],
/// [`Error::ZeroX`], [`Error::DuplicateShare`], [`Error::ConflictingShares`],
/// [`Error::LengthMismatch`]; with more than k shares,
/// [`Error::ShareOffPolynomial`] or [`Error::InconsistentShares`].
pub fn combine<const N: usize>(k: usize, shares: &[Share<N>]) -> Result<SecretBytes<N>> {
    let mut out = [0u8; N];
    let r = interpolate_checked(k, shares, 0, &mut out, true);
    let secret = SecretBytes::from_array(out);
    out.zeroize();
    r.map(|()| secret)
}

/// The share at x-coordinate `x` of the polynomial through the shares (a new
/// share for a replacement card; x = 0 gives the secret itself as a share).
///
/// # Errors
/// As [`combine`].
pub fn interpolate<const N: usize>(k: usize, shares: &[Share<N>], x: u8) -> Result<Share<N>> {
    let mut share = Share { x, y: [0u8; N] };
    interpolate_checked(k, shares, x, &mut share.y, true)?;
    Ok(share)
}

/// Recovers the secret into `out` (same length as the shares).
///
/// # Errors
/// As [`combine`], plus [`Error::BufferLength`].
pub fn combine_into(k: usize, shares: &[ShareRef<'_>], out: &mut [u8]) -> Result<()> {
    let r = interpolate_checked(k, shares, 0, out, true);
    if r.is_err() {
        out.zeroize();
    }
    r
}

/// Interpolates the share value at `x` into `out`.
///
/// # Errors
/// As [`combine_into`].
pub fn interpolate_into(k: usize, shares: &[ShareRef<'_>], x: u8, out: &mut [u8]) -> Result<()> {
    let r = interpolate_checked(k, shares, x, out, true);
    if r.is_err() {
        out.zeroize();
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for b in dst {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}

    #[test]
    fn split_combine_roundtrip_and_slices_agree() {
        let secret: [u8; 21] = core::array::from_fn(|i| (i as u8).wrapping_mul(13));
        let shares: [Share<21>; 5] = split(&secret, 3, &mut Counter(0)).unwrap();
        // Same randomness through the slice API gives the same shares.
        let mut flat = [0u8; 21 * 5];
        split_into(&secret, 3, &[1, 2, 3, 4, 5], &mut flat, &mut Counter(0)).unwrap();
        for (s, chunk) in shares.iter().zip(flat.chunks(21)) {
            assert_eq!(&s.y[..], chunk);
        }
        let back = combine(
            3,
            &[shares[3].clone(), shares[1].clone(), shares[4].clone()],
        )
        .unwrap();
        assert_eq!(back.expose_secret(), &secret);
        let mut out = [0u8; 21];
        combine_into(
            3,
            &[shares[0].as_ref(), shares[2].as_ref(), shares[1].as_ref()],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, secret);
    }

    #[test]
    fn known_answer_against_scalar_polynomial() {
        // Coefficients from Counter: a1 = 1..=4, a2 = 5..=8 for a 4-byte secret.
        let secret = [0x10u8, 0x20, 0x30, 0x40];
        let shares: [Share<4>; 3] = split(&secret, 3, &mut Counter(0)).unwrap();
        for s in &shares {
            for (b, (&sb, &yb)) in secret.iter().zip(s.y.iter()).enumerate() {
                let a1 = b as u8 + 1;
                let a2 = b as u8 + 5;
                let x = s.x;
                let want = sb ^ gf256::mul(a1, x) ^ gf256::mul(a2, gf256::mul(x, x));
                assert_eq!(yb, want);
            }
        }
    }
}
