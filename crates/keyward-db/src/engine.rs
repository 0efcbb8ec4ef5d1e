//! The engine trait: what a migration needs from an SQL database. One value
//! per connection; another SQL engine is another implementation.

use zeroize::Zeroizing;

use crate::error::Result;
use crate::mapping::TableMapping;
use crate::version::{Version, VersionType};

/// Which rows a batch selects, by version column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Version 0 (plaintext rows).
    Plaintext,
    /// Any of these versions (never plaintext).
    AnyOf(Vec<Version>),
    /// Every row, whatever its version (verify).
    All,
}

/// One row of a batch. The BLOB (a plaintext for a plaintext row) is
/// zeroized on drop; the driver's own buffers are not in our reach.
#[derive(Debug)]
pub struct Row {
    /// The id column.
    pub id: i64,
    /// The BLOB column (`None` for SQL NULL).
    pub blob: Option<Zeroizing<Vec<u8>>>,
    /// The version column, or the reason it is not a version (NULL or not
    /// a key id): such a row is failed, not touched.
    pub version: core::result::Result<Version, String>,
    /// The serial number (from the column, or empty when it is a constant).
    pub serial: Vec<u8>,
    /// The application name (from the column, or empty when a constant).
    pub application: Vec<u8>,
    /// The context (from the column, or empty).
    pub context: Vec<u8>,
}

/// A row to write: its new BLOB and version, guarded by the version it was
/// read with (a row changed in between is not written).
#[derive(Debug)]
pub struct Update {
    /// The id column.
    pub id: i64,
    /// The version the row was read with.
    pub old: Version,
    /// The version written.
    pub new: Version,
    /// The BLOB written.
    pub blob: Zeroizing<Vec<u8>>,
}

/// One connection to a database holding the mapped table.
///
/// A batch is [`Engine::begin_batch`] (opens a transaction and reads the
/// rows, locking them where the engine can) followed by
/// [`Engine::commit_batch`] (writes and commits) or [`Engine::rollback`].
pub trait Engine: Send {
    /// The database, for messages (`sqlite:PATH`, `postgresql://USER@HOST:PORT/DB`).
    fn name(&self) -> &str;

    /// The version column's type (read from the schema).
    fn version_type(&self) -> VersionType;

    /// The smallest and largest id, or `None` for an empty table.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    fn id_bounds(&mut self) -> Result<Option<(i64, i64)>>;

    /// The number of rows per version column value (NULL and values that are
    /// not key ids counted under their text), and the total.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    fn count_versions(&mut self) -> Result<Vec<(core::result::Result<Version, String>, u64)>>;

    /// The number of rows `selection` names with ids in `(after, upto]`.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    fn count(&mut self, selection: &Selection, after: i64, upto: i64) -> Result<u64>;

    /// Opens a transaction and reads up to `limit` rows selected by
    /// `selection` with ids in `(after, upto]`, in id order, into `out`
    /// (cleared first). On PostgreSQL the rows are locked and rows locked by
    /// another transaction are skipped.
    ///
    /// # Errors
    /// [`crate::Error::Database`] (the transaction is then rolled back).
    fn begin_batch(
        &mut self,
        selection: &Selection,
        after: i64,
        upto: i64,
        limit: usize,
        out: &mut Vec<Row>,
    ) -> Result<()>;

    /// Writes `updates` and commits the transaction; returns how many rows
    /// were written (an update whose guard no longer matches writes none).
    ///
    /// # Errors
    /// [`crate::Error::Database`] (nothing of the batch is then committed).
    fn commit_batch(&mut self, updates: &[Update]) -> Result<u64>;

    /// Ends the open transaction without writing.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    fn rollback(&mut self) -> Result<()>;

    /// True when rows can be skipped because another process holds them
    /// (PostgreSQL's `SKIP LOCKED`): the migration then makes further passes
    /// until one changes nothing.
    fn skips_locked(&self) -> bool;
}

/// Opens connections: one per worker.
pub trait Connector: Sync {
    /// The database, for messages.
    fn name(&self) -> String;

    /// A new connection to the mapped table (the mapping is checked against
    /// the schema).
    ///
    /// # Errors
    /// [`crate::Error::Database`], [`crate::Error::Mapping`].
    fn connect(&self, mapping: &TableMapping) -> Result<Box<dyn Engine>>;
}
