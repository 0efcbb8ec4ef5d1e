//! Crockford Base32, GF(32) arithmetic and the grouped check-character code
//! shared by the Super PIN and Recovery Codes.
//!
//! # The algebra
//!
//! Symbols are the 32 values of GF(32) = GF(2)\[x\]/(x⁵ + x² + 1) written in
//! Crockford Base32 (`0123456789ABCDEFGHJKMNPQRSTVWXYZ`; the value of a symbol
//! is its index, read as the polynomial whose coefficients are its bits).
//! α = x (the value 2) is primitive: its powers run through all 31 non-zero
//! elements.
//!
//! A group is six symbols c₁ … c₆: five payload symbols and the check symbol
//! c₆. With the weights
//!
//! ```text
//! w = (α¹, α², α³, α⁴, α⁵, α⁰) = (2, 4, 8, 16, 5, 1)
//! ```
//!
//! and the constant k_g of group g, a group is valid when
//!
//! ```text
//! w₁c₁ + w₂c₂ + w₃c₃ + w₄c₄ + w₅c₅ + w₆c₆ = k_g          (in GF(32))
//! ```
//!
//! so the check symbol is c₆ = k_g + Σᵢ₌₁..₅ wᵢcᵢ (w₆ = 1; addition is XOR).
//!
//! * **Single substitution** cᵢ → cᵢ + e (e ≠ 0) changes the sum by wᵢe,
//!   which is non-zero because wᵢ ≠ 0 and GF(32) has no zero divisors:
//!   always detected.
//! * **Transposition** of cᵢ ≠ cⱼ changes the sum by (wᵢ + wⱼ)(cᵢ + cⱼ),
//!   non-zero because all six weights are distinct (wᵢ + wⱼ = 0 iff
//!   wᵢ = wⱼ). So every transposition inside a group is detected, the
//!   adjacent ones (including payload/check, c₅ ↔ c₆: α⁵ ≠ α⁰) among them.
//! * **A group in the wrong slot**: a valid group of slot g sums to k_g; in
//!   slot h it is checked against k_h ≠ k_g because the constants of a code
//!   are pairwise distinct. So a group moved to another slot always fails,
//!   and an exchange of two distinct groups makes *both* slots fail (two
//!   groups cannot both be valid in both slots).
//! * **Random errors of two or more symbols** in one group make the sum a
//!   random-looking element: they escape with probability ≈ 1/32 (exactly
//!   1/31 for two symbols with uniformly random non-zero changes: the second
//!   change must be the one value that cancels the first). The README reports
//!   the measured rate.
//!
//! The Super PIN uses k_g = g (1..=9); Recovery Codes use k_g = 16 + g
//! (17..=21), so a Recovery Code group is not valid in any slot of a Super PIN
//! and vice versa.
//!
//! # Side channels
//!
//! Symbol decoding and encoding, GF(32) multiplication and the check
//! computation have no secret-dependent branches or table lookups (range masks
//! and shift-and-XOR). Which characters are separators, whether a character is
//! valid, and which groups fail are reported to the caller, so they are public.

use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::error::{CodeKind, Error, GroupSet, Result};

/// Payload symbols per group.
pub const PAYLOAD_SYMBOLS: usize = 5;
/// Symbols per group (payload + check).
pub const GROUP_SYMBOLS: usize = 6;
/// The Crockford Base32 alphabet, symbol value = index.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Reduction of x⁵ in GF(32) = GF(2)\[x\]/(x⁵ + x² + 1): x⁵ = x² + 1.
pub const GF_REDUCTION: u8 = 0b0_0101;
/// Position weights w₁..w₆ = α¹, α², α³, α⁴, α⁵, α⁰ with α = x.
pub const WEIGHTS: [u8; GROUP_SYMBOLS] = [2, 4, 8, 16, 5, 1];

