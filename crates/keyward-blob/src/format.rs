//! The sealed BLOB format, version 1.
//!
//! ```text
//! sealed = header ‖ SIV tag (16) ‖ ciphertext (as long as the plaintext)
//! header = version (1) = 0x01
//!        ‖ suite   (1) = 0x01   HKDF-SHA256 key derivation + AES-256-SIV (RFC 5297, CMAC)
//!        ‖ flags   (1)          bit 0 (0x01): a 16-byte nonce follows; bits 1..7 reserved, zero
//!        ‖ reserved(1) = 0x00
//!        ‖ key id  (4)          of the database key (see `derive`)
//!        [‖ nonce (16)]         present iff flags bit 0
//! ```
//!
//! AES-256-SIV associated data, as a vector of separate components (S2V):
//! `[header bytes 0..8, kind (1 byte), serial, application name, context]`,
//! then the nonce as a sixth and last component when present. The context is
//! always a component, even when empty. The whole header is therefore
//! authenticated (the nonce as its own component).

use aes_siv::{KeyInit, Tag, siv::Aes256Siv};
use keyward_core::KeyId;

use crate::derive::{DatabaseKey, RecordId, RecordKey};
use crate::error::{Error, KeyIdList, Result};

/// Format version byte.
pub const VERSION: u8 = 0x01;
/// Suite byte of [`Suite::HkdfSha256Aes256Siv`].
pub const SUITE_HKDF_SHA256_AES256_SIV: u8 = 0x01;
/// Flag bit: a 16-byte nonce follows the fixed header.
pub const FLAG_NONCE: u8 = 0x01;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 8;
/// Length of the optional nonce.
pub const NONCE_LEN: usize = 16;
/// Length of the SIV tag of suite 1 ([`Suite::tag_len`]).
pub const TAG_LEN: usize = 16;

/// The cryptographic suite of a sealed BLOB: header byte 1.
///
/// Each suite fixes the record-key derivation and the AEAD. Sealing and
/// opening dispatch on it, so a new suite is a new variant (and a new arm in
/// the private seal/open functions), not a new format version; the enum is
/// `#[non_exhaustive]` so adding one is not a breaking change for callers
/// that match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Suite {
    /// `0x01`: record key by HKDF-SHA256 from the database key, sealed with
    /// AES-256-SIV (RFC 5297, CMAC) over the associated-data vector of
    /// `docs/formats.md` ("Sealed BLOB, version 1"). A 16-byte tag.
    #[default]
    HkdfSha256Aes256Siv,
}

impl Suite {
    /// Every suite this build can seal and open, oldest first.
    pub const ALL: &'static [Self] = &[Self::HkdfSha256Aes256Siv];

    /// The suite byte written at header offset 1.
    pub const fn byte(self) -> u8 {
        match self {
            Self::HkdfSha256Aes256Siv => SUITE_HKDF_SHA256_AES256_SIV,
        }
    }

    /// The suite a header byte names, or `None` for a byte this build does
    /// not know.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            SUITE_HKDF_SHA256_AES256_SIV => Some(Self::HkdfSha256Aes256Siv),
            _ => None,
        }
    }

    /// Length of the authentication tag that follows the header.
    pub const fn tag_len(self) -> usize {
        match self {
            Self::HkdfSha256Aes256Siv => TAG_LEN,
        }
    }

    /// A short human-readable name (for messages and listings).
    pub const fn name(self) -> &'static str {
        match self {
            Self::HkdfSha256Aes256Siv => "HKDF-SHA256 + AES-256-SIV",
        }
    }
}

impl core::fmt::Display for Suite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#04x} ({})", self.byte(), self.name())
    }
}

/// A parsed BLOB header.
///
/// `#[non_exhaustive]`: build one with [`Header::new`]; later suites may add
/// fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The suite the BLOB is sealed with.
    pub suite: Suite,
    /// The key id of the database key that sealed the BLOB.
    pub key_id: KeyId,
    /// The random nonce, if the BLOB has one.
    pub nonce: Option<[u8; NONCE_LEN]>,
}

