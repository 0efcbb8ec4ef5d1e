//! XOR key components (n-of-n, 2 ≤ n ≤ 16).
//!
//! A key is entered into an HSM as components held by different custodians:
//! every component is a full-length key, and the key is the XOR of all of
//! them. Each component has its own KCV so that each custodian can check their
//! part, and the combined key's KCV is compared across replicated HSMs.
//!
//! Any n − 1 components are uniformly random and independent of the key.

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::kcv::{ExpectedKcv, KcvMethod};
use crate::key::{AesKey, KeyLength};

/// Smallest number of components.
pub const MIN_COMPONENTS: usize = 2;
/// Largest number of components.
pub const MAX_COMPONENTS: usize = 16;

/// The components of a key, made by [`split`]. Fixed capacity (no allocation);
/// zeroized on drop.
pub struct Components {
    length: KeyLength,
    count: usize,
    data: [[u8; 32]; MAX_COMPONENTS],
}

impl Components {
    /// Number of components.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Always false: there are at least two components.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Component `index` (0-based) as a key, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<AesKey> {
        if index >= self.count {
            return None;
        }
        let bytes = self.data.get(index)?.get(..self.length.bytes())?;
        AesKey::from_slice(bytes).ok()
    }

    /// The components in order.
    pub fn iter(&self) -> impl Iterator<Item = AesKey> + '_ {
        (0..self.count).filter_map(|i| self.get(i))
    }
}

impl Drop for Components {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl ZeroizeOnDrop for Components {}

impl core::fmt::Debug for Components {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Splits `key` into `count` components: `count − 1` random keys and one that
/// makes the XOR of all equal to `key`.
///
/// # Errors
/// [`Error::ComponentCount`] unless 2 ≤ `count` ≤ 16.
pub fn split<R: CryptoRng + ?Sized>(key: &AesKey, count: usize, rng: &mut R) -> Result<Components> {
    if !(MIN_COMPONENTS..=MAX_COMPONENTS).contains(&count) {
        return Err(Error::ComponentCount { found: count });
    }
    let length = key.length();
    let n = length.bytes();
    let mut out = Components {
        length,
        count,
        data: [[0u8; 32]; MAX_COMPONENTS],
    };
    let mut last = [0u8; 32];
    for (dst, src) in last.iter_mut().zip(key.expose_secret()) {
        *dst = *src;
    }
    for component in out.data.iter_mut().take(count.saturating_sub(1)) {
        let part = component.get_mut(..n).unwrap_or(&mut []);
        rng.fill_bytes(part);
        for (l, c) in last.iter_mut().zip(part.iter()) {
            *l ^= *c;
        }
    }
    if let Some(slot) = out.data.get_mut(count.saturating_sub(1)) {
        *slot = last;
    }
    last.zeroize();
    Ok(out)
}

/// One component as entered by a custodian, with the KCV they were given.
#[derive(Debug, Clone)]
pub struct ComponentInput {
    /// The component.
    pub key: AesKey,
    /// The KCV printed with the component, if any.
    pub expected_kcv: Option<ExpectedKcv>,
}

/// XORs `components` into the key, checking each component's expected KCV and
/// the combined key's expected KCV, all by `method`.
///
/// # Errors
/// * [`Error::ComponentCount`] unless 2 ≤ n ≤ 16;
/// * [`Error::ComponentLength`] naming the first component (1-based) whose
///   length differs from component 1;
/// * [`Error::ComponentKcv`] naming the first component whose KCV fails;
/// * [`Error::ZeroKey`] if the components cancel out;
/// * [`Error::CombinedKcv`] if the combined key's KCV differs from `expected`.
pub fn combine(
    components: &[ComponentInput],
    method: KcvMethod,
    expected: Option<&ExpectedKcv>,
) -> Result<AesKey> {
    let count = components.len();
    if !(MIN_COMPONENTS..=MAX_COMPONENTS).contains(&count) {
        return Err(Error::ComponentCount { found: count });
    }
    let first_len = components.first().map_or(0, |c| c.key.length().bytes());
    for (number, c) in (1usize..).zip(components) {
        let found = c.key.length().bytes();
        if found != first_len {
            return Err(Error::ComponentLength {
                component: number,
                expected: first_len,
                found,
            });
        }
    }
    for (number, c) in (1usize..).zip(components) {
        if let Some(want) = &c.expected_kcv {
            let kcv = c.key.kcv_with(method);
            if !kcv.matches(want) {
                return Err(Error::ComponentKcv {
                    component: number,
                    expected: want.shown(),
                    found: kcv.shown(),
                });
            }
        }
    }
    let mut acc = [0u8; 32];
    for c in components {
        for (a, b) in acc.iter_mut().zip(c.key.expose_secret()) {
            *a ^= *b;
        }
    }
    let key = AesKey::from_slice(acc.get(..first_len).unwrap_or(&[]));
    acc.zeroize();
    let key = key?;
    if bool::from(key.is_zero()) {
        return Err(Error::ZeroKey);
    }
    if let Some(want) = expected {
        let kcv = key.kcv_with(method);
        if !kcv.matches(want) {
            return Err(Error::CombinedKcv {
                expected: want.shown(),
                found: kcv.shown(),
            });
        }
    }
    Ok(key)
}

/// Whether two keys are equal, in constant time (a convenience for checks
/// after a split).
pub fn keys_equal(a: &AesKey, b: &AesKey) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    struct Xorshift(u64);
    impl rand_core::TryRng for Xorshift {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok((self.try_next_u64()? >> 32) as u32)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            Ok(self.0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u64()? as u8;
            }
            Ok(())
        }
    }
    // Test-only deterministic generator; not cryptographic.
    impl rand_core::TryCryptoRng for Xorshift {}

