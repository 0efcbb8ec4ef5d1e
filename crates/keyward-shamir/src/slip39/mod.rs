//! SLIP-0039: Shamir's secret-sharing for mnemonic codes.
//!
//! The full standard: 15-bit identifier, extendable flag, iteration exponent,
//! two-level (group and member) thresholds, the digest share at x = 254 and
//! the shared secret at x = 255, RS1024 checksums, the four-round PBKDF2
//! Feistel encryption of the master secret under a passphrase. Shares are
//! written as mnemonics ([`Share::to_mnemonic`]) or, for smart cards, as the
//! mnemonic's bits packed into bytes ([`Share::to_bytes`], 42 bytes for a
//! 256-bit secret).
//!
//! Recovery is incremental ([`Recovery`]) and names what is wrong: the
//! damaged share and probable word, the foreign share and the differing field,
//! the duplicate, the share that lies off the polynomial.
//!
//! ```
//! use keyward_shamir::slip39::{self, Params};
//! # let mut rng = keyward_core::os_rng();
//! let key = [0x42u8; 32];
//! let mut params = Params::single(2, 3)?;
//! params.iteration_exponent = 0; // fast for the example
//! let groups = slip39::split(&key, b"", &params, &mut rng)?;
//! let cards: Vec<_> = groups[0].iter().map(|s| s.to_bytes()).collect();
//! assert_eq!(cards[0].len(), 42);
//!
//! let mut recovery = slip39::Recovery::new();
//! recovery.add_bytes(&cards[2])?;
//! let progress = recovery.add_bytes(&cards[0])?;
//! assert!(progress.is_complete());
//! assert_eq!(recovery.finish(b"")?.expose_secret(), &key);
//! # Ok::<(), keyward_shamir::Error>(())
//! ```

mod recovery;
mod share;
mod words;

use alloc::vec::Vec;
use core::fmt;

use hmac::{KeyInit, Mac};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::raw::{self, ShareRef};

pub use recovery::{GroupProgress, Progress, Recovery};
pub use share::Share;
pub use words::{index_of as word_index, word};

/// The x-coordinate of the digest share.
pub const DIGEST_INDEX: u8 = 254;
/// The x-coordinate of the shared secret.
pub const SECRET_INDEX: u8 = 255;
/// Bytes of HMAC-SHA256 kept as the digest.
const DIGEST_LEN: usize = 4;
/// The most groups, and the most members per group.
pub const MAX_SHARE_COUNT: u8 = 16;
/// PBKDF2 iterations per round at e = 0 (10000 over 4 rounds).
const BASE_ROUND_ITERATIONS: u32 = 2500;
/// Feistel rounds.
const ROUNDS: u8 = 4;

/// A recovered master secret: zeroized on drop, redacted in `Debug`,
/// compared in constant time.
#[derive(Clone)]
pub struct MasterSecret(Zeroizing<Vec<u8>>);

impl MasterSecret {
    /// The secret bytes. Every call site is a place where they leave this type.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether the secret is empty (never, for a recovered secret).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for MasterSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for MasterSecret {}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterSecret([REDACTED; {}])", self.0.len())
    }
}

/// Member threshold and member count of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSpec {
    /// Member shares needed (1..=16; 1 only with 1 member).
    pub threshold: u8,
    /// Member shares made (1..=16).
    pub count: u8,
}

/// Parameters of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Groups needed (1..=number of groups).
    pub group_threshold: u8,
    /// The groups (1..=16).
    pub groups: Vec<GroupSpec>,
    /// PBKDF2 work factor e: 10000 × 2^e iterations in all (0..=15, default 1
    /// as in the reference implementation).
    pub iteration_exponent: u8,
    /// The extendable backup flag (default true, as the standard now says).
    pub extendable: bool,
    /// A fixed identifier (15 bits), for tests; `None` draws a random one.
    pub identifier: Option<u16>,
}

impl Params {
    /// One group, `threshold` of `count` member shares.
    ///
    /// # Errors
    /// As [`Params::validate`].
    pub fn single(threshold: u8, count: u8) -> Result<Self> {
        Self::groups(1, &[GroupSpec { threshold, count }])
    }

