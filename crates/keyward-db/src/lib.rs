#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// A std crate (database drivers): `std::` paths are the natural ones here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod census;
mod engine;
mod error;
mod hash_table;
mod mapping;
mod migrate;
mod on_write;
mod pg;
mod sqlite;
mod url;
mod version;

pub use census::{Census, census};
pub use engine::{Connector, Engine, Row, Selection, Update};
pub use error::{Error, Result};
pub use hash_table::{HashMapping, scan_hashes};
pub use mapping::{Field, Ident, TableMapping};
pub use migrate::{Event, Failure, Operation, Plan, Summary, run};
pub use on_write::{open_any, seal_primary};
pub use pg::PgConnector;
pub use sqlite::SqliteConnector;
pub use url::{DbUrl, PgTarget, connector, read_pgpass};
pub use version::{Version, VersionType};