impl Header {
    /// A header for `suite`, `key_id` and an optional nonce.
    pub const fn new(suite: Suite, key_id: KeyId, nonce: Option<[u8; NONCE_LEN]>) -> Self {
        Self {
            suite,
            key_id,
            nonce,
        }
    }

    /// The header's length in bytes: 8, or 24 with a nonce.
    pub const fn len(&self) -> usize {
        if self.nonce.is_some() {
            HEADER_LEN + NONCE_LEN
        } else {
            HEADER_LEN
        }
    }

    /// Always false: a header is at least 8 bytes (for clippy's `len`
    /// convention).
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Header plus tag: the offset of the ciphertext, and the shortest
    /// sealed BLOB with this header.
    pub const fn overhead(&self) -> usize {
        self.len() + self.suite.tag_len()
    }

    /// The fixed 8 bytes (first associated-data component).
    pub const fn fixed_bytes(&self) -> [u8; HEADER_LEN] {
        let id = self.key_id.0;
        let flags = if self.nonce.is_some() { FLAG_NONCE } else { 0 };
        [
            VERSION,
            self.suite.byte(),
            flags,
            0,
            id[0],
            id[1],
            id[2],
            id[3],
        ]
    }

    /// Parses the header at the start of a sealed BLOB and checks that the
    /// BLOB is long enough to hold the suite's tag. Checks, in order (as
    /// `docs/formats.md` "Sealed BLOB, version 1", *Opening*, states):
    /// version, fixed-header length, suite, flags, reserved byte, nonce
    /// length, tag length. The key id is not checked against any key.
    ///
    /// # Errors
    /// [`Error::UnknownVersion`], [`Error::Truncated`] (header, nonce or
    /// SIV tag), [`Error::UnknownSuite`], [`Error::ReservedBits`].
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let found = blob.len();
        let truncated = |part, needed| Error::Truncated {
            part,
            needed,
            found,
        };
        let Some(&version) = blob.first() else {
            return Err(truncated("header", HEADER_LEN));
        };
        if version != VERSION {
            return Err(Error::UnknownVersion { found: version });
        }
        let Some(&[_, suite, flags, reserved, a, b, c, d]) = blob.first_chunk::<HEADER_LEN>()
        else {
            return Err(truncated("header", HEADER_LEN));
        };
        let Some(suite) = Suite::from_byte(suite) else {
            return Err(Error::UnknownSuite { found: suite });
        };
        if flags & !FLAG_NONCE != 0 {
            return Err(Error::ReservedBits {
                offset: 2,
                bits: flags & !FLAG_NONCE,
            });
        }
        if reserved != 0 {
            return Err(Error::ReservedBits {
                offset: 3,
                bits: reserved,
            });
        }
        let nonce = if flags & FLAG_NONCE != 0 {
            let nonce = blob
                .get(HEADER_LEN..HEADER_LEN + NONCE_LEN)
                .and_then(|n| <[u8; NONCE_LEN]>::try_from(n).ok())
                .ok_or_else(|| truncated("nonce", HEADER_LEN + NONCE_LEN))?;
            Some(nonce)
        } else {
            None
        };
        let header = Self::new(suite, KeyId([a, b, c, d]), nonce);
        if found < header.overhead() {
            return Err(truncated("SIV tag", header.overhead()));
        }
        Ok(header)
    }
}

/// The length of a suite-1 sealed BLOB for a plaintext of `plaintext_len`
/// bytes: header (8, or 24 with a nonce) + 16 + `plaintext_len`; `None` on
/// overflow. [`sealed_len_for`] for any suite.
pub const fn sealed_len(plaintext_len: usize, with_nonce: bool) -> Option<usize> {
    sealed_len_for(Suite::HkdfSha256Aes256Siv, plaintext_len, with_nonce)
}

/// The length of a BLOB sealed with `suite` for a plaintext of
/// `plaintext_len` bytes; `None` on overflow.
pub const fn sealed_len_for(suite: Suite, plaintext_len: usize, with_nonce: bool) -> Option<usize> {
    let nonce = if with_nonce { NONCE_LEN } else { 0 };
    plaintext_len.checked_add(HEADER_LEN + nonce + suite.tag_len())
}