    /// `group_threshold` of the given groups.
    ///
    /// # Errors
    /// As [`Params::validate`].
    pub fn groups(group_threshold: u8, groups: &[GroupSpec]) -> Result<Self> {
        let p = Self {
            group_threshold,
            groups: groups.to_vec(),
            iteration_exponent: 1,
            extendable: true,
            identifier: None,
        };
        p.validate()?;
        Ok(p)
    }

    /// Checks the ranges the standard allows.
    ///
    /// # Errors
    /// [`Error::Parameter`], [`Error::GroupThresholdAboveCount`],
    /// [`Error::SingleMemberThreshold`].
    pub fn validate(&self) -> Result<()> {
        let max = usize::from(MAX_SHARE_COUNT);
        let range = |what, v: usize| {
            if (1..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::Parameter {
                    what,
                    found: v,
                    max,
                })
            }
        };
        range("the number of groups", self.groups.len())?;
        range("the group threshold", usize::from(self.group_threshold))?;
        if usize::from(self.group_threshold) > self.groups.len() {
            return Err(Error::GroupThresholdAboveCount {
                share: 0,
                threshold: usize::from(self.group_threshold),
                count: self.groups.len(),
            });
        }
        for (n, g) in (1usize..).zip(&self.groups) {
            range("a member count", usize::from(g.count))?;
            range("a member threshold", usize::from(g.threshold))?;
            if g.threshold > g.count {
                return Err(Error::Parameter {
                    what: "a member threshold",
                    found: usize::from(g.threshold),
                    max: usize::from(g.count),
                });
            }
            if g.threshold == 1 && g.count > 1 {
                return Err(Error::SingleMemberThreshold { group: n });
            }
        }
        if self.iteration_exponent > 15 {
            return Err(Error::Parameter {
                what: "the iteration exponent",
                found: usize::from(self.iteration_exponent),
                max: 15,
            });
        }
        if let Some(id) = self.identifier {
            if id > 0x7FFF {
                return Err(Error::Parameter {
                    what: "the identifier",
                    found: usize::from(id),
                    max: 0x7FFF,
                });
            }
        }
        Ok(())
    }
}

/// The longest master secret keyward accepts (the standard sets no upper
/// bound; this one keeps parsing of hostile input bounded).
pub const MAX_SECRET_BYTES: usize = 256;

/// Checks the master secret length: 16 to 256 bytes, even.
fn check_secret_len(len: usize) -> Result<()> {
    if !(16..=MAX_SECRET_BYTES).contains(&len) || len % 2 != 0 {
        Err(Error::SecretLength { found: len })
    } else {
        Ok(())
    }
}

/// Checks that a passphrase is printable ASCII, as the standard requires.
///
/// # Errors
/// [`Error::PassphraseCharacter`] naming the first bad byte.
pub fn check_passphrase(passphrase: &[u8]) -> Result<()> {
    match passphrase.iter().position(|b| !(32..=126).contains(b)) {
        Some(p) => Err(Error::PassphraseCharacter { position: p + 1 }),
        None => Ok(()),
    }
}

/// One Feistel round function: PBKDF2-HMAC-SHA256(i ‖ passphrase,
/// salt ‖ r, 2500 << e) into `out`.
fn round_function(i: u8, passphrase: &[u8], e: u8, salt: &[u8], r: &[u8], out: &mut [u8]) {
    let mut password = Zeroizing::new(Vec::with_capacity(1 + passphrase.len()));
    password.push(i);
    password.extend_from_slice(passphrase);
    let mut s = Zeroizing::new(Vec::with_capacity(salt.len() + r.len()));
    s.extend_from_slice(salt);
    s.extend_from_slice(r);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&password, &s, BASE_ROUND_ITERATIONS << e, out);
}

fn salt(identifier: u16, extendable: bool) -> Vec<u8> {
    if extendable {
        Vec::new()
    } else {
        let mut s = b"shamir".to_vec();
        s.extend_from_slice(&identifier.to_be_bytes());
        s
    }
}

