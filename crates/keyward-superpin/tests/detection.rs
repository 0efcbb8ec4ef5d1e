//! Error detection, exhaustively over a sample of codes: every single-character
//! substitution, every transposition inside a group, every exchange of two
//! groups and every group typed in another slot is detected and the right
//! group(s) named. Also measures the miss rate of random multi-character
//! errors inside one group (run with `--nocapture` to see the figures).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::needless_range_loop
)]

use keyward_core::rand_core;
use keyward_superpin::ALPHABET;
use keyward_superpin::{CodeKind, Error, RecoveryCode, SuperPin};
use proptest::prelude::*;

/// SplitMix64: a deterministic generator so the sample is reproducible.
struct TestRng(u64);

impl TestRng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

impl rand_core::TryRng for TestRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.next() as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.next())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.next() as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for TestRng {}

const SAMPLE: usize = 120;

/// Parses `s` as the given kind: Ok(()) or the error.
fn parse(kind: CodeKind, s: &str) -> Result<(), Error> {
    match kind {
        CodeKind::SuperPin => SuperPin::parse(s).map(|_| ()),
        CodeKind::RecoveryCode => RecoveryCode::parse(s).map(|_| ()),
    }
}

fn failing_groups(kind: CodeKind, s: &str) -> Vec<usize> {
    match parse(kind, s) {
        Err(Error::Check {
            kind: k, groups, ..
        }) => {
            assert_eq!(k, kind);
            groups.iter().collect()
        }
        other => panic!("{s}: expected a check error, got {other:?}"),
    }
}

/// The sample: the displayed forms of `SAMPLE` codes of each kind.
fn sample() -> Vec<(CodeKind, Vec<Vec<u8>>)> {
    let mut rng = TestRng(0x5eed_0001);
    let mut out = Vec::new();
    for _ in 0..SAMPLE {
        for (kind, shown) in [
            (CodeKind::SuperPin, SuperPin::generate(&mut rng).to_string()),
            (
                CodeKind::RecoveryCode,
                RecoveryCode::generate(&mut rng).to_string(),
            ),
        ] {
            assert_eq!(parse(kind, &shown), Ok(()));
            out.push((
                kind,
                shown.split('-').map(|g| g.as_bytes().to_vec()).collect(),
            ));
        }
    }
    out
}

fn join(groups: &[Vec<u8>]) -> String {
    groups
        .iter()
        .map(|g| String::from_utf8(g.clone()).unwrap())
        .collect::<Vec<_>>()
        .join("-")
}

#[test]
fn every_single_substitution_is_detected_in_its_group() {
    let mut checked = 0usize;
    for (kind, groups) in sample() {
        for g in 0..groups.len() {
            for i in 0..6 {
                for &c in ALPHABET.iter() {
                    if c == groups[g][i] {
                        continue;
                    }
                    let mut typo = groups.clone();
                    typo[g][i] = c;
                    assert_eq!(failing_groups(kind, &join(&typo)), vec![g + 1]);
                    checked += 1;
                }
            }
        }
    }
    // 120 × (54 + 30) × 31
    assert_eq!(checked, SAMPLE * 84 * 31);
}

#[test]
fn every_transposition_inside_a_group_is_detected() {
    let (mut adjacent, mut any) = (0usize, 0usize);
    for (kind, groups) in sample() {
        for g in 0..groups.len() {
            for i in 0..6 {
                for j in i + 1..6 {
                    if groups[g][i] == groups[g][j] {
                        continue; // swapping equal characters changes nothing
                    }
                    let mut typo = groups.clone();
                    typo[g].swap(i, j);
                    assert_eq!(
                        failing_groups(kind, &join(&typo)),
                        vec![g + 1],
                        "swap {i} {j}"
                    );
                    any += 1;
                    if j == i + 1 {
                        adjacent += 1;
                    }
                }
            }
        }
    }
    assert!(adjacent > SAMPLE * 14 * 5 * 9 / 10, "{adjacent}");
    assert!(any > adjacent);
}