/// The key id in a BLOB's header: the record's "encryption version", for
/// callers that keep it in a column.
///
/// # Errors
/// As [`Header::parse`].
pub fn encryption_version(blob: &[u8]) -> Result<KeyId> {
    Header::parse(blob).map(|h| h.key_id)
}

/// Seals or opens `buf` (header ‖ tag ‖ body, `buf.len() ≥
/// header.overhead()`) in place, dispatching on the header's suite.
fn run_suite(
    key: &DatabaseKey,
    header: &Header,
    record: &RecordId<'_>,
    buf: &mut [u8],
    encrypt: bool,
) -> Result<()> {
    match header.suite {
        Suite::HkdfSha256Aes256Siv => suite1_siv(key, header, record, buf, encrypt),
    }
}

fn suite1_cipher(key: &RecordKey) -> Result<Aes256Siv> {
    Aes256Siv::new_from_slice(key.expose_secret()).map_err(|_| Error::Authentication)
}

/// Suite 1: AES-256-SIV over `buf[header.len() + 16..]` with the format's
/// associated data; `encrypt` selects the direction.
fn suite1_siv(
    key: &DatabaseKey,
    header: &Header,
    record: &RecordId<'_>,
    buf: &mut [u8],
    encrypt: bool,
) -> Result<()> {
    let record_key = key.record_key(record.kind, record.serial, record.application)?;
    let mut siv = suite1_cipher(&record_key)?;
    let fixed = header.fixed_bytes();
    let kind = [record.kind.byte()];
    let nonce = header.nonce.unwrap_or_default();
    let ad: [&[u8]; 6] = [
        &fixed,
        &kind,
        record.serial,
        record.application,
        record.context,
        &nonce,
    ];
    let ad = if header.nonce.is_some() {
        &ad[..]
    } else {
        ad.get(..5).unwrap_or(&ad)
    };
    let hlen = header.len();
    let found = buf.len();
    let (head, body) = buf
        .split_at_mut_checked(hlen + TAG_LEN)
        .ok_or(Error::Truncated {
            part: "SIV tag",
            needed: hlen + TAG_LEN,
            found,
        })?;
    let tag_bytes = head.get_mut(hlen..).ok_or(Error::Authentication)?;
    if encrypt {
        let tag = siv
            .encrypt_inout_detached(ad, body.into())
            .map_err(|_| Error::Authentication)?;
        tag_bytes.copy_from_slice(&tag);
        if let Some(h) = head.get_mut(..HEADER_LEN) {
            h.copy_from_slice(&fixed);
        }
        if let (Some(n), Some(v)) = (head.get_mut(HEADER_LEN..hlen), header.nonce.as_ref()) {
            n.copy_from_slice(v);
        }
        Ok(())
    } else {
        let tag = Tag::try_from(&*tag_bytes).map_err(|_| Error::Authentication)?;
        siv.decrypt_inout_detached(ad, body.into(), &tag)
            .map_err(|_| Error::Authentication)
    }
}

/// The sealed length for `header` and `plaintext_len`, checked against the
/// `available` room.
fn check_room(header: &Header, plaintext_len: usize, available: usize) -> Result<usize> {
    let total = sealed_len_for(header.suite, plaintext_len, header.nonce.is_some()).ok_or(
        Error::BufferTooSmall {
            needed: usize::MAX,
            available,
        },
    )?;
    if total > available {
        return Err(Error::BufferTooSmall {
            needed: total,
            available,
        });
    }
    Ok(total)
}

impl DatabaseKey {
    /// Seals the plaintext `buf[..plaintext_len]` in place with the default
    /// suite ([`Suite::default`]); returns the sealed length
    /// ([`sealed_len`]). Needs no allocation.
    ///
    /// `nonce`: `None` for deterministic sealing (the same inputs give the
    /// same BLOB), or 16 random bytes, written in the header and
    /// authenticated as the last associated-data component.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `buf` cannot hold the sealed BLOB (the
    /// buffer is then unchanged); [`Error::FieldTooLong`].
    pub fn seal_in_place(
        &self,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        self.seal_in_place_with(Suite::default(), record, nonce, buf, plaintext_len)
    }