    fn inputs(c: &Components, with_kcv: bool) -> Vec<ComponentInput> {
        c.iter()
            .map(|key| {
                let kcv = key.kcv();
                let mut buf = [0u8; 6];
                let s = crate::hex::encode_upper(&kcv.shown(), &mut buf).unwrap();
                ComponentInput {
                    expected_kcv: with_kcv.then(|| ExpectedKcv::parse(s).unwrap()),
                    key,
                }
            })
            .collect()
    }

    #[test]
    fn split_then_combine_round_trips_for_every_count_and_length() {
        let mut rng = Xorshift(0x1234_5678_9abc_def1);
        for length in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
            for n in MIN_COMPONENTS..=MAX_COMPONENTS {
                let key = AesKey::generate(length, &mut rng);
                let parts = split(&key, n, &mut rng).unwrap();
                assert_eq!(parts.len(), n);
                let all = inputs(&parts, true);
                let kcv = ExpectedKcv::parse(&std::format!("{}", key.kcv())).unwrap();
                let back = combine(&all, KcvMethod::Cmac, Some(&kcv)).unwrap();
                assert!(keys_equal(&back, &key));
                // No component equals the key (overwhelmingly likely; the
                // generator above is fixed so this is deterministic).
                assert!(parts.iter().all(|p| !keys_equal(&p, &key)));
            }
        }
    }

    #[test]
    fn wrong_component_kcv_names_the_component() {
        let mut rng = Xorshift(99);
        let key = AesKey::generate(KeyLength::Aes256, &mut rng);
        let parts = split(&key, 3, &mut rng).unwrap();
        let mut all = inputs(&parts, true);
        // Component 2 altered: its own KCV catches it.
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(all[1].key.expose_secret());
        bytes[7] ^= 0x40;
        all[1].key = AesKey::from_slice(&bytes).unwrap();
        assert!(matches!(
            combine(&all, KcvMethod::Cmac, None),
            Err(Error::ComponentKcv { component: 2, .. })
        ));
        // Without per-component KCVs the combined KCV catches it.
        for c in &mut all {
            c.expected_kcv = None;
        }
        let want = ExpectedKcv::parse(&std::format!("{}", key.kcv())).unwrap();
        assert!(matches!(
            combine(&all, KcvMethod::Cmac, Some(&want)),
            Err(Error::CombinedKcv { .. })
        ));
    }

    #[test]
    fn mixed_lengths_count_and_zero_key_are_rejected() {
        let a = ComponentInput {
            key: AesKey::from_slice(&[1; 16]).unwrap(),
            expected_kcv: None,
        };
        let b = ComponentInput {
            key: AesKey::from_slice(&[1; 32]).unwrap(),
            expected_kcv: None,
        };
        assert_eq!(
            combine(&[a.clone(), a.clone(), b], KcvMethod::Cmac, None),
            Err(Error::ComponentLength {
                component: 3,
                expected: 16,
                found: 32
            })
        );
        assert_eq!(
            combine(core::slice::from_ref(&a), KcvMethod::Cmac, None),
            Err(Error::ComponentCount { found: 1 })
        );
        assert_eq!(
            combine(&[a.clone(), a], KcvMethod::Cmac, None),
            Err(Error::ZeroKey)
        );
        let mut rng = Xorshift(5);
        let key = AesKey::generate(KeyLength::Aes128, &mut rng);
        assert!(matches!(
            split(&key, 1, &mut rng),
            Err(Error::ComponentCount { found: 1 })
        ));
        assert!(matches!(
            split(&key, 17, &mut rng),
            Err(Error::ComponentCount { found: 17 })
        ));
    }
}
