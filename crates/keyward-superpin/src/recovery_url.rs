//! Recovery URL tokens: the server side of "open this URL and a one-time
//! Recovery Code is sent to you" (`docs/formats.md`, "Recovery URL token").
//!
//! A token is 82 bytes, written as 110 characters of unpadded Base64url:
//!
//! ```text
//! version (1) = 1 ‖ purpose (1) = 1 ‖ token id (16, random)
//! ‖ issued_at (u64 BE, Unix s) ‖ expires_at (u64 BE, Unix s)
//! ‖ account tag (16) ‖ MAC (32)
//! account tag = HMAC-SHA256(K, "keyward/recovery-url/v1/account" ‖ 0x00 ‖ account id)[..16]
//! MAC         = HMAC-SHA256(K, "keyward/recovery-url/v1/mac" ‖ 0x00 ‖ bytes 0..50 of the token)
//! ```
//!
//! with `K` the 32-byte server key. The token holds no secret of the user:
//! neither the Super PIN nor anything derived from it, only random bytes,
//! times and MACs under the server key. The account tag binds the token to
//! its account without naming it (it is a PRF of the account id under the
//! server key), so a genuine token presented for another account is told
//! apart from a forged one. One use: [`UsedTokens`](crate::UsedTokens)
//! remembers redeemed token ids until they expire.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use keyward_core::SecretBytes;
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{Error, Record, Result};

/// Version byte of the tokens this library issues and accepts.
pub const RECOVERY_URL_TOKEN_VERSION: u8 = 1;
/// Length of a token in bytes.
pub const RECOVERY_URL_TOKEN_LEN: usize = 82;
/// Length of a token's text form (unpadded Base64url) in characters.
pub const RECOVERY_URL_TOKEN_CHARS: usize = 110;
/// Longest validity a token may be issued with: 1826 days (five years; a
/// printed recovery sheet is kept for long).
pub const MAX_TOKEN_VALIDITY_SECS: u64 = 1826 * 86_400;
/// HMAC prefix of the account tag (followed by a zero byte and the account id).
pub const ACCOUNT_TAG_LABEL: &[u8] = b"keyward/recovery-url/v1/account";
/// HMAC prefix of the token MAC (followed by a zero byte and token bytes 0..50).
pub const TOKEN_MAC_LABEL: &[u8] = b"keyward/recovery-url/v1/mac";

const MACED_LEN: usize = 50;

/// What a token authorises. Byte 1 of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenPurpose {
    /// Send the account a one-time Recovery Code (byte value 1).
    RecoveryCode,
}

impl TokenPurpose {
    /// The byte stored in the token.
    pub const fn byte(self) -> u8 {
        match self {
            Self::RecoveryCode => 1,
        }
    }

    const fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::RecoveryCode),
            _ => None,
        }
    }
}

/// The server key that issues and verifies Recovery URL tokens (32 bytes,
/// zeroized on drop, `Debug` redacted).
pub struct RecoveryUrlKey {
    key: SecretBytes<32>,
}

impl fmt::Debug for RecoveryUrlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryUrlKey([REDACTED])")
    }
}

/// A Recovery URL token (not secret from its holder, but a one-use bearer
/// credential: it is shown in full only by [`RecoveryUrlToken::encode`]).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryUrlToken {
    bytes: [u8; RECOVERY_URL_TOKEN_LEN],
}

impl fmt::Debug for RecoveryUrlToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryUrlToken")
            .field("issued_at", &self.issued_at())
            .field("expires_at", &self.expires_at())
            .finish_non_exhaustive()
    }
}

fn u64_at(bytes: &[u8; RECOVERY_URL_TOKEN_LEN], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_be_bytes(b)
}