/// The Feistel network, forwards (`encrypt`) or backwards.
fn feistel(
    input: &[u8],
    passphrase: &[u8],
    e: u8,
    identifier: u16,
    extendable: bool,
    encrypt: bool,
) -> Zeroizing<Vec<u8>> {
    let half = input.len() / 2;
    let (l0, r0) = input.split_at(half);
    let mut l = Zeroizing::new(l0.to_vec());
    let mut r = Zeroizing::new(r0.to_vec());
    let mut f = Zeroizing::new(alloc::vec![0u8; half]);
    let salt = salt(identifier, extendable);
    for step in 0..ROUNDS {
        let i = if encrypt { step } else { ROUNDS - 1 - step };
        round_function(i, passphrase, e, &salt, &r, &mut f);
        for (a, b) in l.iter_mut().zip(f.iter()) {
            *a ^= b;
        }
        core::mem::swap(&mut l, &mut r);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    out.extend_from_slice(&r);
    out.extend_from_slice(&l);
    out
}

/// Encrypts a master secret into the encrypted master secret (EMS).
///
/// # Errors
/// [`Error::SecretLength`], [`Error::PassphraseCharacter`],
/// [`Error::Parameter`] for e > 15.
pub fn encrypt(
    master_secret: &[u8],
    passphrase: &[u8],
    e: u8,
    identifier: u16,
    extendable: bool,
) -> Result<Zeroizing<Vec<u8>>> {
    check_secret_len(master_secret.len())?;
    check_passphrase(passphrase)?;
    check_exponent(e)?;
    Ok(feistel(
        master_secret,
        passphrase,
        e,
        identifier,
        extendable,
        true,
    ))
}

/// Decrypts an encrypted master secret.
///
/// # Errors
/// As [`encrypt`].
pub fn decrypt(
    ems: &[u8],
    passphrase: &[u8],
    e: u8,
    identifier: u16,
    extendable: bool,
) -> Result<MasterSecret> {
    check_secret_len(ems.len())?;
    check_passphrase(passphrase)?;
    check_exponent(e)?;
    Ok(MasterSecret(feistel(
        ems, passphrase, e, identifier, extendable, false,
    )))
}

fn check_exponent(e: u8) -> Result<()> {
    if e > 15 {
        Err(Error::Parameter {
            what: "the iteration exponent",
            found: usize::from(e),
            max: 15,
        })
    } else {
        Ok(())
    }
}

/// First four bytes of HMAC-SHA256(key = random part, msg = secret).
fn digest(random_part: &[u8], secret: &[u8]) -> [u8; DIGEST_LEN] {
    let mut out = [0u8; DIGEST_LEN];
    if let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(random_part) {
        mac.update(secret);
        let tag = mac.finalize().into_bytes();
        for (o, t) in out.iter_mut().zip(tag.iter()) {
            *o = *t;
        }
    }
    out
}

/// Interpolates at `x` through the points into a fresh zeroizing buffer.
fn interpolate(points: &[ShareRef<'_>], x: u8, len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(alloc::vec![0u8; len]);
    let sel: Vec<u8> = (0..points.len())
        .filter_map(|i| u8::try_from(i).ok())
        .collect();
    raw::interpolate_sel(points, &sel, x, &mut out);
    out
}

/// SplitSecret(T, N, S) of the standard: values for x = 0..N.
fn split_secret<R: CryptoRng + ?Sized>(
    t: u8,
    n: u8,
    secret: &[u8],
    rng: &mut R,
) -> Vec<Zeroizing<Vec<u8>>> {
    let len = secret.len();
    if t == 1 {
        return (0..n).map(|_| Zeroizing::new(secret.to_vec())).collect();
    }
    let random_count = t - 2;
    let mut values: Vec<Zeroizing<Vec<u8>>> = Vec::with_capacity(usize::from(n));
    for _ in 0..random_count {
        let mut v = Zeroizing::new(alloc::vec![0u8; len]);
        rng.fill_bytes(&mut v);
        values.push(v);
    }
    let mut d = Zeroizing::new(alloc::vec![0u8; len]);
    {
        let (dig, random_part) = d.split_at_mut(DIGEST_LEN.min(len));
        rng.fill_bytes(random_part);
        let tag = digest(random_part, secret);
        dig.copy_from_slice(tag.get(..dig.len()).unwrap_or_default());
    }
    let mut base: Vec<ShareRef<'_>> = (0u8..)
        .zip(values.iter())
        .map(|(x, v)| ShareRef { x, y: v })
        .collect();
    base.push(ShareRef {
        x: DIGEST_INDEX,
        y: &d,
    });
    base.push(ShareRef {
        x: SECRET_INDEX,
        y: secret,
    });
    let rest: Vec<Zeroizing<Vec<u8>>> = (random_count..n)
        .map(|x| interpolate(&base, x, len))
        .collect();
    drop(base);
    values.extend(rest);
    d.zeroize();
    values
}

/// What went wrong recovering one level (members of a group, or groups).
pub(crate) enum LevelError {
    /// The digest does not match.
    Digest,
    /// Point number `i` (index into the list) lies off the polynomial.
    Off(usize),
    /// The points are inconsistent; which one is wrong is unknown.
    Inconsistent,
}

/// Interpolates the secret from exactly `t` points (t ≥ 2) and checks the digest.
fn recover_exact(points: &[ShareRef<'_>], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let secret = interpolate(points, SECRET_INDEX, len);
    let d = interpolate(points, DIGEST_INDEX, len);
    let (dig, random_part) = d.split_at(DIGEST_LEN.min(len));
    let ok: bool = digest(random_part, &secret)
        .get(..dig.len())
        .unwrap_or_default()
        .ct_eq(dig)
        .into();
    ok.then_some(secret)
}

/// RecoverSecret(T, shares) of the standard, using extra points (beyond `t`)
/// to check consistency and locate a bad point.
pub(crate) fn recover_level(
    t: u8,
    points: &[ShareRef<'_>],
) -> core::result::Result<Zeroizing<Vec<u8>>, LevelError> {
    let t = usize::from(t);
    let len = points.first().map_or(0, |p| p.y.len());
    let m = points.len();
    if t <= 1 {
        // Every share is the secret itself: all must be equal.
        let first = points.first().map_or(&[][..], |p| p.y);
        let differ: Vec<usize> = (0..m)
            .filter(|&i| !bool::from(points.get(i).map_or(&[][..], |p| p.y).ct_eq(first)))
            .collect();
        return match differ.as_slice() {
            [] => Ok(Zeroizing::new(first.to_vec())),
            [one] if m >= 3 => Err(LevelError::Off(*one)),
            _ => Err(LevelError::Inconsistent),
        };
    }
    let sel: Vec<u8> = (0..m).filter_map(|i| u8::try_from(i).ok()).collect();
    let consistent = |skip: Option<usize>| -> bool {
        let rest: Vec<u8> = sel
            .iter()
            .copied()
            .filter(|&i| Some(usize::from(i)) != skip)
            .collect();
        let (base, extra) = rest.split_at(t.min(rest.len()));
        let mut ok = true;
        for &e in extra {
            ok &= raw::on_polynomial(points, base, usize::from(e));
        }
        ok
    };
    let subset = |skip: Option<usize>| -> Vec<ShareRef<'_>> {
        (0..m)
            .filter(|&i| Some(i) != skip)
            .filter_map(|i| points.get(i).copied())
            .take(t)
            .collect()
    };
    if consistent(None) {
        return recover_exact(&subset(None), len).ok_or(LevelError::Digest);
    }
    // Locate: the unique point whose removal leaves a consistent set with a
    // valid digest.
    let mut culprit = None;
    let mut candidates = 0usize;
    for c in 0..m {
        if consistent(Some(c)) && recover_exact(&subset(Some(c)), len).is_some() {
            culprit = Some(c);
            candidates += 1;
        }
    }
    match (candidates, culprit) {
        (1, Some(c)) => Err(LevelError::Off(c)),
        _ => Err(LevelError::Inconsistent),
    }
}

/// Splits an encrypted master secret into groups of shares (the standard's
/// GenerateShares from step 5 on).
///
/// # Errors
/// [`Error::SecretLength`] and as [`Params::validate`].
pub fn split_ems<R: CryptoRng + ?Sized>(
    ems: &[u8],
    identifier: u16,
    params: &Params,
    rng: &mut R,
) -> Result<Vec<Vec<Share>>> {
    check_secret_len(ems.len())?;
    params.validate()?;
    let group_count = u8::try_from(params.groups.len()).map_err(|_| Error::Parameter {
        what: "the number of groups",
        found: params.groups.len(),
        max: 16,
    })?;
    let group_values = split_secret(params.group_threshold, group_count, ems, rng);
    let mut out = Vec::with_capacity(params.groups.len());
    for ((group_index, spec), gv) in (0u8..).zip(&params.groups).zip(&group_values) {
        let members = split_secret(spec.threshold, spec.count, gv, rng);
        out.push(
            (0u8..)
                .zip(members)
                .map(|(member_index, value)| Share {
                    identifier,
                    extendable: params.extendable,
                    iteration_exponent: params.iteration_exponent,
                    group_index,
                    group_threshold: params.group_threshold,
                    group_count,
                    member_index,
                    member_threshold: spec.threshold,
                    value,
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Splits a master secret (16 bytes or more, even length) into SLIP-0039
/// shares, one `Vec` per group.
///
/// # Errors
/// [`Error::SecretLength`], [`Error::PassphraseCharacter`] and as
/// [`Params::validate`].
pub fn split<R: CryptoRng + ?Sized>(
    master_secret: &[u8],
    passphrase: &[u8],
    params: &Params,
    rng: &mut R,
) -> Result<Vec<Vec<Share>>> {
    check_secret_len(master_secret.len())?;
    check_passphrase(passphrase)?;
    params.validate()?;
    let identifier = params
        .identifier
        .unwrap_or_else(|| u16::try_from(rng.next_u32() & 0x7FFF).unwrap_or(0));
    let ems = encrypt(
        master_secret,
        passphrase,
        params.iteration_exponent,
        identifier,
        params.extendable,
    )?;
    split_ems(&ems, identifier, params, rng)
}

/// The default cap on a share's iteration exponent at recovery
/// ([`Recovery::with_max_iteration_exponent`]): 5, above the 1 that
/// [`Params`] and the keyward ceremonies write, and far below the format's 15
/// (about 2^15 × 10,000 PBKDF2 rounds, tens of seconds per recovery).
pub const DEFAULT_MAX_ITERATION_EXPONENT: u8 = 5;

/// Recovers the master secret from mnemonics, all at once (share numbers in
/// errors are positions in `mnemonics`, from 1), with the default cap on the
/// iteration exponent.
///
/// # Errors
/// Any error of [`Recovery::add_mnemonic`] and [`Recovery::finish`].
pub fn combine_mnemonics<S: AsRef<str>>(
    mnemonics: &[S],
    passphrase: &[u8],
) -> Result<MasterSecret> {
    let mut r = Recovery::new();
    for m in mnemonics {
        r.add_mnemonic(m.as_ref())?;
    }
    r.finish(passphrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs1024_create_then_verify() {
        for ext in [false, true] {
            // Word 1 carries the extendable bit (bit 4).
            let data = [1u16, if ext { 16 } else { 2 }, 3, 1000, 17];
            let c = words::create(ext, &data);
            let mut all = data.to_vec();
            all.extend_from_slice(&c);
            assert!(words::verify(ext, &all));
            all[2] ^= 5;
            assert!(!words::verify(ext, &all));
            assert_eq!(words::locate_error(&all), Some(2));
        }
    }

    #[test]
    fn fast_error_location_matches_the_obvious_search() {
        let mut x = 12345u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for case in 0..60u32 {
            let n = 20 + (case as usize % 14);
            let mut v: Vec<u16> = (0..n - 3).map(|_| (next() % 1024) as u16).collect();
            let ext = words::extendable_of(&v);
            let c = words::create(ext, &v);
            v.extend_from_slice(&c);
            assert!(words::verify(ext, &v));
            // One, two or three damaged words, word 1 included sometimes.
            for _ in 0..=(case % 3) {
                let p = if case % 5 == 0 {
                    1
                } else {
                    next() as usize % n
                };
                v[p] ^= (1 + next() % 1023) as u16;
            }
            assert_eq!(
                words::locate_error(&v),
                words::locate_error_slow(&v),
                "case {case}"
            );
        }
    }

    #[test]
    fn wordlist_shape() {
        assert_eq!(words::words().count(), 1024);
        assert_eq!(word(0), "academic");
        assert_eq!(word(1023), "zero");
        assert_eq!(words::index_of("ZERO"), Some(1023));
        assert_eq!(words::index_of("acad"), Some(0));
        assert_eq!(words::index_of("aca"), None);
        assert_eq!(words::index_of("zeroes"), None);
        // Sorted, unique 4-letter prefixes: every word and prefix finds itself.
        for (i, w) in (0u16..).zip(words::words()) {
            assert_eq!(words::index_of(w), Some(i), "{w}");
            assert_eq!(words::index_of(&w[..4]), Some(i), "{w}");
            assert!(w.len() >= 4 && w.len() <= 8);
        }
        let all: Vec<&str> = words::words().collect();
        assert!(all.windows(2).all(|p| p[0] < p[1]));
    }
}
