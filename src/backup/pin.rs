//! The shape of a card PIN, checked before any try is spent
//! (`docs/design.md#card-storage`): what cannot be a card's PIN (an empty
//! line, letters, too few or too many digits, a byte-order mark, a very
//! long line) is refused by the caller before the card counts an attempt.
//!
//! A card PIN is 6 to 16 ASCII digits: every PIN a card can hold passes
//! [`NEW_PIN_POLICY`](super::NEW_PIN_POLICY) (6 to 16 digits) or is
//! [`DEFAULT_PIN`](super::DEFAULT_PIN) (6 digits), so anything else is a
//! typing or file mistake, never the right PIN. The check does not judge
//! triviality: an old card may still have the default PIN.

use core::fmt;

/// Fewest digits of a card PIN.
pub const PIN_MIN_DIGITS: usize = 6;
/// Most digits of a card PIN.
pub const PIN_MAX_DIGITS: usize = 16;

/// Why a line cannot be a card PIN. Messages say what was expected and
/// what kind of thing was found, never a character of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinShape {
    /// Nothing was entered (an empty line, a bare Enter).
    Empty,
    /// The line starts with a UTF-8 byte-order mark (a file saved by an
    /// editor that adds one).
    ByteOrderMark,
    /// A byte that is not an ASCII digit, at this 1-based position.
    NotDigit {
        /// 1-based byte position.
        position: usize,
    },
    /// Fewer digits than a card PIN has.
    TooShort {
        /// Digits found.
        found: usize,
    },
    /// More digits (or bytes) than a card PIN has; `found` is `None` when
    /// the line was not read to its end (it was longer than the cap).
    TooLong {
        /// Bytes found, if the whole line was read.
        found: Option<usize>,
    },
}

impl fmt::Display for PinShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = "expected 6 to 16 digits";
        match self {
            Self::Empty => write!(f, "{expected}, found an empty line"),
            Self::ByteOrderMark => write!(
                f,
                "{expected}, found a byte-order mark (save the PIN file as plain text without BOM)"
            ),
            Self::NotDigit { position } => {
                write!(f, "{expected}, found a non-digit at position {position}")
            }
            Self::TooShort { found } => write!(
                f,
                "{expected}, found {found} {}",
                if *found == 1 { "digit" } else { "digits" }
            ),
            Self::TooLong { found: Some(n) } => write!(f, "{expected}, found {n} characters"),
            Self::TooLong { found: None } => {
                write!(
                    f,
                    "{expected}, found a line of more than {PIN_LINE_CAP} bytes"
                )
            }
        }
    }
}

impl core::error::Error for PinShape {}

/// Longest line a PIN reader needs to read: a 16-digit PIN, a CR, slack
/// for spaces around it. A reader stops at this many bytes and reports
/// [`PinShape::TooLong`] without reading the rest of the line.
pub const PIN_LINE_CAP: usize = 64;

/// Checks that `line` (its terminator and surrounding ASCII spaces and tabs
/// already removed, or not: they are removed here) can be a card PIN;
/// returns the PIN digits.
///
/// # Errors
/// The [`PinShape`] that rules it out.
pub fn check_pin_shape(line: &[u8]) -> Result<&[u8], PinShape> {
    if line.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(PinShape::ByteOrderMark);
    }
    let pin = line.trim_ascii();
    if pin.is_empty() {
        return Err(PinShape::Empty);
    }
    if let Some(i) = pin.iter().position(|b| !b.is_ascii_digit()) {
        return Err(PinShape::NotDigit {
            position: i.saturating_add(1),
        });
    }
    if pin.len() < PIN_MIN_DIGITS {
        return Err(PinShape::TooShort { found: pin.len() });
    }
    if pin.len() > PIN_MAX_DIGITS {
        return Err(PinShape::TooLong {
            found: Some(pin.len()),
        });
    }
    Ok(pin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn shapes() {
        assert_eq!(check_pin_shape(b"123456"), Ok(&b"123456"[..]));
        assert_eq!(check_pin_shape(b" 8025149\r"), Ok(&b"8025149"[..]));
        assert_eq!(check_pin_shape(b""), Err(PinShape::Empty));
        assert_eq!(check_pin_shape(b"  \r"), Err(PinShape::Empty));
        assert_eq!(
            check_pin_shape(b"12a456"),
            Err(PinShape::NotDigit { position: 3 })
        );
        assert_eq!(
            check_pin_shape("\u{feff}123456".as_bytes()),
            Err(PinShape::ByteOrderMark)
        );
        assert_eq!(
            check_pin_shape(b"12345"),
            Err(PinShape::TooShort { found: 5 })
        );
        assert_eq!(
            check_pin_shape(b"12345678901234567"),
            Err(PinShape::TooLong { found: Some(17) })
        );
        // No character of the input appears in a message.
        let m = check_pin_shape(b"98q765").unwrap_err().to_string();
        assert_eq!(
            m,
            "expected 6 to 16 digits, found a non-digit at position 3"
        );
        assert!(!m.contains('q') && !m.contains("98"));
    }

    proptest::proptest! {
        /// Every PIN a card can hold (6 to 16 digits) passes; the result is
        /// the digits themselves.
        #[test]
        fn every_card_pin_passes(pin in "[0-9]{6,16}") {
            proptest::prop_assert_eq!(check_pin_shape(pin.as_bytes()), Ok(pin.as_bytes()));
        }

        /// Anything with a non-digit inside is refused.
        #[test]
        fn a_non_digit_is_refused(a in "[0-9]{0,8}", c in "[^0-9 \t\r\n\x0b\x0c]", b in "[0-9]{0,8}") {
            let line = alloc::format!("{a}{c}{b}");
            proptest::prop_assert!(check_pin_shape(line.as_bytes()).is_err());
        }
    }
}