impl RecoveryUrlToken {
    /// Reads the text form (110 characters of unpadded Base64url).
    ///
    /// # Errors
    /// [`Error::Truncated`]/[`Error::TrailingBytes`] for a wrong length,
    /// [`Error::Field`] for a character outside Base64url,
    /// [`Error::RecordVersion`] for another version, [`Error::Field`] for an
    /// unknown purpose. The MAC is checked by [`RecoveryUrlKey::verify`].
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let record = Record::RecoveryUrlToken;
        if text.len() < RECOVERY_URL_TOKEN_CHARS {
            return Err(Error::Truncated {
                record,
                needed: RECOVERY_URL_TOKEN_CHARS,
                found: text.len(),
            });
        }
        if text.len() > RECOVERY_URL_TOKEN_CHARS {
            return Err(Error::TrailingBytes {
                record,
                found: text.len() - RECOVERY_URL_TOKEN_CHARS,
            });
        }
        let mut bytes = [0u8; RECOVERY_URL_TOKEN_LEN];
        let n = Base64UrlUnpadded::decode(text, &mut bytes)
            .map_err(|_| Error::Field {
                record,
                offset: 0,
                field: "Base64url text (A-Z a-z 0-9 - _, no padding)",
            })?
            .len();
        if n != RECOVERY_URL_TOKEN_LEN {
            return Err(Error::Truncated {
                record,
                needed: RECOVERY_URL_TOKEN_LEN,
                found: n,
            });
        }
        Self::from_bytes(bytes)
    }

    /// Checks the version and purpose bytes of a token read as bytes.
    ///
    /// # Errors
    /// As [`RecoveryUrlToken::parse`].
    pub fn from_bytes(bytes: [u8; RECOVERY_URL_TOKEN_LEN]) -> Result<Self> {
        let record = Record::RecoveryUrlToken;
        let version = bytes.first().copied().unwrap_or(0);
        if version != RECOVERY_URL_TOKEN_VERSION {
            return Err(Error::RecordVersion {
                record,
                found: version,
                expected: RECOVERY_URL_TOKEN_VERSION,
            });
        }
        if TokenPurpose::from_byte(bytes.get(1).copied().unwrap_or(0)).is_none() {
            return Err(Error::Field {
                record,
                offset: 1,
                field: "purpose",
            });
        }
        Ok(Self { bytes })
    }

    /// The token's bytes.
    pub const fn as_bytes(&self) -> &[u8; RECOVERY_URL_TOKEN_LEN] {
        &self.bytes
    }

    /// The text form: 110 characters of unpadded Base64url.
    pub fn encode(&self) -> TokenText {
        let mut text = [0u8; RECOVERY_URL_TOKEN_CHARS];
        // 82 bytes always encode to exactly 110 characters.
        let _ = Base64UrlUnpadded::encode(&self.bytes, &mut text);
        TokenText(text)
    }

    /// The purpose byte's meaning.
    pub fn purpose(&self) -> TokenPurpose {
        TokenPurpose::from_byte(self.bytes.get(1).copied().unwrap_or(0))
            .unwrap_or(TokenPurpose::RecoveryCode)
    }

    /// The random 16-byte token id (what [`UsedTokens`](crate::UsedTokens)
    /// remembers).
    pub fn id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        if let Some(s) = self.bytes.get(2..18) {
            id.copy_from_slice(s);
        }
        id
    }

    /// Issue time (Unix seconds).
    pub fn issued_at(&self) -> u64 {
        u64_at(&self.bytes, 18)
    }

    /// Expiry (Unix seconds): the token is refused at and after this time.
    pub fn expires_at(&self) -> u64 {
        u64_at(&self.bytes, 26)
    }

    fn account_tag(&self) -> &[u8] {
        self.bytes.get(34..50).unwrap_or(&[])
    }

    fn mac(&self) -> &[u8] {
        self.bytes.get(MACED_LEN..).unwrap_or(&[])
    }
}

/// A token's text form (ASCII).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenText([u8; RECOVERY_URL_TOKEN_CHARS]);

impl TokenText {
    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for TokenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TokenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenText(..)")
    }
}

