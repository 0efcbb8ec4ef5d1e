//! Per-record BLOBs: seal under a derive vector, a wrong derive vector, another
//! record, rekey to a StorageDeriveKey.

use keyward_blob::{
    DeriveVector, Error as BlobError, KeySetting, Keyring, RecordId, Reseal, StorageDeriveKey,
};

use super::{Demo, say};
use crate::io::CmdResult;

pub(super) fn run(d: &mut Demo) -> CmdResult {
    let record = RecordId::application(b"VDS0012345", b"RESPONSE_ONLY");
    let old = KeySetting::derive_vector(DeriveVector::parse("0x2A")?).database_key();
    let blob = old.seal(&record, b"authenticator seed and counters")?;
    say!(
        d,
        "  sealed a {}-byte BLOB under derive vector 0x2A, key id {}",
        blob.len(),
        old.key_id()
    );
    let opened = old.open(&record, &blob);
    d.check(
        "the BLOB opens under the same derive vector",
        opened.is_ok_and(|p| p.as_slice() == b"authenticator seed and counters"),
    );
    let wrong = KeySetting::derive_vector(DeriveVector::parse("43")?).database_key();
    let err = wrong.open(&record, &blob);
    if let Err(e) = &err {
        say!(d, "  wrong derive vector rejected: {e}");
    }
    d.check(
        "a wrong derive vector is named by key id, not garbage plaintext",
        matches!(err, Err(BlobError::KeyIdNotHeld { found, .. }) if found == old.key_id()),
    );
    let other = RecordId::application(b"VDS0012346", b"RESPONSE_ONLY");
    d.check(
        "the BLOB does not open for another serial number",
        matches!(old.open(&other, &blob), Err(BlobError::Authentication)),
    );
    let sdk = StorageDeriveKey::parse_params(
        "StorageDeriveKey1 = 0x00112233\nStorageDeriveKey2 = 0x44556677\nStorageDeriveKey3 = 0x8899AABB\n\
         StorageDeriveKey4 = 0xCCDDEEFF\nStorageDeriveKey5 = 0xFFEEDDCC\nStorageDeriveKey6 = 0xBBAA9988\n\
         StorageDeriveKey7 = 0x77665544\nStorageDeriveKey8 = 0x33221100\n",
    )?;
    let new = KeySetting::storage_derive_key(sdk).database_key();
    let mut ring = Keyring::new(new);
    ring.add(old)?;
    let (rekeyed, what) = ring.reseal(&record, &blob)?;
    say!(d, "  rekeyed to a storage derive key: {what:?}");
    d.check(
        "rekey moves the BLOB to the new key, which opens it",
        matches!(what, Reseal::Resealed { .. })
            && keyward_blob::encryption_version(&rekeyed)
                .is_ok_and(|id| id == ring.primary().key_id())
            && ring.primary().open(&record, &rekeyed).is_ok(),
    );
    Ok(())
}
