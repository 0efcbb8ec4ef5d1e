//! Entry points shared by the cargo-fuzz targets and `cargo test` corpus
//! replay. Not part of the stable API.

use crate::{DeriveVector, KeySetting, Keyring, RecordId, StorageDeriveKey};

/// The fixed keyring of the `blob_open` target: derive vectors 0 (primary)
/// and 1, built-in static key and IV.
pub fn fixed_keyring() -> Keyring {
    let mut ring = Keyring::new(KeySetting::derive_vector(DeriveVector::ZERO).database_key());
    if let Ok(dv) = DeriveVector::new(1) {
        let _ = ring.add(KeySetting::derive_vector(dv).database_key());
    }
    ring
}

/// The record identity of the `blob_open` target.
pub const FIXED_RECORD: RecordId<'static> = RecordId::application(b"FUZZ000001", b"fuzz");

/// Opens `data` (in place, on a copy) under [`fixed_keyring`]; also parses
/// the header and tries a re-seal. Must never panic; returns whether the
/// BLOB opened.
pub fn open(ring: &Keyring, data: &[u8]) -> bool {
    let _ = crate::Header::parse(data);
    let _ = crate::encryption_version(data);
    let mut buf = [0u8; 4096];
    let Some(copy) = buf.get_mut(..data.len()) else {
        return false;
    };
    copy.copy_from_slice(data);
    let opened = ring.open_in_place(&FIXED_RECORD, copy).is_ok();
    let Some(copy) = buf.get_mut(..data.len()) else {
        return false;
    };
    copy.copy_from_slice(data);
    let resealed = ring.reseal_in_place(&FIXED_RECORD, copy).is_ok();
    opened && resealed
}

/// Feeds `data` to the text parsers (storage derive key parameters and hex,
/// derive vector). Must never panic.
pub fn parse_params(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(sdk) = StorageDeriveKey::parse_params(text) {
        // Round trip: the written form parses back to the same key.
        let mut out = FixedString::default();
        if sdk.write_params(&mut out).is_ok() {
            if let Ok(text) = core::str::from_utf8(out.as_bytes()) {
                let again = StorageDeriveKey::parse_params(text);
                assert!(
                    again.as_ref() == Ok(&sdk),
                    "parameter text round trip failed"
                );
            }
        }
    }
    let _ = StorageDeriveKey::from_hex(text);
    let _ = text.parse::<StorageDeriveKey>();
    let _ = DeriveVector::parse(text);
}

/// A small fixed-capacity string buffer (no alloc needed).
struct FixedString {
    buf: [u8; 512],
    len: usize,
}

impl Default for FixedString {
    fn default() -> Self {
        Self {
            buf: [0; 512],
            len: 0,
        }
    }
}

impl FixedString {
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl core::fmt::Write for FixedString {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
