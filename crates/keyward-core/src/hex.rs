//! Constant-time hex for key material, through [`base16ct`].
//!
//! Input may be upper or lower case and may contain ASCII whitespace anywhere
//! (keys are often printed in groups: `2b7e1516 28aed2a6 …`). For valid input
//! the digits are decoded by `base16ct` in constant time; only when the input
//! is already known to be invalid is it scanned to name the first bad character.

use crate::error::{Error, HexCharClass, Result};

/// Number of non-whitespace characters in `input`.
pub(crate) fn digit_count(input: &str) -> usize {
    input.chars().filter(|c| !c.is_ascii_whitespace()).count()
}

/// The first character that is neither whitespace nor a hex digit: its
/// 1-based position and its class, never the character (it may be a piece of
/// a secret). Only called on input already known to be invalid.
pub(crate) fn first_bad_character(input: &str) -> Option<Error> {
    input
        .chars()
        .zip(1usize..)
        .find(|(c, _)| !c.is_ascii_whitespace() && !c.is_ascii_hexdigit())
        .map(|(c, position)| Error::HexCharacter {
            position,
            class: HexCharClass::of(c),
        })
}

/// Decodes `input` into exactly `out.len()` bytes.
///
/// # Errors
/// [`Error::HexCharacter`] for the first character that is not a hex digit or
/// whitespace (reported first, as the more precise diagnosis), else
/// [`Error::HexLength`] if the digit count is not `2 * out.len()`.
pub fn decode_into(input: &str, out: &mut [u8]) -> Result<()> {
    let found = digit_count(input);
    let expected = out.len().saturating_mul(2);
    if found != expected {
        return Err(first_bad_character(input).unwrap_or(Error::HexLength { expected, found }));
    }
    let mut digits = input.bytes().filter(|b| !b.is_ascii_whitespace());
    let mut ok = true;
    for byte in out.iter_mut() {
        // Non-ASCII bytes are not whitespace and fail decoding below.
        let pair = [digits.next().unwrap_or(0), digits.next().unwrap_or(0)];
        let mut one = [0u8; 1];
        // `base16ct::mixed::decode` is constant-time in the digit values.
        ok &= base16ct::mixed::decode(pair, &mut one).is_ok();
        *byte = one[0];
    }
    if ok {
        Ok(())
    } else {
        zeroize::Zeroize::zeroize(out);
        Err(first_bad_character(input).unwrap_or(Error::HexLength { expected, found }))
    }
}

/// Encodes `src` as uppercase hex into `dst` (constant time).
///
/// # Errors
/// [`Error::BufferTooSmall`] if `dst` is shorter than `2 * src.len()`.
pub fn encode_upper<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a str> {
    let needed = src.len().saturating_mul(2);
    let available = dst.len();
    base16ct::upper::encode_str(src, dst).map_err(|_| Error::BufferTooSmall { needed, available })
}

/// Encodes `src` as lowercase hex into `dst` (constant time).
///
/// # Errors
/// [`Error::BufferTooSmall`] if `dst` is shorter than `2 * src.len()`.
pub fn encode_lower<'a>(src: &[u8], dst: &'a mut [u8]) -> Result<&'a str> {
    let needed = src.len().saturating_mul(2);
    let available = dst.len();
    base16ct::lower::encode_str(src, dst).map_err(|_| Error::BufferTooSmall { needed, available })
}

/// Lowercase hex of `src` in a string that is zeroized on drop.
#[cfg(feature = "alloc")]
pub fn to_lower_zeroizing(src: &[u8]) -> zeroize::Zeroizing<alloc::string::String> {
    zeroize::Zeroizing::new(base16ct::lower::encode_string(src))
}

/// Uppercase hex of `src` in a string that is zeroized on drop.
#[cfg(feature = "alloc")]
pub fn to_upper_zeroizing(src: &[u8]) -> zeroize::Zeroizing<alloc::string::String> {
    zeroize::Zeroizing::new(base16ct::upper::encode_string(src))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_mixed_case_with_whitespace() {
        let mut out = [0u8; 4];
        decode_into(" 2B7e\n15 16\t", &mut out).unwrap();
        assert_eq!(out, [0x2b, 0x7e, 0x15, 0x16]);
    }

    #[test]
    fn names_first_bad_character_and_position() {
        let mut out = [0u8; 4];
        assert_eq!(
            decode_into("2b7e 15g6", &mut out),
            Err(Error::HexCharacter {
                position: 8,
                class: HexCharClass::Letter
            })
        );
        assert_eq!(out, [0; 4], "partial output is wiped");
        // A bad character is reported even when the length is also wrong.
        assert_eq!(
            decode_into("zz", &mut out),
            Err(Error::HexCharacter {
                position: 1,
                class: HexCharClass::Letter
            })
        );
        // Non-ASCII: position counts characters, not bytes.
        assert_eq!(
            decode_into("é0112233", &mut out),
            Err(Error::HexCharacter {
                position: 1,
                class: HexCharClass::NonAscii
            })
        );
        assert_eq!(
            decode_into("00#1", &mut out[..2]),
            Err(Error::HexCharacter {
                position: 3,
                class: HexCharClass::Punctuation
            })
        );
        assert_eq!(
            decode_into("00\u{7}1", &mut out[..2]),
            Err(Error::HexCharacter {
                position: 3,
                class: HexCharClass::Control
            })
        );
    }

    /// The message names the position and the class, never the character:
    /// a HashKey piped where a key is expected keeps all its characters.
    #[test]
    fn the_message_never_shows_the_character() {
        extern crate std;
        use std::{format, string::ToString};
        let mut out = [0u8; 16];
        for secret in [
            "Site-HashKey/for:demo#2026-11-22",
            "S3cr3t!Pässwörd~~~~~~~~~~~~~~~~~",
        ] {
            let message = decode_into(secret, &mut out).unwrap_err().to_string();
            let first_bad = secret.chars().find(|c| !c.is_ascii_hexdigit()).unwrap();
            assert!(
                message.starts_with("character 1 is not a hex digit: a letter other than A-F"),
                "{message}"
            );
            for c in secret.chars().filter(|c| !c.is_ascii_hexdigit()) {
                assert!(!message.contains(&format!("'{c}'")), "{c:?} in {message}");
            }
            assert!(!message.contains(first_bad), "{first_bad:?} in {message}");
        }
    }

    #[test]
    fn length_expected_versus_found() {
        let mut out = [0u8; 4];
        assert_eq!(
            decode_into("2b7e15", &mut out),
            Err(Error::HexLength {
                expected: 8,
                found: 6
            })
        );
        assert_eq!(
            decode_into("", &mut out),
            Err(Error::HexLength {
                expected: 8,
                found: 0
            })
        );
    }

    #[test]
    fn encodes_both_cases() {
        let mut buf = [0u8; 6];
        assert_eq!(
            encode_upper(&[0x1a, 0x0b, 0x2d], &mut buf).unwrap(),
            "1A0B2D"
        );
        assert_eq!(
            encode_lower(&[0x1a, 0x0b, 0x2d], &mut buf).unwrap(),
            "1a0b2d"
        );
        let mut small = [0u8; 5];
        assert_eq!(
            encode_upper(&[1, 2, 3], &mut small),
            Err(Error::BufferTooSmall {
                needed: 6,
                available: 5
            })
        );
    }
}
