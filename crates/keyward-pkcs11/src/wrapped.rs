//! The wrapped-key file: one AES key wrapped by a token under a transport
//! key with RFC 5649 (`CKM_AES_KEY_WRAP_PAD`), with the facts an importer
//! checks before and after unwrapping. Specified byte by byte in
//! `docs/formats.md` ("keyward-pkcs11: wrapped-key file").
//!
//! The file holds no clear key: only the RFC 5649 blob, whose integrity
//! check value (the AIV) lets the unwrapping token detect a damaged blob or a
//! wrong transport key, and the two KCVs, which let keyward name a wrong
//! transport key *before* any unwrap and confirm the unwrapped key after.

use core::fmt;

use keyward_core::{Kcv, KcvMethod, KeyLength};

/// The first eight bytes: `kw-p11wk`.
pub const MAGIC: [u8; 8] = *b"kw-p11wk";
/// The format version this code writes and reads.
pub const VERSION: u8 = 1;
/// `CKM_AES_KEY_WRAP_PAD` (PKCS#11 v2.40 Current Mechanisms; RFC 5649), the only
/// mechanism of version 1.
pub const CKM_AES_KEY_WRAP_PAD: u32 = 0x0000_210A;
/// `CKK_AES`, the only key type of version 1.
pub const CKK_AES: u32 = 0x0000_001F;
/// Longest label kept (bytes of UTF-8).
pub const MAX_LABEL: usize = 255;
/// Offset of the label length: the fixed header's size.
const FIXED: usize = 29;

/// A wrapped key and what is known about it. Nothing here is secret: the
/// blob is the key encrypted under the transport key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The key's length.
    pub length: KeyLength,
    /// The method of both KCVs.
    pub kcv_method: KcvMethod,
    /// KCV of the transport (wrapping) key, computed by the exporting token.
    pub wrapping_kcv: Kcv,
    /// KCV of the wrapped key, computed by the exporting token.
    pub key_kcv: Kcv,
    /// The key's `CKA_LABEL` in the exporting token.
    pub label: String,
    /// The RFC 5649 output: 8 + 8·⌈length/8⌉ bytes.
    pub blob: Vec<u8>,
}

