//! Errors of the database engines and the migration.

use std::fmt;

/// A keyward-db error. Messages name the database, table, row id or file
/// concerned and never contain BLOB, plaintext or password bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The database URL is not `sqlite:PATH` or `postgresql://USER@HOST:PORT/DB`.
    Url(String),
    /// The table mapping is invalid (an identifier, a column type).
    Mapping(String),
    /// The PostgreSQL password could not be read (file, permissions, no entry).
    Password(String),
    /// The database failed an operation.
    Database {
        /// The database, as `sqlite:PATH` or `postgresql://USER@HOST:PORT/DB`.
        db: String,
        /// What was being done.
        doing: String,
        /// The driver's message.
        message: String,
    },
    /// A worker thread panicked (a bug; reported, not propagated).
    Worker(String),
}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(m) => write!(f, "database URL: {m}"),
            Self::Mapping(m) => write!(f, "table mapping: {m}"),
            Self::Password(m) => write!(f, "PostgreSQL password: {m}"),
            Self::Database { db, doing, message } => write!(f, "{db}: {doing}: {message}"),
            Self::Worker(m) => write!(f, "migration worker: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A database error on `db` while `doing`, with the driver's chain of
    /// causes (the `postgres` crate puts the server's message in a source).
    pub(crate) fn db_chain(db: &str, doing: impl Into<String>, e: &dyn std::error::Error) -> Self {
        let mut message = e.to_string();
        let mut src = e.source();
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        Self::Database {
            db: db.to_owned(),
            doing: doing.into(),
            message,
        }
    }

    /// A database error on `db` while `doing`.
    pub(crate) fn db(db: &str, doing: impl Into<String>, e: impl fmt::Display) -> Self {
        Self::Database {
            db: db.to_owned(),
            doing: doing.into(),
            message: e.to_string(),
        }
    }
}