impl RecoveryUrlKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            key: SecretBytes::from_array(bytes),
        }
    }

    /// A new random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut b = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(b.as_mut_slice());
        Self::from_bytes(*b)
    }

    /// The key's bytes (to store it).
    pub fn expose_secret(&self) -> &[u8; 32] {
        self.key.expose_secret()
    }

    fn hmac(&self, label: &[u8], data: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length: this cannot fail.
        let mut out = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.expose_secret()) {
            mac.update(label);
            mac.update(&[0]);
            mac.update(data);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    fn account_tag(&self, account_id: &[u8]) -> [u8; 16] {
        let full = self.hmac(ACCOUNT_TAG_LABEL, account_id);
        let mut tag = [0u8; 16];
        tag.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
        tag
    }

    /// Issues a token for `account_id` at `now` (Unix seconds), valid for
    /// `valid_for` seconds, with a random id.
    ///
    /// # Errors
    /// [`Error::IdLength`] for an empty or over-long (> 255 bytes) account
    /// id; [`Error::TokenValidity`] for a validity of 0 or over
    /// [`MAX_TOKEN_VALIDITY_SECS`].
    pub fn issue<R: CryptoRng + ?Sized>(
        &self,
        account_id: &[u8],
        now: u64,
        valid_for: u64,
        rng: &mut R,
    ) -> Result<RecoveryUrlToken> {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        self.issue_with_id(account_id, id, now, valid_for)
    }

    /// [`RecoveryUrlKey::issue`] with a given token id (for known-answer
    /// vectors; ids must otherwise be random).
    ///
    /// # Errors
    /// As [`RecoveryUrlKey::issue`].
    #[doc(hidden)]
    pub fn issue_with_id(
        &self,
        account_id: &[u8],
        id: [u8; 16],
        now: u64,
        valid_for: u64,
    ) -> Result<RecoveryUrlToken> {
        check_account(account_id)?;
        if valid_for == 0 || valid_for > MAX_TOKEN_VALIDITY_SECS {
            return Err(Error::TokenValidity {
                found: valid_for,
                max: MAX_TOKEN_VALIDITY_SECS,
            });
        }
        let expires_at = now.checked_add(valid_for).ok_or(Error::TokenValidity {
            found: valid_for,
            max: MAX_TOKEN_VALIDITY_SECS,
        })?;
        let mut bytes = [0u8; RECOVERY_URL_TOKEN_LEN];
        let (head, mac) = bytes.split_at_mut(MACED_LEN);
        let mut w = head.iter_mut();
        let fields: [&[u8]; 6] = [
            &[RECOVERY_URL_TOKEN_VERSION],
            &[TokenPurpose::RecoveryCode.byte()],
            &id,
            &now.to_be_bytes(),
            &expires_at.to_be_bytes(),
            &self.account_tag(account_id),
        ];
        for b in fields.iter().flat_map(|f| f.iter()) {
            if let Some(d) = w.next() {
                *d = *b;
            }
        }
        mac.copy_from_slice(&self.hmac(TOKEN_MAC_LABEL, head));
        Ok(RecoveryUrlToken { bytes })
    }

    /// Checks a token presented for `account_id` at `now`, without
    /// consulting the used-token record. The checks run in this order, so
    /// the first failing one is the error: MAC ([`Error::TokenForged`]),
    /// account ([`Error::TokenForeignAccount`]), issue time
    /// ([`Error::TokenNotYetValid`]), expiry ([`Error::TokenExpired`]).
    /// MAC and account tag are compared in constant time.
    ///
    /// # Errors
    /// As listed.
    pub fn verify(&self, token: &RecoveryUrlToken, account_id: &[u8], now: u64) -> Result<()> {
        let head = token.bytes.get(..MACED_LEN).unwrap_or(&[]);
        let expected = self.hmac(TOKEN_MAC_LABEL, head);
        if !bool::from(expected.as_slice().ct_eq(token.mac())) {
            return Err(Error::TokenForged);
        }
        let tag = self.account_tag(account_id);
        if !bool::from(tag.as_slice().ct_eq(token.account_tag())) {
            return Err(Error::TokenForeignAccount);
        }
        if token.issued_at() > now {
            return Err(Error::TokenNotYetValid {
                issued_at: token.issued_at(),
                now,
            });
        }
        if now >= token.expires_at() {
            return Err(Error::TokenExpired {
                expired_at: token.expires_at(),
                now,
            });
        }
        Ok(())
    }

    /// Verifies a token ([`RecoveryUrlKey::verify`]) and records its id in
    /// `used`; a token already there is [`Error::TokenUsed`]. Persist `used`
    /// **before** acting on the token (sending or showing a Recovery Code),
    /// so a crash cannot leave a token usable twice.
    ///
    /// # Errors
    /// Those of [`RecoveryUrlKey::verify`]; [`Error::TokenUsed`];
    /// [`Error::UsedTokensFull`].
    #[cfg(feature = "alloc")]
    pub fn redeem(
        &self,
        token: &RecoveryUrlToken,
        account_id: &[u8],
        now: u64,
        used: &mut crate::UsedTokens,
    ) -> Result<()> {
        self.verify(token, account_id, now)?;
        used.insert(token.id(), token.expires_at(), now)
    }

    /// Redeems a token for the account of `keys` and issues the one-time
    /// Recovery Code through the escrow repository
    /// ([`OpenRepository::issue_recovery_code`](crate::OpenRepository::issue_recovery_code)).
    /// The token is consumed (recorded in `used`) before the code is made;
    /// the caller persists `used`, then `keys`, then sends the code.
    ///
    /// # Errors
    /// Those of [`RecoveryUrlKey::redeem`] and of
    /// [`OpenRepository::issue_recovery_code`](crate::OpenRepository::issue_recovery_code).
    #[cfg(feature = "alloc")]
    pub fn redeem_recovery_code<R: CryptoRng + ?Sized>(
        &self,
        token: &RecoveryUrlToken,
        now: u64,
        used: &mut crate::UsedTokens,
        repository: &crate::OpenRepository<'_>,
        keys: &mut crate::AccountKeys,
        rng: &mut R,
    ) -> Result<crate::RecoveryCode> {
        self.redeem(token, keys.account_id(), now, used)?;
        repository.issue_recovery_code(keys, rng)
    }
}

