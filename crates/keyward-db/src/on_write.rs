//! Encrypt-on-write for services: open a stored value under any held key
//! (or take it as plaintext when its version says so), seal under the
//! primary. A service that writes records through these two functions
//! migrates its table as records change; `keyward db encrypt|rekey` does
//! the rest.

use keyward_blob::{Keyring, RecordId, encryption_version};
use zeroize::Zeroizing;

use crate::version::Version;

/// Opens a stored value: a copy of it when `version` is plaintext, else the
/// BLOB opened under the held key `version` names.
///
/// # Errors
/// [`keyward_blob::Error::KeyIdNotHeld`] when the BLOB header names another
/// key than the version column (the row is inconsistent: not opened), and
/// every error of [`Keyring::open`].
pub fn open_any(
    ring: &Keyring,
    record: &RecordId<'_>,
    version: Version,
    stored: &[u8],
) -> Result<Zeroizing<Vec<u8>>, keyward_blob::Error> {
    match version.key_id() {
        None => Ok(Zeroizing::new(stored.to_vec())),
        Some(id) => {
            let header = encryption_version(stored)?;
            if header != id {
                let mut held = keyward_blob::KeyIdList::new();
                held.push(id);
                return Err(keyward_blob::Error::KeyIdNotHeld {
                    found: header,
                    held,
                });
            }
            ring.open(record, stored)
        }
    }
}

/// Seals `plaintext` under the keyring's primary key (deterministically);
/// returns the BLOB and the version to store with it.
///
/// # Errors
/// As [`Keyring::seal`].
pub fn seal_primary(
    ring: &Keyring,
    record: &RecordId<'_>,
    plaintext: &[u8],
) -> Result<(Vec<u8>, Version), keyward_blob::Error> {
    let blob = ring.seal(record, plaintext)?;
    Ok((blob, Version::sealed(ring.primary().key_id())))
}
