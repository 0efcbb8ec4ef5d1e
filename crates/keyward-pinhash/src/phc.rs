//! The PHC string of a keyward hash: writing it, and a strict parser whose
//! errors name the part that is wrong.
//!
//! ```text
//! $argon2id$v=19$m=<m>,t=<t>,p=<p>,keyid=<B64 4 bytes>[,bind=user]$<B64 salt>$<B64 32-byte hash>
//! ```
//!
//! B64 is the PHC string format's unpadded standard Base64
//! (`A-Z a-z 0-9 + /`, no `=`). Decimal values have no sign and no leading
//! zero. The parameters appear in exactly this order; `bind=user` marks a
//! hash bound to its user (Argon2 associated data X = SHA-256 of the user
//! id, which is not stored); `data` (literal associated data) is not
//! accepted. Salts of 8 to 48 bytes are accepted
//! (keyward writes 16); the hash is exactly 32 bytes.

use core::fmt::{self, Write as _};

use base64ct::{Base64Unpadded as B64, Encoding};
use keyward_core::KeyId;
use zeroize::Zeroize;

use crate::error::{Error, PhcPart, Result};
use crate::params::Params;
use crate::{MAX_SALT_LEN, MIN_SALT_LEN, TAG_LEN};

/// The longest PHC string this crate writes or reads (a 48-byte salt,
/// 10-digit costs and `,bind=user`).
pub const MAX_PHC_LEN: usize = 186;

/// The parameter marking a hash bound to its user.
pub(crate) const BIND_USER: &str = "bind=user";

/// A PHC string in a fixed buffer (no allocation).
///
/// It is not secret (it is what the database stores), but it is an offline
/// guessing target for whoever also holds the pepper.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhcString {
    buf: [u8; MAX_PHC_LEN],
    len: usize,
}

impl PhcString {
    /// The string.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written into `buf`.
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Always false for a string this crate produced.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the PHC string of a hash.
    pub(crate) fn encode(
        params: &Params,
        keyid: KeyId,
        bound: bool,
        salt: &[u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<Self> {
        let mut out = Self {
            buf: [0u8; MAX_PHC_LEN],
            len: 0,
        };
        let mut b64 = [0u8; 64];
        let keyid_b64 = B64::encode(&keyid.0, &mut b64).map_err(|_| too_small())?;
        write!(
            out,
            "$argon2id$v=19$m={},t={},p={},keyid={keyid_b64}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        )
        .map_err(|_| too_small())?;
        if bound {
            write!(out, ",{BIND_USER}").map_err(|_| too_small())?;
        }
        out.write_char('$').map_err(|_| too_small())?;
        let salt_b64 = B64::encode(salt, &mut b64).map_err(|_| too_small())?;
        out.write_str(salt_b64).map_err(|_| too_small())?;
        out.write_char('$').map_err(|_| too_small())?;
        let tag_b64 = B64::encode(tag, &mut b64).map_err(|_| too_small())?;
        out.write_str(tag_b64).map_err(|_| too_small())?;
        b64.zeroize();
        Ok(out)
    }
}

const fn too_small() -> Error {
    Error::BufferTooSmall {
        needed: MAX_PHC_LEN + 1,
        available: MAX_PHC_LEN,
    }
}

impl fmt::Write for PhcString {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl AsRef<str> for PhcString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for PhcString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PhcString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhcString({:?})", self.as_str())
    }
}

/// A parsed keyward PHC string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedHash {
    /// The cost parameters (checked against Argon2's own limits, not yet
    /// against a verifier's [`crate::Limits`]).
    pub params: Params,
    /// The key id of the pepper the hash was made under.
    pub keyid: KeyId,
    /// Whether the hash is bound to its user (`bind=user`: Argon2
    /// associated data X = SHA-256 of the user id). Hashes made before
    /// binding existed are not, and verify once with a rehash.
    pub bound_to_user: bool,
    salt: [u8; MAX_SALT_LEN],
    salt_len: usize,
    tag: [u8; TAG_LEN],
}

impl ParsedHash {
    /// Parses a keyward PHC string.
    ///
    /// # Errors
    /// [`Error::Malformed`] naming the first part that is wrong;
    /// [`Error::CostOutOfRange`] when the costs break Argon2's own rules
    /// (t = 0, m < 8·p, …).
    pub fn parse(s: &str) -> Result<Self> {
        parse(s)
    }

    /// The salt (8 to 48 bytes).
    pub fn salt(&self) -> &[u8] {
        self.salt.get(..self.salt_len).unwrap_or(&[])
    }

    /// The stored 32-byte hash.
    pub const fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }
}

