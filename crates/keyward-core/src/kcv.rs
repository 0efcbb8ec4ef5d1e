//! Key Check Values.
//!
//! A KCV lets an operator confirm that two parties hold the same key without
//! showing it. Two methods exist:
//!
//! * [`KcvMethod::Cmac`] (default): AES-CMAC (RFC 4493 / SP 800-38B) of one
//!   all-zero 16-byte block under the key.
//! * [`KcvMethod::Ecb`] (legacy, by name): AES-ECB encryption of one all-zero
//!   block under the key. The legacy method exposes a known plaintext/ciphertext
//!   pair of the key itself; prefer CMAC for new keys.
//!
//! Three bytes are shown (`1A0B2D`), five are kept, and an expected KCV of 3,
//! 4 or 5 bytes is compared in constant time against that many leading bytes.

use core::{fmt, str::FromStr};

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use cmac::{Cmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// How a KCV is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KcvMethod {
    /// AES-CMAC over one all-zero block (default).
    #[default]
    Cmac,
    /// Legacy: AES-ECB encryption of one all-zero block.
    Ecb,
}

impl KcvMethod {
    /// The method's name as accepted by [`FromStr`]: `cmac` or `ecb`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Cmac => "cmac",
            Self::Ecb => "ecb",
        }
    }
}

impl fmt::Display for KcvMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KcvMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("cmac") {
            Ok(Self::Cmac)
        } else if s.eq_ignore_ascii_case("ecb") {
            Ok(Self::Ecb)
        } else {
            Err(Error::UnknownKcvMethod)
        }
    }
}

/// A Key Check Value: five bytes kept, three shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kcv {
    method: KcvMethod,
    bytes: [u8; Kcv::KEPT],
}

impl Kcv {
    /// Bytes shown by `Display`.
    pub const SHOWN: usize = 3;
    /// Bytes kept.
    pub const KEPT: usize = 5;

    /// The KCV of an AES key given as bytes (16, 24 or 32 of them).
    ///
    /// # Errors
    /// [`Error::KeyLength`] if `key` is not an AES key length.
    pub fn of_key_bytes(key: &[u8], method: KcvMethod) -> Result<Self> {
        let mut block = match method {
            KcvMethod::Cmac => aes_cmac(key, &[0u8; 16])?,
            KcvMethod::Ecb => aes_ecb_zero_block(key)?,
        };
        let mut bytes = [0u8; Self::KEPT];
        bytes.copy_from_slice(block.get(..Self::KEPT).unwrap_or(&[0; Self::KEPT]));
        block.zeroize();
        Ok(Self { method, bytes })
    }

    /// A KCV kept in a record (its five kept bytes and the method that made
    /// them), e.g. read back from a card file.
    pub const fn from_bytes(method: KcvMethod, bytes: [u8; Self::KEPT]) -> Self {
        Self { method, bytes }
    }

    /// An all-zero KCV (a total fallback for paths that cannot fail).
    pub(crate) const fn zero(method: KcvMethod) -> Self {
        Self::from_bytes(method, [0; Self::KEPT])
    }

    /// The method that produced this KCV.
    pub const fn method(&self) -> KcvMethod {
        self.method
    }

    /// All five kept bytes.
    pub const fn bytes(&self) -> &[u8; Self::KEPT] {
        &self.bytes
    }

    /// The three shown bytes.
    pub const fn shown(&self) -> [u8; Self::SHOWN] {
        [self.bytes[0], self.bytes[1], self.bytes[2]]
    }

    /// Constant-time comparison with an expected KCV (its 3, 4 or 5 bytes
    /// against as many leading bytes of this KCV).
    pub fn matches(&self, expected: &ExpectedKcv) -> bool {
        let n = expected.len();
        match (self.bytes.get(..n), expected.bytes.get(..n)) {
            (Some(a), Some(b)) => a.ct_eq(b).into(),
            _ => false,
        }
    }

    /// Like [`Kcv::matches`], as a `Result`.
    ///
    /// # Errors
    /// [`Error::KcvMismatch`] with both values (KCVs are not secret).
    pub fn verify(&self, expected: &ExpectedKcv) -> Result<()> {
        if self.matches(expected) {
            Ok(())
        } else {
            Err(Error::KcvMismatch {
                expected: expected.shown(),
                found: self.shown(),
            })
        }
    }
}

