//! `census`: rows per version, and which versions no held key opens.

use keyward_blob::Keyring;

use crate::engine::Connector;
use crate::error::Result;
use crate::mapping::TableMapping;
use crate::version::Version;

/// Rows per version column value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Plaintext rows (version 0).
    pub plaintext: u64,
    /// Rows per key id a held key has, primary first then by key id.
    pub held: Vec<(Version, u64)>,
    /// Rows per key id no held key has (they cannot be opened).
    pub unknown: Vec<(Version, u64)>,
    /// Rows whose version column is not a version (NULL, out of range,
    /// not 8 hex digits), per reason.
    pub invalid: Vec<(String, u64)>,
    /// All rows.
    pub total: u64,
}

/// Counts the rows of the mapped table per version (one `GROUP BY`).
///
/// # Errors
/// [`crate::Error::Database`], [`crate::Error::Mapping`].
pub fn census(connector: &dyn Connector, mapping: &TableMapping, ring: &Keyring) -> Result<Census> {
    let mut engine = connector.connect(mapping)?;
    let mut c = Census::default();
    for (v, n) in engine.count_versions()? {
        c.total += n;
        match v {
            Ok(Version::Plaintext) => c.plaintext += n,
            Ok(v) => {
                let held = v.key_id().is_some_and(|id| ring.get(id).is_some());
                if held {
                    c.held.push((v, n));
                } else {
                    c.unknown.push((v, n));
                }
            }
            Err(reason) => match c.invalid.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, m)) => *m += n,
                None => c.invalid.push((reason, n)),
            },
        }
    }
    let primary = Version::sealed(ring.primary().key_id());
    c.held.sort_by_key(|(v, _)| (*v != primary, *v));
    Ok(c)
}