#[test]
fn a_transposition_across_a_group_boundary_names_both_groups() {
    for (kind, groups) in sample() {
        for g in 0..groups.len() - 1 {
            if groups[g][5] == groups[g + 1][0] {
                continue;
            }
            let mut typo = groups.clone();
            let (a, b) = (typo[g][5], typo[g + 1][0]);
            typo[g][5] = b;
            typo[g + 1][0] = a;
            assert_eq!(failing_groups(kind, &join(&typo)), vec![g + 1, g + 2]);
        }
    }
}

#[test]
fn every_exchange_of_two_groups_names_both() {
    let mut checked = 0usize;
    for (kind, groups) in sample() {
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                // Distinct groups: valid groups of different slots can never
                // be equal (their sums differ), so this always holds.
                assert_ne!(groups[a], groups[b]);
                let mut typo = groups.clone();
                typo.swap(a, b);
                assert_eq!(failing_groups(kind, &join(&typo)), vec![a + 1, b + 1]);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, SAMPLE * (36 + 10));
}

#[test]
fn a_group_typed_in_another_slot_is_named() {
    for (kind, groups) in sample() {
        for from in 0..groups.len() {
            for to in 0..groups.len() {
                if from == to {
                    continue;
                }
                let mut typo = groups.clone();
                typo[to] = groups[from].clone();
                assert_eq!(failing_groups(kind, &join(&typo)), vec![to + 1]);
            }
        }
    }
}

#[test]
fn every_failing_group_is_listed() {
    let mut rng = TestRng(7);
    for (kind, groups) in sample() {
        // A random non-empty subset of groups gets one substitution each.
        let mask = 1 + rng.below((1 << groups.len()) - 1);
        let mut typo = groups.clone();
        let mut want = Vec::new();
        for g in 0..groups.len() {
            if mask & (1 << g) != 0 {
                let i = rng.below(6) as usize;
                let old = ALPHABET.iter().position(|c| *c == typo[g][i]).unwrap();
                typo[g][i] = ALPHABET[(old + 1 + rng.below(31) as usize) % 32];
                want.push(g + 1);
            }
        }
        assert_eq!(failing_groups(kind, &join(&typo)), want);
    }
}