/// Multiplication in GF(32), without data-dependent branches (the tests'
/// reference for the Horner evaluation).
#[cfg(test)]
pub(crate) const fn gf_mul(a: u8, b: u8) -> u8 {
    let mut r = 0u8;
    let mut a = a & 0x1f;
    let mut i = 0;
    while i < 5 {
        let bit = (b >> i) & 1;
        r ^= a & 0u8.wrapping_sub(bit);
        let hi = (a >> 4) & 1;
        a = ((a << 1) & 0x1f) ^ (GF_REDUCTION & 0u8.wrapping_sub(hi));
        i += 1;
    }
    r
}

/// Multiplication by α = x in GF(32) (branch-free).
const fn times_alpha(a: u8) -> u8 {
    ((a << 1) & 0x1f) ^ (GF_REDUCTION & 0u8.wrapping_sub((a >> 4) & 1))
}

/// Σᵢ₌₁..₅ αⁱcᵢ by Horner's rule: α(c₁ + α(c₂ + α(c₃ + α(c₄ + αc₅)))). Equal
/// to the weighted sum with [`WEIGHTS`] (tested), with five multiplications by
/// α instead of five general products.
fn weighted_payload(c: &[u8; PAYLOAD_SYMBOLS]) -> u8 {
    let [c1, c2, c3, c4, c5] = *c;
    let mut acc = times_alpha(c5 & 0x1f);
    acc = times_alpha(acc ^ (c4 & 0x1f));
    acc = times_alpha(acc ^ (c3 & 0x1f));
    acc = times_alpha(acc ^ (c2 & 0x1f));
    times_alpha(acc ^ (c1 & 0x1f))
}

/// The check symbol of a group: k + Σ wᵢcᵢ over the five payload symbols.
pub(crate) fn check_symbol(constant: u8, payload: &[u8; PAYLOAD_SYMBOLS]) -> u8 {
    (constant & 0x1f) ^ weighted_payload(payload)
}

/// Σ wᵢcᵢ + k over the six symbols of a group: zero iff the group is valid.
pub(crate) fn syndrome(constant: u8, group: &[u8; GROUP_SYMBOLS]) -> u8 {
    let [c1, c2, c3, c4, c5, c6] = *group;
    (constant & 0x1f) ^ weighted_payload(&[c1, c2, c3, c4, c5]) ^ (c6 & 0x1f)
}

/// The same sums with general products, for tests.
#[cfg(test)]
fn syndrome_by_weights(constant: u8, group: &[u8; GROUP_SYMBOLS]) -> u8 {
    let mut acc = constant;
    for (w, c) in WEIGHTS.iter().zip(group) {
        acc ^= gf_mul(*w, *c);
    }
    acc
}

/// 0xFFFF if lo ≤ c ≤ lo + span, else 0; c, lo < 0x80, span < 0x80.
const fn range_mask(c: u16, lo: u16, span: u16) -> u16 {
    let d = c + 0x100 - lo; // ≥ 0x100 iff c ≥ lo
    let e = 0x200 + span - d; // ≥ 0x100 iff c ≤ lo + span
    0u16.wrapping_sub((d >> 8) & (e >> 8) & 1)
}

const fn low_byte(x: u16) -> u8 {
    x.to_le_bytes()[0]
}

/// The decoding table as bit planes over the 128 ASCII codes: bit `c` of
/// `PLANES[j]` is bit `j` of the value of character `c`, bit `c` of `VALID`
/// says whether `c` is a symbol (either case, with the aliases).
// Evaluated at compile time only (`const PLANES`): an out-of-range index
// or truncation would be a build error, not a run-time panic.
#[allow(clippy::cast_possible_truncation, clippy::indexing_slicing)]
const fn decode_planes() -> ([u128; 5], u128) {
    let mut planes = [0u128; 5];
    let mut valid = 0u128;
    let mut c = 0usize;
    while c < 128 {
        let up = (c as u8).to_ascii_uppercase();
        let mut v = 32u8;
        let mut i = 0;
        while i < 32 {
            if ALPHABET[i] == up {
                v = i as u8;
            }
            i += 1;
        }
        if up == b'O' {
            v = 0;
        }
        if up == b'I' || up == b'L' {
            v = 1;
        }
        if v < 32 {
            valid |= 1 << c;
            let mut j = 0;
            while j < 5 {
                planes[j] |= (((v >> j) & 1) as u128) << c;
                j += 1;
            }
        }
        c += 1;
    }
    (planes, valid)
}