const fn malformed(part: PhcPart, expected: &'static str) -> Error {
    Error::Malformed { part, expected }
}

const EXPECT_START: &str = "a PHC string starting with $argon2id$";
const EXPECT_ALGORITHM: &str = "argon2id";
const EXPECT_VERSION: &str = "v=19 (Argon2 version 0x13)";
const EXPECT_PARAMS: &str =
    "m=<KiB>,t=<passes>,p=<lanes>,keyid=<id>, optionally ,bind=user, in this order";
const EXPECT_DECIMAL: &str = "a decimal number without sign or leading zero, at most 4294967295";
const EXPECT_KEYID: &str = "a 4-byte key id in unpadded B64 (6 characters)";
const EXPECT_SALT: &str = "8 to 48 bytes in unpadded B64";
const EXPECT_HASH: &str = "32 bytes in unpadded B64 (43 characters)";
const EXPECT_END: &str = "nothing after the hash";

/// Parses a PHC decimal: 1 to 10 digits, no leading zero (except "0"), ≤ u32::MAX.
fn decimal(s: &str, part: PhcPart) -> Result<u32> {
    let bad = malformed(part, EXPECT_DECIMAL);
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || (bytes.len() > 1 && bytes.first() == Some(&b'0')) {
        return Err(bad);
    }
    let mut value: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return Err(bad);
        }
        value = value * 10 + u64::from(b - b'0');
    }
    u32::try_from(value).map_err(|_| bad)
}

/// `name=value` with the expected name.
fn pair<'a>(field: Option<&'a str>, name: &str) -> Result<&'a str> {
    field
        .and_then(|f| f.split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .ok_or(malformed(PhcPart::Params, EXPECT_PARAMS))
}

pub(crate) fn parse(s: &str) -> Result<ParsedHash> {
    let mut fields = s.split('$');
    if fields.next() != Some("") {
        return Err(malformed(PhcPart::Algorithm, EXPECT_START));
    }
    match fields.next() {
        Some("argon2id") => {}
        Some(_) => return Err(malformed(PhcPart::Algorithm, EXPECT_ALGORITHM)),
        None => return Err(malformed(PhcPart::Algorithm, EXPECT_START)),
    }
    if fields.next() != Some("v=19") {
        return Err(malformed(PhcPart::Version, EXPECT_VERSION));
    }

    let params_field = fields
        .next()
        .ok_or(malformed(PhcPart::Params, EXPECT_PARAMS))?;
    let mut items = params_field.split(',');
    let m = decimal(pair(items.next(), "m")?, PhcPart::MemoryCost)?;
    let t = decimal(pair(items.next(), "t")?, PhcPart::TimeCost)?;
    let p = decimal(pair(items.next(), "p")?, PhcPart::Parallelism)?;
    let keyid_b64 = pair(items.next(), "keyid")?;
    let bound_to_user = match items.next() {
        None => false,
        Some(BIND_USER) => true,
        Some(_) => return Err(malformed(PhcPart::Params, EXPECT_PARAMS)),
    };
    if items.next().is_some() {
        return Err(malformed(PhcPart::Params, EXPECT_PARAMS));
    }
    let mut keyid = [0u8; 4];
    match B64::decode(keyid_b64, &mut keyid) {
        Ok(d) if d.len() == 4 => {}
        _ => return Err(malformed(PhcPart::KeyId, EXPECT_KEYID)),
    }
    let params = Params::new(m, t, p)?;

    let salt_b64 = fields.next().ok_or(malformed(PhcPart::Salt, EXPECT_SALT))?;
    let mut salt = [0u8; MAX_SALT_LEN];
    let salt_len = match B64::decode(salt_b64, &mut salt) {
        Ok(d) if (MIN_SALT_LEN..=MAX_SALT_LEN).contains(&d.len()) => d.len(),
        _ => return Err(malformed(PhcPart::Salt, EXPECT_SALT)),
    };

    let tag_b64 = fields.next().ok_or(malformed(PhcPart::Hash, EXPECT_HASH))?;
    let mut tag = [0u8; TAG_LEN];
    match B64::decode(tag_b64, &mut tag) {
        Ok(d) if d.len() == TAG_LEN => {}
        _ => return Err(malformed(PhcPart::Hash, EXPECT_HASH)),
    }
    if fields.next().is_some() {
        return Err(malformed(PhcPart::Trailing, EXPECT_END));
    }
    Ok(ParsedHash {
        params,
        keyid: KeyId(keyid),
        bound_to_user,
        salt,
        salt_len,
        tag,
    })
}
