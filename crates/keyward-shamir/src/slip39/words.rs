//! The SLIP-0039 word list and RS1024 checksum.
//!
//! The word list is the standard's (1024 words, sorted, unique 4-letter
//! prefixes), copied from the reference implementation (MIT, SatoshiLabs).

/// The 1024 words, one per line.
const WORDLIST: &str = include_str!("wordlist.txt");

/// Byte offset of each word in [`WORDLIST`], built by the compiler; entry
/// 1024 is one past the end of the last line.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const OFFSETS: [u16; 1025] = {
    let bytes = WORDLIST.as_bytes();
    let mut off = [0u16; 1025];
    let mut n = 1;
    let mut i = 0;
    while i < bytes.len() && n < 1025 {
        if bytes[i] == b'\n' {
            off[n] = (i + 1) as u16;
            n += 1;
        }
        i += 1;
    }
    assert!(n == 1025, "the word list must have 1024 lines");
    off
};

/// The word with index `i` (0..1024).
pub fn word(i: u16) -> &'static str {
    let i = usize::from(i);
    match (OFFSETS.get(i), OFFSETS.get(i + 1)) {
        (Some(&a), Some(&b)) => WORDLIST
            .get(usize::from(a)..usize::from(b).saturating_sub(1))
            .unwrap_or(""),
        _ => "",
    }
}

/// All words, in index order.
#[cfg(test)]
pub fn words() -> impl Iterator<Item = &'static str> {
    (0..1024u16).map(word)
}

/// The index of `token`: a whole word, or (4 letters or more) a prefix of
/// exactly one word, case-insensitively. Binary search: the list is sorted
/// and every word has a unique 4-letter prefix.
pub fn index_of(token: &str) -> Option<u16> {
    if token.len() < 4 || token.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    for (d, s) in buf.iter_mut().zip(token.bytes()) {
        *d = s.to_ascii_lowercase();
    }
    let t = buf.get(..token.len())?;
    // First word >= token.
    let (mut lo, mut hi) = (0u16, 1024u16);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if word(mid).as_bytes() < t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (lo < 1024 && word(lo).as_bytes().starts_with(t)).then_some(lo)
}

/// RS1024 generator constants from the standard.
const GEN: [u32; 10] = [
    0x00E0_E040,
    0x01C1_C080,
    0x0383_8100,
    0x0707_0200,
    0x0E0E_0009,
    0x1C0C_2412,
    0x3808_6C24,
    0x3090_FC48,
    0x21B1_F890,
    0x03F3_F120,
];

/// The customization string for the extendable flag.
pub fn customization(extendable: bool) -> &'static [u8] {
    if extendable {
        b"shamir_extendable"
    } else {
        b"shamir"
    }
}

fn polymod(cs: &[u8], values: &[u16], extra_zeros: usize) -> u32 {
    let mut chk: u32 = 1;
    let feed = cs
        .iter()
        .map(|&c| u32::from(c))
        .chain(values.iter().map(|&v| u32::from(v)))
        .chain(core::iter::repeat_n(0, extra_zeros));
    for v in feed {
        chk = polymod_step(chk, v);
    }
    chk
}

/// One RS1024 step, branch-free: the ten top bits of the state select the
/// generator constants through masks (`0 - bit` is all ones or all zeros),
/// never through a branch or an index, because the state is derived from
/// share values.
fn polymod_step(chk: u32, v: u32) -> u32 {
    let b = chk >> 20;
    let mut next = ((chk & 0x000F_FFFF) << 10) ^ v;
    for (i, g) in GEN.iter().enumerate() {
        let mask = 0u32.wrapping_sub((b >> i) & 1);
        next ^= g & mask;
    }
    next
}

/// Whether `values` (data words then three checksum words) verify.
pub fn verify(extendable: bool, values: &[u16]) -> bool {
    polymod(customization(extendable), values, 0) == 1
}

/// The extendable flag a word list claims (bit 4 of word 1).
pub fn extendable_of(values: &[u16]) -> bool {
    values.get(1).is_some_and(|w| (w >> 4) & 1 == 1)
}

/// The three checksum words for the data words.
pub fn create(extendable: bool, data: &[u16]) -> [u16; 3] {
    let pm = polymod(customization(extendable), data, 3) ^ 1;
    let w = |shift: u32| u16::try_from((pm >> shift) & 1023).unwrap_or(0);
    [w(20), w(10), w(0)]
}