/// Why a wrapped-key file was refused. Positions are byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file ends before a field.
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Its offset.
        offset: usize,
    },
    /// Not a keyward wrapped-key file.
    Magic,
    /// A version this code does not read.
    Version {
        /// The version byte found.
        found: u8,
    },
    /// A field with a value version 1 does not allow.
    Field {
        /// The field.
        field: &'static str,
        /// What version 1 allows.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// Bytes after the blob.
    Trailing {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wrapped-key file: ")?;
        match self {
            Self::Truncated { field, offset } => {
                write!(f, "ends at byte {offset}, before the {field}")
            }
            Self::Magic => f.write_str("not a keyward wrapped-key file (expected `kw-p11wk`)"),
            Self::Version { found } => {
                write!(f, "version {found}; this keyward reads version {VERSION}")
            }
            Self::Field {
                field,
                expected,
                found,
            } => write!(f, "{field}: expected {expected}, found {found}"),
            Self::Trailing { count } => write!(f, "{count} unexpected bytes after the blob"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The RFC 5649 output length for a key of `n` bytes.
pub const fn blob_len(n: usize) -> usize {
    8 + n.div_ceil(8) * 8
}

const fn method_byte(m: KcvMethod) -> u8 {
    match m {
        KcvMethod::Cmac => 1,
        KcvMethod::Ecb => 2,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FormatError> {
        let out = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or(FormatError::Truncated {
                field,
                offset: self.bytes.len(),
            })?;
        self.at += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], FormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
}

impl WrappedKey {
    /// The file's bytes.
    ///
    /// # Errors
    /// [`FormatError::Field`] for a label over [`MAX_LABEL`] bytes or a blob
    /// whose length does not fit the key length.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FormatError> {
        if self.label.len() > MAX_LABEL {
            return Err(FormatError::Field {
                field: "label",
                expected: "at most 255 bytes",
                found: format!("{} bytes", self.label.len()),
            });
        }
        let want = blob_len(self.length.bytes());
        if self.blob.len() != want {
            return Err(FormatError::Field {
                field: "blob length",
                expected: "8 + 8·⌈key length/8⌉ bytes",
                found: format!(
                    "{} bytes for a {}-byte key",
                    self.blob.len(),
                    self.length.bytes()
                ),
            });
        }
        let mut out = Vec::with_capacity(FIXED + 4 + self.label.len() + self.blob.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&CKM_AES_KEY_WRAP_PAD.to_be_bytes());
        out.extend_from_slice(&CKK_AES.to_be_bytes());
        out.push(u8::try_from(self.length.bytes()).unwrap_or(0));
        out.push(method_byte(self.kcv_method));
        out.extend_from_slice(self.wrapping_kcv.bytes());
        out.extend_from_slice(self.key_kcv.bytes());
        out.extend_from_slice(&u16::try_from(self.label.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(&u16::try_from(self.blob.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.blob);
        Ok(out)
    }

    /// Parses a file, checking every field.
    ///
    /// # Errors
    /// A [`FormatError`] naming the first field at fault.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len(), "magic")? != MAGIC {
            return Err(FormatError::Magic);
        }
        let [version] = r.array::<1>("version")?;
        if version != VERSION {
            return Err(FormatError::Version { found: version });
        }
        let mechanism = u32::from_be_bytes(r.array("mechanism")?);
        if mechanism != CKM_AES_KEY_WRAP_PAD {
            return Err(FormatError::Field {
                field: "mechanism",
                expected: "0x0000210A (CKM_AES_KEY_WRAP_PAD, RFC 5649)",
                found: format!("0x{mechanism:08X}"),
            });
        }
        let key_type = u32::from_be_bytes(r.array("key type")?);
        if key_type != CKK_AES {
            return Err(FormatError::Field {
                field: "key type",
                expected: "0x0000001F (CKK_AES)",
                found: format!("0x{key_type:08X}"),
            });
        }
        let [len] = r.array::<1>("key length")?;
        let length = KeyLength::from_bytes(usize::from(len)).ok_or(FormatError::Field {
            field: "key length",
            expected: "16, 24 or 32",
            found: len.to_string(),
        })?;
        let [method] = r.array::<1>("KCV method")?;
        let kcv_method = match method {
            1 => KcvMethod::Cmac,
            2 => KcvMethod::Ecb,
            other => {
                return Err(FormatError::Field {
                    field: "KCV method",
                    expected: "1 (CMAC) or 2 (ECB)",
                    found: other.to_string(),
                });
            }
        };
        let wrapping_kcv = Kcv::from_bytes(kcv_method, r.array("wrapping-key KCV")?);
        let key_kcv = Kcv::from_bytes(kcv_method, r.array("key KCV")?);
        let label_len = usize::from(u16::from_be_bytes(r.array("label length")?));
        if label_len > MAX_LABEL {
            return Err(FormatError::Field {
                field: "label length",
                expected: "at most 255",
                found: label_len.to_string(),
            });
        }
        let label = core::str::from_utf8(r.take(label_len, "label")?)
            .map_err(|_| FormatError::Field {
                field: "label",
                expected: "UTF-8 text",
                found: "other bytes".into(),
            })?
            .to_owned();
        let blob_len_found = usize::from(u16::from_be_bytes(r.array("blob length")?));
        let want = blob_len(length.bytes());
        if blob_len_found != want {
            return Err(FormatError::Field {
                field: "blob length",
                expected: match length {
                    KeyLength::Aes128 => "24 for a 16-byte key",
                    KeyLength::Aes192 => "32 for a 24-byte key",
                    KeyLength::Aes256 => "40 for a 32-byte key",
                },
                found: blob_len_found.to_string(),
            });
        }
        let blob = r.take(want, "blob")?.to_vec();
        let rest = bytes.len().saturating_sub(r.at);
        if rest != 0 {
            return Err(FormatError::Trailing { count: rest });
        }
        Ok(Self {
            length,
            kcv_method,
            wrapping_kcv,
            key_kcv,
            label,
            blob,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn sample() -> WrappedKey {
        WrappedKey {
            length: KeyLength::Aes256,
            kcv_method: KcvMethod::Cmac,
            wrapping_kcv: Kcv::from_bytes(KcvMethod::Cmac, [1, 2, 3, 4, 5]),
            key_kcv: Kcv::from_bytes(KcvMethod::Cmac, [0x1a, 0x0b, 0x2d, 0, 9]),
            label: "HSM_KEY_AES_ENCRYPTION_VER_13".into(),
            blob: (0u8..40).collect(),
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let w = sample();
        let bytes = w.to_bytes().unwrap();
        assert_eq!(&bytes[..8], b"kw-p11wk");
        assert_eq!(bytes[8], 1);
        assert_eq!(&bytes[9..13], &[0, 0, 0x21, 0x0a]);
        assert_eq!(&bytes[13..17], &[0, 0, 0, 0x1f]);
        assert_eq!(bytes[17], 32);
        assert_eq!(bytes[18], 1);
        assert_eq!(&bytes[19..24], &[1, 2, 3, 4, 5]);
        assert_eq!(&bytes[24..29], &[0x1a, 0x0b, 0x2d, 0, 9]);
        assert_eq!(&bytes[29..31], &[0, 29]);
        assert_eq!(bytes.len(), 31 + 29 + 2 + 40);
        assert_eq!(WrappedKey::from_bytes(&bytes).unwrap(), w);
    }

    #[test]
    fn every_field_is_checked() {
        let good = sample().to_bytes().unwrap();
        let mut bad = good.clone();
        bad[0] = b'K';
        assert_eq!(WrappedKey::from_bytes(&bad), Err(FormatError::Magic));
        let mut bad = good.clone();
        bad[8] = 2;
        assert_eq!(
            WrappedKey::from_bytes(&bad),
            Err(FormatError::Version { found: 2 })
        );
        for (at, field) in [
            (12, "mechanism"),
            (16, "key type"),
            (17, "key length"),
            (18, "KCV method"),
        ] {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            assert!(
                matches!(WrappedKey::from_bytes(&bad), Err(FormatError::Field { field: f, .. }) if f == field),
                "{field}"
            );
        }
        let mut bad = good.clone();
        bad.push(0);
        assert_eq!(
            WrappedKey::from_bytes(&bad),
            Err(FormatError::Trailing { count: 1 })
        );
        // A blob length that does not fit the key length.
        let mut bad = good.clone();
        let at = 31 + 29 + 1;
        bad[at] = 48;
        assert!(matches!(
            WrappedKey::from_bytes(&bad),
            Err(FormatError::Field {
                field: "blob length",
                ..
            })
        ));
        for cut in 0..good.len() {
            assert!(
                matches!(
                    WrappedKey::from_bytes(&good[..cut]),
                    Err(FormatError::Truncated { .. } | FormatError::Magic)
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn blob_lengths() {
        assert_eq!(blob_len(16), 24);
        assert_eq!(blob_len(24), 32);
        assert_eq!(blob_len(32), 40);
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = WrappedKey::from_bytes(&bytes);
        }

        #[test]
        fn round_trips(label in "[ -~]{0,64}", len in prop::sample::select(vec![16usize, 24, 32]),
                       kcvs in any::<([u8; 5], [u8; 5])>(), ecb in any::<bool>()) {
            let method = if ecb { KcvMethod::Ecb } else { KcvMethod::Cmac };
            let w = WrappedKey {
                length: KeyLength::from_bytes(len).unwrap(),
                kcv_method: method,
                wrapping_kcv: Kcv::from_bytes(method, kcvs.0),
                key_kcv: Kcv::from_bytes(method, kcvs.1),
                label,
                blob: vec![7; blob_len(len)],
            };
            prop_assert_eq!(WrappedKey::from_bytes(&w.to_bytes().unwrap()).unwrap(), w);
        }
    }
}