/// Writes `BASE?account=ACCOUNT&token=TOKEN`, the account percent-encoded
/// (RFC 3986: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`).
///
/// # Errors
/// [`Error::RecoveryUrl`] when `base` does not start with `https://` or
/// `http://`, or holds `?`, `#`, spaces or control characters;
/// [`Error::IdLength`] for an empty or over-long account id.
#[cfg(feature = "alloc")]
pub fn recovery_url(
    base: &str,
    account_id: &str,
    token: &RecoveryUrlToken,
) -> Result<alloc::string::String> {
    check_base(base)?;
    check_account(account_id.as_bytes())?;
    let mut url = alloc::string::String::with_capacity(base.len() + 140 + 3 * account_id.len());
    url.push_str(base);
    url.push_str("?account=");
    for b in account_id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            url.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            url.push('%');
            url.push(char::from(*HEX.get(usize::from(b >> 4)).unwrap_or(&b'0')));
            url.push(char::from(*HEX.get(usize::from(b & 15)).unwrap_or(&b'0')));
        }
    }
    url.push_str("&token=");
    url.push_str(token.encode().as_str());
    Ok(url)
}

/// Account ids are 1..=255 bytes, as in every record of this crate.
fn check_account(id: &[u8]) -> Result<()> {
    if id.is_empty() || id.len() > 255 {
        return Err(Error::IdLength {
            found: id.len(),
            max: 255,
        });
    }
    Ok(())
}

#[cfg(feature = "alloc")]
fn check_base(base: &str) -> Result<()> {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or(Error::RecoveryUrl {
            expected: "a base URL starting with https:// or http://",
        })?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::RecoveryUrl {
            expected: "a host after the scheme of the base URL",
        });
    }
    if base
        .bytes()
        .any(|b| b == b'?' || b == b'#' || b <= b' ' || b == 0x7f)
    {
        return Err(Error::RecoveryUrl {
            expected: "a base URL without '?', '#', spaces or control characters (the query is added)",
        });
    }
    Ok(())
}

/// Splits a Recovery URL written by [`recovery_url`] into its base, the
/// account id (percent-decoded) and the token.
///
/// # Errors
/// [`Error::RecoveryUrl`] when the URL is not `BASE?account=…&token=…`, or
/// the account is not valid percent-encoded UTF-8; the token's own errors.
#[cfg(feature = "alloc")]
pub fn parse_recovery_url(url: &str) -> Result<(&str, alloc::string::String, RecoveryUrlToken)> {
    let url = url.trim();
    let (base, query) = url.split_once('?').ok_or(Error::RecoveryUrl {
        expected: "BASE?account=…&token=… (no '?' found)",
    })?;
    check_base(base)?;
    let (account, token) = query
        .strip_prefix("account=")
        .and_then(|q| q.split_once("&token="))
        .ok_or(Error::RecoveryUrl {
            expected: "the query account=…&token=…",
        })?;
    let mut bytes = alloc::vec::Vec::with_capacity(account.len());
    let mut it = account.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hi = it.next().and_then(hex_val);
            let lo = it.next().and_then(hex_val);
            match (hi, lo) {
                (Some(h), Some(l)) => bytes.push(h << 4 | l),
                _ => {
                    return Err(Error::RecoveryUrl {
                        expected: "%XX with two hex digits in the account",
                    });
                }
            }
        } else if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            bytes.push(b);
        } else {
            return Err(Error::RecoveryUrl {
                expected: "a percent-encoded account (A-Z a-z 0-9 - . _ ~ and %XX)",
            });
        }
    }
    let account = alloc::string::String::from_utf8(bytes).map_err(|_| Error::RecoveryUrl {
        expected: "an account that is UTF-8 text",
    })?;
    check_account(account.as_bytes())?;
    Ok((base, account, RecoveryUrlToken::parse(token)?))
}

#[cfg(feature = "alloc")]
const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