const PLANES: ([u128; 5], u128) = decode_planes();

/// Decodes one ASCII character: `Some(value)` for a Crockford symbol (any case,
/// with O → 0 and I, L → 1), `None` otherwise. No secret-indexed memory access
/// and no secret-dependent branch: the value is read bit by bit from five
/// 128-bit planes by shifts (branch-free on 64-bit targets).
pub(crate) fn decode_char(c: char) -> Option<u8> {
    let Ok(b) = u8::try_from(c) else {
        return None;
    };
    if b >= 0x80 {
        return None;
    }
    let (planes, valid) = PLANES;
    let mut value = 0u8;
    for (j, plane) in (0u8..).zip(planes.iter()) {
        value |= plane_bit(*plane, b) << j;
    }
    if plane_bit(valid, b) == 0 {
        None
    } else {
        Some(value)
    }
}

/// Bit `b` (0..=127) of `plane`, without a branch on `b`. A variable shift
/// of a `u128` compiles to a select on bit 6 of the shift (digit versus
/// letter here), and the optimiser may turn a select into a branch; the
/// `superpin_parse` dudect test saw one. So both 64-bit halves are shifted
/// and one is chosen with `subtle`'s optimisation barrier.
fn plane_bit(plane: u128, b: u8) -> u8 {
    // Both conversions are exact (the values fit in 64 bits).
    let lo = u64::try_from(plane & u128::from(u64::MAX)).unwrap_or(0);
    let hi = u64::try_from(plane >> 64).unwrap_or(0);
    let shift = u32::from(b & 63);
    let take_hi = Choice::from((b >> 6) & 1);
    let bit = u64::conditional_select(&(lo >> shift), &(hi >> shift), take_hi) & 1;
    bit.to_le_bytes()[0]
}

/// Encodes a symbol value (0..=31; higher bits ignored) as its uppercase
/// Crockford character, without secret-dependent branches or lookups.
pub(crate) fn encode_symbol(v: u8) -> u8 {
    let v = u16::from(v & 0x1f);
    let mut out = 0u16;
    // (first value, span, first character)
    for (lo, span, first) in [
        (0u8, 9u8, b'0'),
        (10, 7, b'A'),
        (18, 1, b'J'),
        (20, 1, b'M'),
        (22, 4, b'P'),
        (27, 4, b'V'),
    ] {
        let (lo, first) = (u16::from(lo), u16::from(first));
        out |= range_mask(v, lo, u16::from(span)) & (v + first - lo);
    }
    low_byte(out)
}

/// The layout of a grouped code.
pub(crate) struct Spec<const G: usize> {
    pub(crate) kind: CodeKind,
    pub(crate) constants: [u8; G],
    pub(crate) version: u8,
}