/// One step of the RS1024 polymod with a zero input word: the linear map
/// that carries a difference in the checksum state one word further.
fn step0(chk: u32) -> u32 {
    let b = chk >> 20;
    let mut c = (chk & 0x000F_FFFF) << 10;
    for (i, g) in GEN.iter().enumerate() {
        if (b >> i) & 1 == 1 {
            c ^= g;
        }
    }
    c
}

/// Whether `target` is a XOR of some of `vectors` (Gaussian elimination over
/// GF(2)). Only called with a non-zero target, so a solution is a non-zero
/// change.
fn in_span(vectors: impl Iterator<Item = u32>, target: u32) -> bool {
    let mut basis = [0u32; 32];
    for v in vectors {
        let mut x = v;
        for bit in (0..32).rev() {
            if (x >> bit) & 1 == 0 {
                continue;
            }
            match basis.get_mut(bit) {
                Some(slot) if *slot == 0 => {
                    *slot = x;
                    break;
                }
                Some(slot) => x ^= *slot,
                None => break,
            }
        }
    }
    let mut t = target;
    for bit in (0..32).rev() {
        if (t >> bit) & 1 == 1 {
            match basis.get(bit) {
                Some(&b) if b != 0 => t ^= b,
                _ => return false,
            }
        }
    }
    t == 0
}

/// The 0-based position where changing one word makes the checksum verify,
/// when exactly one position does.
///
/// The standard forbids suggesting the correction itself; only the position
/// is reported. With a distance-4 code, one wrong word is always located
/// correctly; two wrong words are never "located" (no single change fixes
/// them); three or more may be mislocated.
///
/// The polymod is affine over GF(2): XORing `d` into word p changes the
/// result by `M^(n-1-p)(d)`, `M` the zero-input step. So for each position
/// the ten basis differences are carried along, and whether some `d` fixes
/// the checksum is a linear system solved by elimination. The customization string
/// follows the extendable bit of word 1, which a change of word 1 may flip.
pub fn locate_error(values: &[u16]) -> Option<usize> {
    let ext = extendable_of(values);
    let r_same = polymod(customization(ext), values, 0) ^ 1;
    let r_other = polymod(customization(!ext), values, 0) ^ 1;
    let mut basis: [u32; 10] = core::array::from_fn(|b| 1u32 << b);
    let mut found = None;
    for p in (0..values.len()).rev() {
        let fixes = if p == 1 {
            // d with bit 4 clear keeps the customization string; with bit 4
            // set it switches it, and basis[4] is part of the difference.
            let others = basis
                .iter()
                .enumerate()
                .filter(|&(b, _)| b != 4)
                .map(|(_, &v)| v);
            let b4 = basis.get(4).copied().unwrap_or(0);
            in_span(others.clone(), r_same) || in_span(others, r_other ^ b4)
        } else {
            in_span(basis.iter().copied(), r_same)
        };
        if fixes {
            if found.is_some() {
                return None;
            }
            found = Some(p);
        }
        for v in &mut basis {
            *v = step0(*v);
        }
    }
    found
}

/// The obvious search (every position, every word), as a test oracle.
#[cfg(test)]
pub fn locate_error_slow(values: &[u16]) -> Option<usize> {
    let mut trial = values.to_vec();
    let mut found = None;
    for p in 0..trial.len() {
        let orig = values[p];
        let fixes = (0..1024u16).filter(|&v| v != orig).any(|v| {
            trial[p] = v;
            verify(extendable_of(&trial), &trial)
        });
        trial[p] = orig;
        if fixes {
            if found.is_some() {
                return None;
            }
            found = Some(p);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard's branching step (SLIP-0039 reference `rs1024_polymod`).
    fn reference_step(chk: u32, v: u32) -> u32 {
        let b = chk >> 20;
        let mut chk = ((chk & 0x000F_FFFF) << 10) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
        chk
    }

    #[test]
    fn masked_step_equals_the_reference_step() {
        // Every top-10-bit pattern of the state, with a spread of low bits
        // and input words.
        let mut x: u32 = 0x1234_5678;
        for top in 0u32..1024 {
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let chk = (top << 20) | (x & 0x000F_FFFF);
                let v = (x >> 20) & 1023;
                assert_eq!(polymod_step(chk, v), reference_step(chk, v));
            }
        }
    }
}
