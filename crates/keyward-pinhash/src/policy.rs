//! What a PIN or password must look like before it is hashed (enrolment).
//!
//! Policies apply when a PIN or password is chosen, never when one is
//! verified: a credential accepted once keeps verifying when a policy
//! tightens. The checks are not constant time (they run once on the value
//! the user just chose), and their errors never echo the value.

use crate::error::{Error, Result, TrivialKind};

/// PIN rules: ASCII digits only, `min_digits..=max_digits` of them, and
/// optionally no trivial PIN.
///
/// The default is 4 to 16 digits with trivial PINs rejected: one repeated
/// digit (`0000`), or an ascending or descending run where each digit is one
/// more (less) than the previous, wrapping 9→0 (`1234`, `7890`, `4321`,
/// `2109`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PinPolicy {
    /// Fewest digits (default 4).
    pub min_digits: usize,
    /// Most digits (default 16).
    pub max_digits: usize,
    /// Whether trivial PINs are rejected (default true).
    pub reject_trivial: bool,
}

impl PinPolicy {
    /// 4 to 16 digits, trivial PINs rejected.
    pub const DEFAULT: Self = Self {
        min_digits: 4,
        max_digits: 16,
        reject_trivial: true,
    };

    /// The same policy, accepting trivial PINs.
    #[must_use]
    pub const fn allow_trivial(mut self) -> Self {
        self.reject_trivial = false;
        self
    }

    /// Checks a PIN.
    ///
    /// # Errors
    /// [`Error::PinCharacter`] with the 1-based position of the first
    /// character that is not `0`–`9` (checked first, as the more precise
    /// diagnosis); [`Error::PinLength`]; [`Error::TrivialPin`].
    pub fn check(&self, pin: &str) -> Result<()> {
        if let Some(position) = (1usize..)
            .zip(pin.chars())
            .find(|(_, c)| !c.is_ascii_digit())
            .map(|(p, _)| p)
        {
            return Err(Error::PinCharacter { position });
        }
        // Only ASCII digits remain: bytes are characters.
        let found = pin.len();
        if found < self.min_digits || found > self.max_digits {
            return Err(Error::PinLength {
                min: self.min_digits,
                max: self.max_digits,
                found,
            });
        }
        if self.reject_trivial {
            if let Some(kind) = trivial_kind(pin.as_bytes()) {
                return Err(Error::TrivialPin { kind });
            }
        }
        Ok(())
    }
}

impl Default for PinPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Whether every step between neighbouring digits is `step` (mod 10).
fn every_step(digits: &[u8], step: u8) -> bool {
    digits.windows(2).all(|w| match w {
        [a, b] => (a.wrapping_sub(b'0') + step) % 10 == b.wrapping_sub(b'0'),
        _ => true,
    })
}

/// The kind of trivial PIN `digits` (ASCII digits, at least one) is, if any.
fn trivial_kind(digits: &[u8]) -> Option<TrivialKind> {
    if every_step(digits, 0) {
        Some(TrivialKind::Repeated)
    } else if every_step(digits, 1) {
        Some(TrivialKind::Ascending)
    } else if every_step(digits, 9) {
        Some(TrivialKind::Descending)
    } else {
        None
    }
}

/// Password rules (NIST SP 800-63B §5.1.1.2): any Unicode, NFKC-normalised
/// before hashing, `min_chars..=max_chars` characters after normalisation.
///
/// The default is 8 to 128 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PasswordPolicy {
    /// Fewest characters (default 8).
    pub min_chars: usize,
    /// Most characters (default 128).
    pub max_chars: usize,
}

impl PasswordPolicy {
    /// 8 to 128 characters.
    pub const DEFAULT: Self = Self {
        min_chars: 8,
        max_chars: 128,
    };
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(feature = "alloc")]
mod normalise {
    use alloc::string::String;

    use unicode_normalization::UnicodeNormalization;
    use zeroize::Zeroizing;

    use super::PasswordPolicy;
    use crate::error::{Error, Result};

    /// NFKC of `s` in a zeroizing string allocated once at its final size
    /// (no reallocation leaves copies behind).
    pub(crate) fn nfkc(s: &str) -> Zeroizing<String> {
        let bytes: usize = s.nfkc().map(char::len_utf8).sum();
        let mut out = Zeroizing::new(String::with_capacity(bytes));
        out.extend(s.nfkc());
        out
    }

    impl PasswordPolicy {
        /// NFKC-normalises a password and checks its length in characters.
        ///
        /// # Errors
        /// [`Error::PasswordLength`] with the normalised character count.
        pub fn normalise(&self, password: &str) -> Result<Zeroizing<String>> {
            let found = password.nfkc().count();
            if found < self.min_chars || found > self.max_chars {
                return Err(Error::PasswordLength {
                    min: self.min_chars,
                    max: self.max_chars,
                    found,
                });
            }
            Ok(nfkc(password))
        }
    }
}

#[cfg(feature = "alloc")]
pub(crate) use normalise::nfkc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_kinds() {
        for (pin, kind) in [
            ("0000", Some(TrivialKind::Repeated)),
            ("777777", Some(TrivialKind::Repeated)),
            ("1234", Some(TrivialKind::Ascending)),
            ("123456", Some(TrivialKind::Ascending)),
            ("7890", Some(TrivialKind::Ascending)),
            ("4321", Some(TrivialKind::Descending)),
            ("2109", Some(TrivialKind::Descending)),
            ("1235", None),
            ("1212", None),
            ("9753", None),
            ("483920", None),
        ] {
            assert_eq!(trivial_kind(pin.as_bytes()), kind, "{pin}");
        }
    }
}