impl fmt::Display for Kcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::Kcv3(&self.shown()).fmt(f)
    }
}

impl fmt::Debug for Kcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kcv({} {self})", self.method)
    }
}

/// An expected KCV typed by an operator: 3, 4 or 5 bytes of hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpectedKcv {
    bytes: [u8; Kcv::KEPT],
    len: u8,
}

impl ExpectedKcv {
    /// Parses 6, 8 or 10 hex digits (whitespace ignored, any case).
    ///
    /// # Errors
    /// [`Error::HexCharacter`] locating a non-hex character, [`Error::KcvFormat`]
    /// for a wrong number of digits.
    pub fn parse(s: &str) -> Result<Self> {
        let found = crate::hex::digit_count(s);
        let len = match found {
            6 => 3u8,
            8 => 4,
            10 => 5,
            _ => {
                // A bad character wins over the length diagnosis.
                return Err(
                    crate::hex::first_bad_character(s).unwrap_or(Error::KcvFormat { found })
                );
            }
        };
        let mut bytes = [0u8; Kcv::KEPT];
        crate::hex::decode_into(s, bytes.get_mut(..usize::from(len)).unwrap_or(&mut []))?;
        Ok(Self { bytes, len })
    }

    /// Number of bytes given (3, 4 or 5).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: an expected KCV has at least 3 bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first three bytes.
    pub const fn shown(&self) -> [u8; Kcv::SHOWN] {
        [self.bytes[0], self.bytes[1], self.bytes[2]]
    }
}

impl FromStr for ExpectedKcv {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for ExpectedKcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.bytes.get(..self.len()).unwrap_or(&[]) {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ExpectedKcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExpectedKcv({self})")
    }
}

/// AES-CMAC (RFC 4493) of `msg` under an AES-128/192/256 key.
///
/// This is the code path of the CMAC KCV; it is public so that the RFC 4493
/// examples can be checked through it.
///
/// # Errors
/// [`Error::KeyLength`] if `key` is not 16, 24 or 32 bytes.
pub fn aes_cmac(key: &[u8], msg: &[u8]) -> Result<[u8; 16]> {
    fn run<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Result<[u8; 16]> {
        let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Error::KeyLength {
            expected: 16,
            found: key.len(),
        })?;
        mac.update(msg);
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_slice().get(..16).unwrap_or(&[0; 16]));
        Ok(out)
    }
    match key.len() {
        16 => run::<Cmac<aes::Aes128>>(key, msg),
        24 => run::<Cmac<aes::Aes192>>(key, msg),
        32 => run::<Cmac<aes::Aes256>>(key, msg),
        found => Err(Error::KeyLength {
            expected: 32,
            found,
        }),
    }
}