    /// [`Self::seal_in_place`] with an explicit suite.
    ///
    /// # Errors
    /// As [`Self::seal_in_place`].
    pub fn seal_in_place_with(
        &self,
        suite: Suite,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        let header = Header::new(suite, self.key_id(), nonce.copied());
        let total = check_room(&header, plaintext_len, buf.len())?;
        buf.copy_within(..plaintext_len, header.overhead());
        let out = buf.get_mut(..total).ok_or(Error::BufferTooSmall {
            needed: total,
            available: 0,
        })?;
        run_suite(self, &header, record, out, true)?;
        Ok(total)
    }

    /// Seals `plaintext` into `out` with the default suite; returns the
    /// sealed length. Needs no allocation.
    ///
    /// # Errors
    /// As [`Self::seal_in_place`].
    pub fn seal_into(
        &self,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        self.seal_into_with(Suite::default(), record, nonce, plaintext, out)
    }

    /// [`Self::seal_into`] with an explicit suite.
    ///
    /// # Errors
    /// As [`Self::seal_in_place`].
    pub fn seal_into_with(
        &self,
        suite: Suite,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let header = Header::new(suite, self.key_id(), nonce.copied());
        let total = check_room(&header, plaintext.len(), out.len())?;
        let sealed = out.get_mut(..total).ok_or(Error::BufferTooSmall {
            needed: total,
            available: 0,
        })?;
        if let Some(body) = sealed.get_mut(header.overhead()..) {
            body.copy_from_slice(plaintext);
        }
        run_suite(self, &header, record, sealed, true)?;
        Ok(total)
    }

    /// Opens a sealed BLOB in place, under the suite its header names;
    /// returns the plaintext, a sub-slice of `buf`. Needs no allocation. On
    /// any error nothing is decrypted and `buf` is unchanged.
    ///
    /// # Errors
    /// In the order `docs/formats.md` gives: [`Error::Truncated`],
    /// [`Error::UnknownVersion`], [`Error::UnknownSuite`],
    /// [`Error::ReservedBits`] (all from [`Header::parse`]), then
    /// [`Error::KeyIdNotHeld`] (sealed under another database key), then
    /// [`Error::Authentication`].
    pub fn open_in_place<'b>(
        &self,
        record: &RecordId<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b mut [u8]> {
        let header = Header::parse(buf)?;
        if header.key_id != self.key_id() {
            let mut held = KeyIdList::new();
            held.push(self.key_id());
            return Err(Error::KeyIdNotHeld {
                found: header.key_id,
                held,
            });
        }
        self.open_parsed(&header, record, buf)
    }

    pub(crate) fn open_parsed<'b>(
        &self,
        header: &Header,
        record: &RecordId<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b mut [u8]> {
        let off = header.overhead();
        if buf.len() < off {
            return Err(Error::Truncated {
                part: "SIV tag",
                needed: off,
                found: buf.len(),
            });
        }
        run_suite(self, header, record, buf, false)?;
        buf.get_mut(off..).ok_or(Error::Authentication)
    }

    /// Seals `plaintext` deterministically (no nonce).
    ///
    /// # Errors
    /// [`Error::FieldTooLong`].
    #[cfg(feature = "alloc")]
    pub fn seal(&self, record: &RecordId<'_>, plaintext: &[u8]) -> Result<alloc::vec::Vec<u8>> {
        self.seal_vec(record, None, plaintext)
    }