/// Random errors of `k` characters (2..=6) inside one group, each replaced by
/// a different character: the fraction that passes the check. Expected about
/// 1/32 (exactly 1/31 for k = 2).
#[test]
fn miss_rate_of_random_multi_character_errors_in_one_group() {
    const TRIALS: usize = 200_000;
    let mut rng = TestRng(0xfeed);
    let codes = sample();
    let mut total = (0usize, 0usize);
    for k in 2..=6usize {
        let mut missed = 0usize;
        for t in 0..TRIALS {
            let (kind, groups) = &codes[t % codes.len()];
            let g = rng.below(groups.len() as u64) as usize;
            let mut positions: Vec<usize> = (0..6).collect();
            for i in 0..k {
                let j = i + rng.below((6 - i) as u64) as usize;
                positions.swap(i, j);
            }
            let mut typo = groups.clone();
            for &p in &positions[..k] {
                let old = ALPHABET.iter().position(|c| *c == typo[g][p]).unwrap();
                typo[g][p] = ALPHABET[(old + 1 + rng.below(31) as usize) % 32];
            }
            match parse(*kind, &join(&typo)) {
                Ok(()) => missed += 1,
                Err(Error::Check { groups: failed, .. }) => {
                    assert_eq!(failed.iter().collect::<Vec<_>>(), vec![g + 1]);
                }
                // The version symbol is checked after the group checks; a
                // miss that changes it shows up as a version error.
                Err(Error::Version { .. }) => missed += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
        let rate = missed as f64 / TRIALS as f64;
        println!(
            "miss rate, {k} characters changed in one group: {missed}/{TRIALS} = {rate:.5} (1/32 = 0.03125)"
        );
        assert!((0.027..0.036).contains(&rate), "k = {k}: {rate}");
        total.0 += missed;
        total.1 += TRIALS;
    }
    let rate = total.0 as f64 / total.1 as f64;
    println!(
        "miss rate, 2 to 6 characters: {}/{} = {rate:.5}",
        total.0, total.1
    );
}

#[test]
fn separators_case_and_aliases_do_not_matter() {
    for (kind, groups) in sample().into_iter().take(40) {
        let canonical = join(&groups);
        let plain = canonical.replace('-', "");
        for variant in [
            canonical.to_lowercase(),
            canonical.replace('-', " "),
            plain.clone(),
            format!("  {}\n", plain.to_lowercase()),
            canonical.replace('0', "O").replace('1', "L"),
            canonical.replace('0', "o").replace('1', "i"),
            plain
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 3 == 2 {
                        format!("{c} ")
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        ] {
            assert_eq!(parse(kind, &variant), Ok(()), "{variant}");
        }
    }
}

#[test]
fn the_letter_u_is_named() {
    let pin = SuperPin::generate(&mut TestRng(3)).to_string();
    let typo = format!("{}U{}", &pin[..8], &pin[9..]);
    let e = SuperPin::parse(&typo).unwrap_err();
    assert_eq!(
        e,
        Error::LetterU {
            kind: CodeKind::SuperPin,
            position: 9,
            group: 2,
            index: 2
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("letter U at position 9 (group 2, character 2)"),
        "{text}"
    );
    assert!(text.contains("without I, L, O, U"), "{text}");
}

#[test]
fn error_messages_name_the_groups() {
    let pin = SuperPin::generate(&mut TestRng(4)).to_string();
    let mut groups: Vec<&str> = pin.split('-').collect();
    groups.swap(2, 6);
    let e = SuperPin::parse(&groups.join("-")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Super PIN check failed in groups 3 and 7 of 9: a character is mistyped there, or the group is in the wrong place"
    );
    let e = SuperPin::parse(&pin[..61]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a Super PIN has 54 characters (separators not counted), found 53"
    );
    let e = RecoveryCode::parse("1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "a Recovery Code has 30 characters (separators not counted), found 1"
    );
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,80}") {
        let _ = SuperPin::parse(&s);
        let _ = RecoveryCode::parse(&s);
    }

    #[test]
    fn display_parses_back(seed in any::<u64>()) {
        let mut rng = TestRng(seed);
        let pin = SuperPin::generate(&mut rng);
        prop_assert_eq!(SuperPin::parse(&pin.to_string()).unwrap(), pin);
        let rc = RecoveryCode::generate(&mut rng);
        prop_assert_eq!(RecoveryCode::parse(&rc.to_string()).unwrap(), rc);
    }
}

/// The separators `docs/formats.md` ("Alphabet and GF(32)") lists are
/// ignored anywhere; the look-alikes it lists are refused at their position.
#[test]
fn separators_are_exactly_those_the_spec_lists() {
    let pin = SuperPin::generate(&mut keyward_core::os_rng());
    let shown = pin.to_string();
    let compact: String = shown.chars().filter(|&c| c != '-').collect();
    let separators = [
        '-', '\t', '\n', '\u{0B}', '\u{0C}', '\r', ' ', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}',
        '\u{2005}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}',
    ];
    for sep in separators {
        // Before, between every symbol and after.
        let mut text = String::from(sep);
        for c in compact.chars() {
            text.push(c);
            text.push(sep);
        }
        assert_eq!(
            SuperPin::parse(&text).ok(),
            Some(pin.clone()),
            "U+{:04X} must be a separator",
            u32::from(sep)
        );
    }
    let not_separators = [
        '\u{200B}', '\u{FEFF}', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}',
        '\u{2015}', '\u{2212}', '_', '.', '/',
    ];
    for bad in not_separators {
        // After the first group: character 7, group 2, index 1.
        let text = format!("{}{bad}{}", &compact[..6], &compact[6..]);
        match SuperPin::parse(&text) {
            Err(Error::Character {
                position: 7,
                group: 2,
                index: 1,
                character,
                ..
            }) => assert_eq!(character, bad),
            other => panic!(
                "U+{:04X}: expected an invalid character at 7, got {other:?}",
                u32::from(bad)
            ),
        }
    }
}
