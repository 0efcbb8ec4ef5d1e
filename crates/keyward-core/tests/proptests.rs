#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Property tests of keyward-core's invariants.

use keyward_core::components::{self, ComponentInput};
use keyward_core::rand_core::{TryCryptoRng, TryRng};
use keyward_core::{AesKey, Error, ExpectedKcv, HashKey, HexCharClass, KcvMethod, KeyLength};
use proptest::prelude::*;

/// Replays bytes chosen by proptest as "randomness" (test only).
struct Replay(Vec<u8>, usize);
impl TryRng for Replay {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for d in dst {
            *d = self.0[self.1 % self.0.len()] ^ (self.1 as u8);
            self.1 += 1;
        }
        Ok(())
    }
}
impl TryCryptoRng for Replay {}

fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 16),
        prop::collection::vec(any::<u8>(), 24),
        prop::collection::vec(any::<u8>(), 32),
    ]
}

proptest! {
    #[test]
    fn hex_round_trips_in_any_case_and_grouping(bytes in key_strategy(), upper in any::<bool>(), group in 1usize..9) {
        let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if upper { hex = hex.to_uppercase(); }
        let grouped: Vec<String> = hex.as_bytes().chunks(group).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let key = AesKey::from_hex(&grouped.join(" \n")).unwrap();
        prop_assert_eq!(key.expose_secret(), &bytes[..]);
    }

    #[test]
    fn a_non_hex_character_is_named_at_its_position(bytes in key_strategy(), pos in any::<prop::sample::Index>(), bad in "[g-zG-Z!@#%]") {
        let mut hex: Vec<char> = bytes.iter().flat_map(|b| format!("{b:02x}").chars().collect::<Vec<_>>()).collect();
        let i = pos.index(hex.len());
        let c = bad.chars().next().unwrap();
        hex[i] = c;
        let s: String = hex.into_iter().collect();
        prop_assert_eq!(AesKey::from_hex(&s), Err(Error::HexCharacter { position: i + 1, class: HexCharClass::of(c) }));
    }

    #[test]
    fn components_round_trip_and_any_changed_component_is_named(
        bytes in key_strategy(), n in 2usize..=16, seed in prop::collection::vec(any::<u8>(), 1..64),
        victim in any::<prop::sample::Index>(), byte in any::<prop::sample::Index>(), flip in 1u8..=255,
    ) {
        let key = AesKey::from_slice(&bytes).unwrap();
        prop_assume!(!bool::from(key.is_zero()));
        let parts = components::split(&key, n, &mut Replay(seed, 0)).unwrap();
        let mut inputs: Vec<ComponentInput> = parts.iter().map(|k| ComponentInput {
            expected_kcv: Some(ExpectedKcv::parse(&k.kcv().to_string()).unwrap()), key: k,
        }).collect();
        let back = components::combine(&inputs, KcvMethod::Cmac, None).unwrap();
        prop_assert_eq!(&back, &key);
        let v = victim.index(n);
        let mut changed = inputs[v].key.expose_secret().to_vec();
        let b = byte.index(changed.len());
        changed[b] ^= flip;
        let changed_key = AesKey::from_slice(&changed).unwrap();
        // A 3-byte KCV collides with probability 2^-24; skip that case honestly.
        prop_assume!(changed_key.kcv().shown() != inputs[v].key.kcv().shown());
        inputs[v].key = changed_key;
        let err = components::combine(&inputs, KcvMethod::Cmac, None).unwrap_err();
        prop_assert!(matches!(err, Error::ComponentKcv { component, .. } if component == v + 1), "{err:?}");
    }

    #[test]
    fn hashkey_accepts_exactly_32_printable_ascii(s in "[!-~]{32}") {
        prop_assert!(HashKey::new(&s).is_ok());
    }

    #[test]
    fn hashkey_rejects_other_lengths_with_the_count(s in "[!-~]{0,31}|[!-~]{33,64}") {
        prop_assert_eq!(HashKey::new(&s).unwrap_err(), Error::HashKeyLength { found: s.chars().count() });
    }

    #[test]
    fn generated_keys_have_the_requested_length(seed in prop::collection::vec(any::<u8>(), 1..8)) {
        for len in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
            prop_assert_eq!(AesKey::generate(len, &mut Replay(seed.clone(), 0)).expose_secret().len(), len.bytes());
        }
    }
}