    /// Seals `plaintext` with a fresh random nonce from `rng`.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`].
    #[cfg(feature = "alloc")]
    pub fn seal_randomized<R: rand_core::CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        record: &RecordId<'_>,
        plaintext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        self.seal_vec(record, Some(&nonce), plaintext)
    }

    /// Seals `plaintext` with a fresh nonce from the operating system's RNG.
    ///
    /// # Errors
    /// [`Error::Core`] (`Rng`) if the OS generator fails;
    /// [`Error::FieldTooLong`].
    #[cfg(all(feature = "alloc", feature = "getrandom"))]
    pub fn seal_randomized_os(
        &self,
        record: &RecordId<'_>,
        plaintext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>> {
        let nonce = keyward_core::SecretBytes::<NONCE_LEN>::generate_os()?;
        self.seal_vec(record, Some(nonce.expose_secret()), plaintext)
    }

    #[cfg(feature = "alloc")]
    pub(crate) fn seal_vec(
        &self,
        record: &RecordId<'_>,
        nonce: Option<&[u8; NONCE_LEN]>,
        plaintext: &[u8],
    ) -> Result<alloc::vec::Vec<u8>> {
        let total = sealed_len(plaintext.len(), nonce.is_some()).ok_or(Error::BufferTooSmall {
            needed: usize::MAX,
            available: 0,
        })?;
        let mut out = alloc::vec![0u8; total];
        self.seal_into(record, nonce, plaintext, &mut out)?;
        Ok(out)
    }

    /// Opens a sealed BLOB into a new zeroizing buffer.
    ///
    /// # Errors
    /// As [`Self::open_in_place`].
    #[cfg(feature = "alloc")]
    pub fn open(
        &self,
        record: &RecordId<'_>,
        blob: &[u8],
    ) -> Result<zeroize::Zeroizing<alloc::vec::Vec<u8>>> {
        let mut buf = zeroize::Zeroizing::new(blob.to_vec());
        let len = self.open_in_place(record, &mut buf)?.len();
        let start = buf.len().saturating_sub(len);
        Ok(zeroize::Zeroizing::new(
            buf.get(start..).unwrap_or(&[]).to_vec(),
        ))
    }
}

// The tests use the `alloc` conveniences (`seal`, `open`, `to_params`).
#[cfg(test)]
#[cfg(feature = "alloc")]
mod tests {
    extern crate std;
    use super::*;
    use crate::derive::{BlobKind, KeySetting};
    use crate::inputs::DeriveVector;
    use std::format;
    use std::vec::Vec;

    fn key(dv: u32) -> DatabaseKey {
        KeySetting::derive_vector(DeriveVector::new(dv).unwrap()).database_key()
    }

    const REC: RecordId<'static> = RecordId::application(b"VDS0000001", b"RESPONSE_ONLY");

    #[test]
    fn round_trip_in_place_and_alloc() {
        let k = key(1);
        for nonce in [None, Some(&[7u8; 16])] {
            for pt in [&b""[..], b"x", &[0xA5; 300]] {
                let mut buf = [0u8; 400];
                buf[..pt.len()].copy_from_slice(pt);
                let n = k.seal_in_place(&REC, nonce, &mut buf, pt.len()).unwrap();
                assert_eq!(Some(n), sealed_len(pt.len(), nonce.is_some()));
                let v = k.seal_vec(&REC, nonce, pt).unwrap();
                assert_eq!(&buf[..n], &v[..]);
                assert_eq!(&k.open(&REC, &v).unwrap()[..], pt);
                let opened = k.open_in_place(&REC, &mut buf[..n]).unwrap();
                assert_eq!(opened, pt);
            }
        }
    }

    #[test]
    fn buffer_too_small_leaves_buffer_untouched() {
        let k = key(1);
        let mut buf = *b"plaintext plus23";
        let e = k.seal_in_place(&REC, None, &mut buf, 9).unwrap_err();
        assert_eq!(
            e,
            Error::BufferTooSmall {
                needed: 33,
                available: 16
            }
        );
        assert_eq!(&buf, b"plaintext plus23");
    }