/// AES-ECB encryption of one all-zero block (legacy KCV method).
fn aes_ecb_zero_block(key: &[u8]) -> Result<[u8; 16]> {
    fn run<C: BlockCipherEncrypt + KeyInit>(key: &[u8]) -> Result<[u8; 16]> {
        let cipher = C::new_from_slice(key).map_err(|_| Error::KeyLength {
            expected: 16,
            found: key.len(),
        })?;
        let mut block = aes::cipher::Block::<C>::default();
        cipher.encrypt_block(&mut block);
        let mut out = [0u8; 16];
        for (o, i) in out.iter_mut().zip(block.iter()) {
            *o = *i;
        }
        block.zeroize();
        Ok(out)
    }
    match key.len() {
        16 => run::<aes::Aes128>(key),
        24 => run::<aes::Aes192>(key),
        32 => run::<aes::Aes256>(key),
        found => Err(Error::KeyLength {
            expected: 32,
            found,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    const K128: [u8; 16] = hex!("2b7e151628aed2a6abf7158809cf4f3c");
    const K256: [u8; 32] = hex!("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");

    #[test]
    fn design_md_known_answers() {
        let cases: [(&[u8], KcvMethod, &str); 4] = [
            (&K128, KcvMethod::Cmac, "7AD386"),
            (&K128, KcvMethod::Ecb, "7DF76B"),
            (&K256, KcvMethod::Cmac, "1A0B2D"),
            (&K256, KcvMethod::Ecb, "E568F6"),
        ];
        for (key, method, want) in cases {
            let kcv = Kcv::of_key_bytes(key, method).unwrap();
            let mut shown = [0u8; 6];
            crate::hex::encode_upper(&kcv.shown(), &mut shown).unwrap();
            assert_eq!(core::str::from_utf8(&shown).unwrap(), want, "{method}");
            assert!(kcv.matches(&ExpectedKcv::parse(want).unwrap()));
        }
    }

    /// RFC 4493 §4 examples (AES-128) and the AES-256 CMAC examples of
    /// NIST SP 800-38B / the CMAC test vectors (same messages).
    #[test]
    fn rfc4493_examples_through_the_kcv_code_path() {
        let m: [u8; 64] = hex!(
            "6bc1bee22e409f96e93d7e117393172a"
            "ae2d8a571e03ac9c9eb76fac45af8e51"
            "30c81c46a35ce411e5fbc1191a0a52ef"
            "f69f2445df4f9b17ad2b417be66c3710"
        );
        let cases: [(&[u8], usize, [u8; 16]); 8] = [
            (&K128, 0, hex!("bb1d6929e95937287fa37d129b756746")),
            (&K128, 16, hex!("070a16b46b4d4144f79bdd9dd04a287c")),
            (&K128, 40, hex!("dfa66747de9ae63030ca32611497c827")),
            (&K128, 64, hex!("51f0bebf7e3b9d92fc49741779363cfe")),
            (&K256, 0, hex!("028962f61b7bf89efc6b551f4667d983")),
            (&K256, 16, hex!("28a7023f452e8f82bd4bf28d8c37c35c")),
            (&K256, 40, hex!("aaf3d8f1de5640c232f5b169b9c911e6")),
            (&K256, 64, hex!("e1992190549f6ed5696a2c056c315410")),
        ];
        for (key, len, tag) in cases {
            assert_eq!(aes_cmac(key, &m[..len]).unwrap(), tag, "len {len}");
        }
    }

    #[test]
    fn expected_kcv_lengths_and_prefix_compare() {
        let kcv = Kcv::of_key_bytes(&K256, KcvMethod::Cmac).unwrap();
        let five = *kcv.bytes();
        let mut buf = [0u8; 10];
        let s = crate::hex::encode_lower(&five, &mut buf).unwrap();
        assert!(kcv.matches(&ExpectedKcv::parse(s).unwrap()));
        assert!(kcv.matches(&ExpectedKcv::parse(&s[..8]).unwrap()));
        // Last kept byte differs: mismatch even though the shown 3 agree.
        let mut wrong = five;
        wrong[4] ^= 1;
        let mut buf2 = [0u8; 10];
        let s2 = crate::hex::encode_lower(&wrong, &mut buf2).unwrap();
        assert!(!kcv.matches(&ExpectedKcv::parse(s2).unwrap()));
        assert_eq!(
            kcv.verify(&ExpectedKcv::parse("1A0B2E").unwrap()),
            Err(Error::KcvMismatch {
                expected: [0x1a, 0x0b, 0x2e],
                found: [0x1a, 0x0b, 0x2d]
            })
        );
        assert_eq!(
            ExpectedKcv::parse("1A0B"),
            Err(Error::KcvFormat { found: 4 })
        );
        assert_eq!(
            ExpectedKcv::parse("1A0B2D00112233"),
            Err(Error::KcvFormat { found: 14 })
        );
        assert_eq!(
            ExpectedKcv::parse("1A0B2X"),
            Err(Error::HexCharacter {
                position: 6,
                class: crate::HexCharClass::Letter
            })
        );
    }

    #[test]
    fn non_aes_lengths_are_errors() {
        assert!(matches!(
            Kcv::of_key_bytes(&[0u8; 20], KcvMethod::Cmac),
            Err(Error::KeyLength { found: 20, .. })
        ));
        assert!(matches!(
            Kcv::of_key_bytes(&[0u8; 0], KcvMethod::Ecb),
            Err(Error::KeyLength { found: 0, .. })
        ));
    }

    #[test]
    fn method_names() {
        assert_eq!("CMAC".parse::<KcvMethod>(), Ok(KcvMethod::Cmac));
        assert_eq!("ecb".parse::<KcvMethod>(), Ok(KcvMethod::Ecb));
        assert_eq!("des".parse::<KcvMethod>(), Err(Error::UnknownKcvMethod));
    }
}
