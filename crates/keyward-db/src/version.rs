//! The version column: a record's encryption version (`docs/formats.md`,
//! "Database version column").
//!
//! The key id of the database key a BLOB is sealed under, written as the
//! big-endian `u32` value of its four bytes in an integer column, or as
//! its 8 lowercase hex digits in a text column; 0 (`00000000`) is a
//! plaintext row.

use core::fmt;

use keyward_core::KeyId;

/// The SQL type of the version column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionType {
    /// An integer column (SQLite `INTEGER`, PostgreSQL `bigint`): the key id
    /// as a big-endian `u32`.
    Integer,
    /// A text column: the key id as 8 lowercase hex digits.
    Text,
}

/// A record's encryption version: plaintext or a key id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// Version 0: the BLOB column holds the plaintext.
    Plaintext,
    /// Sealed under the database key with this key id.
    Sealed(KeyIdOrd),
}

/// A [`KeyId`] ordered by its bytes (for sorted census output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyIdOrd(pub [u8; 4]);

impl Version {
    /// The version of BLOBs sealed under `id`. The all-zero key id cannot be
    /// told from plaintext; [`crate::Plan`] refuses such a key.
    pub const fn sealed(id: KeyId) -> Self {
        if u32::from_be_bytes(id.0) == 0 {
            Self::Plaintext
        } else {
            Self::Sealed(KeyIdOrd(id.0))
        }
    }

    /// The key id, or `None` for plaintext.
    pub const fn key_id(self) -> Option<KeyId> {
        match self {
            Self::Plaintext => None,
            Self::Sealed(k) => Some(KeyId(k.0)),
        }
    }

    /// The integer column value.
    pub const fn to_int(self) -> i64 {
        match self {
            Self::Plaintext => 0,
            Self::Sealed(k) => u32::from_be_bytes(k.0) as i64,
        }
    }

    /// The text column value.
    pub fn to_text(self) -> String {
        format!("{:08x}", self.to_int())
    }

    /// From an integer column value.
    ///
    /// # Errors
    /// A message naming the value when it is not in `0..=u32::MAX`.
    pub fn from_int(v: i64) -> Result<Self, String> {
        let v = u32::try_from(v)
            .map_err(|_| format!("version {v} is not a key id (expected 0..=4294967295)"))?;
        Ok(Self::sealed(KeyId(v.to_be_bytes())))
    }

    /// From a text column value (8 lowercase hex digits, as written).
    ///
    /// # Errors
    /// A message naming the value when it is not 8 hex digits.
    pub fn from_text(v: &str) -> Result<Self, String> {
        if v.len() != 8 || !v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(format!(
                "version {v:?} is not a key id (expected 8 lowercase hex digits)"
            ));
        }
        let n = u32::from_str_radix(v, 16).map_err(|e| format!("version {v:?}: {e}"))?;
        Ok(Self::sealed(KeyId(n.to_be_bytes())))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plaintext => f.write_str("plaintext"),
            Self::Sealed(k) => write!(f, "{}", KeyId(k.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn integer_and_text_forms() {
        let v = Version::sealed(KeyId([0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(v.to_int(), 0xdead_beef);
        assert_eq!(v.to_text(), "deadbeef");
        assert_eq!(Version::from_int(0xdead_beef).unwrap(), v);
        assert_eq!(Version::from_text("deadbeef").unwrap(), v);
        assert!(Version::from_text("DEADBEEF").is_err());
        assert_eq!(Version::from_int(0).unwrap(), Version::Plaintext);
        assert_eq!(Version::from_text("00000000").unwrap(), Version::Plaintext);
        assert_eq!(Version::Plaintext.to_text(), "00000000");
        assert!(Version::from_int(-1).unwrap_err().contains("-1"));
        assert!(Version::from_int(1 << 32).is_err());
        assert!(Version::from_text("dead").is_err());
        assert!(Version::from_text("+eadbeef").is_err());
        assert!(Version::from_text("deadbeeg").is_err());
    }
}