    #[test]
    fn header_layout_and_errors() {
        let k = key(1);
        let id = k.key_id();
        let blob = k.seal(&REC, b"abc").unwrap();
        assert_eq!(
            &blob[..8],
            &[1, 1, 0, 0, id.0[0], id.0[1], id.0[2], id.0[3]]
        );
        assert_eq!(blob.len(), 8 + 16 + 3);
        assert_eq!(encryption_version(&blob).unwrap(), id);
        let mut rng = keyward_core::os_rng();
        let r = k.seal_randomized(&mut rng, &REC, b"abc").unwrap();
        #[cfg(feature = "getrandom")]
        assert_eq!(
            &k.open(&REC, &k.seal_randomized_os(&REC, b"abc").unwrap())
                .unwrap()[..],
            b"abc"
        );
        assert_eq!(r[2], FLAG_NONCE);
        assert_eq!(r.len(), 8 + 16 + 16 + 3);
        assert_ne!(r, k.seal_randomized(&mut rng, &REC, b"abc").unwrap());

        let open = |b: &[u8]| k.open(&REC, b).map(|p| p.to_vec());
        assert_eq!(
            open(&[]),
            Err(Error::Truncated {
                part: "header",
                needed: 8,
                found: 0
            })
        );
        assert_eq!(
            open(&blob[..5]),
            Err(Error::Truncated {
                part: "header",
                needed: 8,
                found: 5
            })
        );
        assert_eq!(
            open(&blob[..20]),
            Err(Error::Truncated {
                part: "SIV tag",
                needed: 24,
                found: 20
            })
        );
        assert_eq!(
            open(&r[..20]),
            Err(Error::Truncated {
                part: "nonce",
                needed: 24,
                found: 20
            })
        );
        assert_eq!(
            open(&r[..30]),
            Err(Error::Truncated {
                part: "SIV tag",
                needed: 40,
                found: 30
            })
        );
        let set = |i: usize, v: u8| {
            let mut b = blob.clone();
            b[i] = v;
            b
        };
        assert_eq!(open(&set(0, 2)), Err(Error::UnknownVersion { found: 2 }));
        assert_eq!(
            open(&set(0, 0x30)[..3]),
            Err(Error::UnknownVersion { found: 0x30 })
        );
        assert_eq!(open(&set(1, 9)), Err(Error::UnknownSuite { found: 9 }));
        assert_eq!(
            open(&set(2, 0x82)),
            Err(Error::ReservedBits {
                offset: 2,
                bits: 0x82
            })
        );
        assert_eq!(
            open(&set(3, 0x10)),
            Err(Error::ReservedBits {
                offset: 3,
                bits: 0x10
            })
        );
        let e = key(2).open(&REC, &blob).unwrap_err();
        let Error::KeyIdNotHeld { found, held } = e else {
            panic!("{e:?}")
        };
        assert_eq!(found, id);
        assert_eq!(held.as_slice(), &[key(2).key_id()]);
        assert_eq!(
            format!("{e}"),
            format!(
                "BLOB is sealed under key id {id}, which is not in the keyring (held: {}): wrong derive vector, storage derive key, static key or static IV",
                key(2).key_id()
            )
        );
        // Flipping the nonce flag on a nonce-less BLOB: the ciphertext is now
        // read as a nonce, so it is shorter than a tag or fails to verify.
        let mut flagged = k.seal(&REC, &[0; 40]).unwrap();
        flagged[2] = FLAG_NONCE;
        assert_eq!(open(&flagged), Err(Error::Authentication));
    }

    /// docs/formats.md "Sealed BLOB, version 1", *Opening*: the length check
    /// (≥ H + 16) comes before the key id lookup, for a single key and for a
    /// keyring, and for `encryption_version`.
    #[test]
    fn truncated_tag_is_reported_before_an_unknown_key_id() {
        let short = [1u8, 1, 0, 0, 0x11, 0x22, 0x33, 0x44];
        let want = Err(Error::Truncated {
            part: "SIV tag",
            needed: 24,
            found: 8,
        });
        let k = key(1);
        assert_ne!(k.key_id(), KeyId([0x11, 0x22, 0x33, 0x44]));
        assert_eq!(k.open(&REC, &short).map(|p| p.to_vec()), want);
        let ring = crate::Keyring::new(k.clone());
        assert_eq!(ring.open(&REC, &short).map(|p| p.to_vec()), want);
        let mut buf = short;
        assert_eq!(
            ring.reseal_in_place(&REC, &mut buf).map(|_| ()),
            want.clone().map(|_| ())
        );
        assert_eq!(Header::parse(&short).map(|_| ()), want.clone().map(|_| ()));
        // One byte more than the tag needs, but a foreign key id: now the key id.
        let long = [1u8, 1, 0, 0, 0x11, 0x22, 0x33, 0x44]
            .iter()
            .chain(&[0u8; 16])
            .copied()
            .collect::<Vec<u8>>();
        assert!(matches!(
            k.open(&REC, &long),
            Err(Error::KeyIdNotHeld { .. })
        ));
    }