/// Parses `input` into the payload symbols of `G` groups, written into
/// `payload` (the code's own storage, wiped when the code drops) only once
/// every check has passed: no copy of the payload is returned by value.
pub(crate) fn parse_into<const G: usize>(
    spec: &Spec<G>,
    input: &str,
    payload: &mut [[u8; PAYLOAD_SYMBOLS]; G],
) -> Result<()> {
    let kind = spec.kind;
    let mut symbols = Zeroizing::new([[0u8; GROUP_SYMBOLS]; G]);
    let mut n = 0usize;
    for (position, ch) in (1usize..).zip(input.chars()) {
        if ch == '-' || ch.is_whitespace() {
            continue;
        }
        let group = n / GROUP_SYMBOLS + 1;
        let index = n % GROUP_SYMBOLS + 1;
        let Some(value) = decode_char(ch) else {
            return Err(if ch == 'U' || ch == 'u' {
                Error::LetterU {
                    kind,
                    position,
                    group,
                    index,
                }
            } else {
                Error::Character {
                    kind,
                    position,
                    group,
                    index,
                    character: ch,
                }
            });
        };
        if let Some(slot) = symbols
            .get_mut(n / GROUP_SYMBOLS)
            .and_then(|g| g.get_mut(n % GROUP_SYMBOLS))
        {
            *slot = value;
        }
        n = n.saturating_add(1);
    }
    let expected = G * GROUP_SYMBOLS;
    if n != expected {
        return Err(Error::Length {
            kind,
            expected,
            found: n,
        });
    }
    let mut failed = GroupSet::EMPTY;
    for (g, (group, k)) in symbols.iter().zip(spec.constants.iter()).enumerate() {
        if syndrome(*k, group) != 0 {
            failed.insert(g + 1);
        }
    }
    if !failed.is_empty() {
        return Err(Error::Check {
            kind,
            groups: failed,
            total: G,
        });
    }
    let version = symbols.first().map_or(0, |g| g[0]);
    if version != spec.version {
        return Err(Error::Version {
            kind,
            found: version,
            expected: spec.version,
        });
    }
    for (p, s) in payload.iter_mut().zip(symbols.iter()) {
        for (d, v) in p.iter_mut().zip(s.iter()) {
            *d = *v;
        }
    }
    Ok(())
}

/// Writes the code as `XXXXXX-XXXXXX-…` (uppercase) into `out`, which must be
/// `G * 7 - 1` bytes long; returns the number of bytes written.
pub(crate) fn encode<const G: usize>(
    spec: &Spec<G>,
    payload: &[[u8; PAYLOAD_SYMBOLS]; G],
    out: &mut [u8],
) -> usize {
    let mut n = 0usize;
    let mut push = |b: u8| {
        if let Some(slot) = out.get_mut(n) {
            *slot = b;
            n += 1;
        }
    };
    for (g, (p, k)) in payload.iter().zip(spec.constants.iter()).enumerate() {
        if g > 0 {
            push(b'-');
        }
        for v in p {
            push(encode_symbol(*v));
        }
        push(encode_symbol(check_symbol(*k, p)));
    }
    n
}