    #[test]
    fn suite_byte_dispatch() {
        let k = key(1);
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        let n = k.seal_into(&REC, None, b"pt", &mut a).unwrap();
        let m = k
            .seal_into_with(Suite::HkdfSha256Aes256Siv, &REC, None, b"pt", &mut b)
            .unwrap();
        assert_eq!(a[..n], b[..m]);
        assert_eq!(
            Header::parse(&a[..n]).unwrap().suite,
            Suite::HkdfSha256Aes256Siv
        );
        assert_eq!(
            format!("{}", Suite::default()),
            "0x01 (HKDF-SHA256 + AES-256-SIV)"
        );
        assert_eq!(sealed_len_for(Suite::default(), usize::MAX, false), None);
    }

    #[test]
    fn identity_and_tampering_fail_authentication() {
        let k = key(1);
        let blob = k.seal(&REC, b"secret seed").unwrap();
        let others = [
            RecordId::payload_key(b"VDS0000001", b"RESPONSE_ONLY"),
            RecordId::application(b"VDS0000002", b"RESPONSE_ONLY"),
            RecordId::application(b"VDS0000001", b"CHALLENGE"),
            REC.with_context(b"x"),
        ];
        for other in others {
            assert_eq!(
                k.open(&other, &blob).map(|p| p.to_vec()),
                Err(Error::Authentication),
                "{other:?}"
            );
        }
        for i in 8..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 1;
            let mut buf = b.clone();
            assert_eq!(
                k.open_in_place(&REC, &mut buf).map(|p| p.to_vec()),
                Err(Error::Authentication)
            );
            assert_eq!(buf, b, "buffer restored after a failed open");
        }
        let text = format!("{}", Error::Authentication);
        assert!(text.starts_with("BLOB authentication failed"), "{text}");
    }

    /// `docs/formats.md` "Sealed BLOB, version 1": "no associated data" and "one empty associated data" are
    /// different inputs. Pinned for the raw cipher and for the context
    /// component, which is present (and empty) by default.
    #[test]
    fn no_ad_differs_from_one_empty_ad() {
        let key = [0x42u8; 64];
        let mut a = Aes256Siv::new_from_slice(&key).unwrap();
        let none: [&[u8]; 0] = [];
        let no_ad = a.encrypt(none, b"pt").unwrap();
        let one_empty = a.encrypt([b""], b"pt").unwrap();
        assert_ne!(no_ad, one_empty);
        assert!(a.decrypt([b""], &no_ad).is_err());
        assert!(a.decrypt(none, &one_empty).is_err());

        // Our format: the empty context is a fifth component.
        let k = key_for_test();
        let blob = k.seal(&REC, b"pt").unwrap();
        let rk = k.record_key(REC.kind, REC.serial, REC.application).unwrap();
        let mut s = Aes256Siv::new_from_slice(rk.expose_secret()).unwrap();
        let fixed: Vec<u8> = blob[..8].to_vec();
        let kind = [BlobKind::Application.byte()];
        let five: [&[u8]; 5] = [&fixed, &kind, REC.serial, REC.application, b""];
        let four: [&[u8]; 4] = [&fixed, &kind, REC.serial, REC.application];
        assert_eq!(s.encrypt(five, b"pt").unwrap(), blob[8..]);
        assert_ne!(s.encrypt(four, b"pt").unwrap(), blob[8..]);
    }

    fn key_for_test() -> DatabaseKey {
        key(0x2A)
    }
}