/// Packs 5-bit symbols, most significant bit first, into bytes (the last byte
/// padded with zero bits).
pub(crate) fn pack<const G: usize>(payload: &[[u8; PAYLOAD_SYMBOLS]; G], out: &mut [u8]) {
    let mut acc: u16 = 0;
    let mut bits = 0u32;
    let mut i = 0usize;
    for v in payload.iter().flatten() {
        acc = (acc << 5) | u16::from(*v & 0x1f);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            if let Some(slot) = out.get_mut(i) {
                *slot = low_byte(acc >> bits);
            }
            i += 1;
            acc &= (1 << bits) - 1;
        }
    }
    if bits > 0 {
        if let Some(slot) = out.get_mut(i) {
            *slot = low_byte(acc << (8 - bits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload goes into the caller's storage only after every check:
    /// a failed parse writes nothing (no partial payload to wipe), a good
    /// one writes exactly the symbols encoded.
    #[test]
    fn parse_into_writes_only_after_every_check() {
        let spec = Spec::<2> {
            kind: CodeKind::RecoveryCode,
            constants: [3, 7],
            version: 1,
        };
        let payload = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
        let mut text = [0u8; 13];
        assert_eq!(encode(&spec, &payload, &mut text), 13);
        let text = core::str::from_utf8(&text).unwrap();
        let mut out = [[31u8; PAYLOAD_SYMBOLS]; 2];
        parse_into(&spec, text, &mut out).unwrap();
        assert_eq!(out, payload);
        // One symbol of group 2 changed: the check fails, nothing written.
        let mut bad = text.as_bytes().to_vec();
        bad[8] = if bad[8] == b'0' { b'1' } else { b'0' };
        let bad = core::str::from_utf8(&bad).unwrap();
        let mut out = [[31u8; PAYLOAD_SYMBOLS]; 2];
        assert!(matches!(
            parse_into(&spec, bad, &mut out),
            Err(Error::Check { .. })
        ));
        assert_eq!(out, [[31u8; PAYLOAD_SYMBOLS]; 2]);
        // Too short: nothing written either.
        assert!(matches!(
            parse_into(&spec, &text[..10], &mut out),
            Err(Error::Length { .. })
        ));
        assert_eq!(out, [[31u8; PAYLOAD_SYMBOLS]; 2]);
    }

    #[test]
    fn alphabet_round_trips_and_aliases() {
        for (v, c) in (0u8..).zip(ALPHABET.iter()) {
            assert_eq!(encode_symbol(v), *c);
            assert_eq!(decode_char(char::from(*c)), Some(v));
            assert_eq!(decode_char(char::from(c.to_ascii_lowercase())), Some(v));
        }
        assert_eq!(decode_char('O'), Some(0));
        assert_eq!(decode_char('o'), Some(0));
        for c in ['I', 'i', 'L', 'l'] {
            assert_eq!(decode_char(c), Some(1));
        }
        for c in [
            'U', 'u', '-', ' ', '@', '[', '`', '{', '/', ':', 'é', '\0', '\u{7f}',
        ] {
            assert_eq!(decode_char(c), None, "{c:?}");
        }
        // Every ASCII byte: valid exactly for the alphabet and the aliases.
        for b in 0u8..0x80 {
            let up = b.to_ascii_uppercase();
            let want = ALPHABET.contains(&up) || matches!(up, b'O' | b'I' | b'L');
            assert_eq!(decode_char(char::from(b)).is_some(), want, "{b:#x}");
        }
    }

    #[test]
    fn gf32_is_a_field_and_alpha_is_primitive() {
        // α = 2 has order 31.
        let mut p = 1u8;
        let mut seen = [false; 32];
        for _ in 0..31 {
            assert!(!seen[usize::from(p)]);
            seen[usize::from(p)] = true;
            p = gf_mul(p, 2);
        }
        assert_eq!(p, 1);
        // Every non-zero element has an inverse; no zero divisors.
        for a in 1u8..32 {
            assert_eq!((1u8..32).filter(|b| gf_mul(a, *b) == 1).count(), 1);
            for b in 1u8..32 {
                assert_ne!(gf_mul(a, b), 0);
                assert_eq!(gf_mul(a, b), gf_mul(b, a));
            }
        }
        // Weights are α¹..α⁵, α⁰.
        let mut w = 1u8;
        for weight in WEIGHTS.iter().take(5) {
            w = gf_mul(w, 2);
            assert_eq!(*weight, w);
        }
        assert_eq!(WEIGHTS[5], 1);
    }

    #[test]
    fn horner_equals_the_weighted_sum() {
        let mut x = 0x1234_5678u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let b = x.to_le_bytes();
            let g = [
                b[0] & 31,
                b[1] & 31,
                b[2] & 31,
                b[3] & 31,
                (b[0] >> 3) ^ (b[2] & 31),
                (b[1] >> 3) & 31,
            ];
            for k in 0..32 {
                assert_eq!(syndrome(k, &g), syndrome_by_weights(k, &g));
            }
        }
        for a in 0..32 {
            assert_eq!(times_alpha(a), gf_mul(a, 2));
        }
    }

    #[test]
    fn pack_is_msb_first() {
        let payload = [[1u8, 0, 0, 0, 0], [0x1f, 0, 0, 0, 0]];
        let mut out = [0u8; 7];
        pack(&payload, &mut out);
        // 00001 00000 00000 00000 00000 | 11111 00000 ... (50 bits → 7 bytes)
        assert_eq!(out, [0x08, 0, 0, 0x7c, 0, 0, 0]);
    }
}
