//! The table mapping: which table and columns hold the records, and where
//! each part of a record's identity comes from.

use keyward_blob::BlobKind;

use crate::error::{Error, Result};

/// An SQL identifier: ASCII letters, digits and `_`, not starting with a
/// digit, at most 63 bytes (PostgreSQL's limit); a table name may be
/// schema-qualified (`schema.table`). Always written double-quoted, so SQL
/// keywords are allowed and nothing from the command line is ever SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    parts: Vec<String>,
}

impl Ident {
    /// A column name.
    ///
    /// # Errors
    /// [`Error::Mapping`] naming `what` and the rule broken.
    pub fn column(name: &str, what: &str) -> Result<Self> {
        check_part(name, what)?;
        Ok(Self {
            parts: vec![name.to_owned()],
        })
    }

    /// A table name, optionally `schema.table`.
    ///
    /// # Errors
    /// [`Error::Mapping`].
    pub fn table(name: &str) -> Result<Self> {
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() > 2 {
            return Err(Error::Mapping(format!(
                "table {name:?}: expected NAME or SCHEMA.NAME"
            )));
        }
        for p in &parts {
            check_part(p, "table")?;
        }
        Ok(Self {
            parts: parts.into_iter().map(str::to_owned).collect(),
        })
    }

    /// The name as given (`schema.table` or `column`).
    pub fn name(&self) -> String {
        self.parts.join(".")
    }

    /// The quoted SQL form (`"schema"."table"`).
    pub fn sql(&self) -> String {
        self.parts
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The last part (the table or column name without schema).
    pub fn last(&self) -> &str {
        self.parts.last().map_or("", String::as_str)
    }

    /// The schema, if the name is qualified.
    pub fn schema(&self) -> Option<&str> {
        if self.parts.len() == 2 {
            self.parts.first().map(String::as_str)
        } else {
            None
        }
    }
}

fn check_part(name: &str, what: &str) -> Result<()> {
    let ok_first = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    let ok_rest = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok_first || !ok_rest || name.len() > 63 {
        return Err(Error::Mapping(format!(
            "{what} name {name:?}: expected 1 to 63 ASCII letters, digits or '_', not starting with a digit"
        )));
    }
    Ok(())
}

/// Where a part of the record identity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A column of the row (text or binary; its bytes as stored).
    Column(Ident),
    /// The same bytes for every row.
    Constant(Vec<u8>),
}

/// The records of one table.
///
/// Each row is one keyward-blob record: `id` is an integer primary key
/// (batches are id ranges), `blob` the BLOB column (a binary column),
/// `version` its encryption version (integer or text, see
/// [`crate::Version`]). Kind, serial, application and context make the
/// [`keyward_blob::RecordId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMapping {
    /// The table.
    pub table: Ident,
    /// The integer id column (unique; the order of the batches).
    pub id: Ident,
    /// The BLOB column.
    pub blob: Ident,
    /// The version column.
    pub version: Ident,
    /// The serial number.
    pub serial: Field,
    /// The application name.
    pub application: Field,
    /// The BLOB kind.
    pub kind: BlobKind,
    /// The context column; the empty context when `None`.
    pub context: Option<Ident>,
}

impl TableMapping {
    /// The columns every batch reads, in order: id, blob, version, then
    /// serial, application and context where they are columns.
    pub(crate) fn select_list(&self) -> String {
        let mut cols = vec![self.id.sql(), self.blob.sql(), self.version.sql()];
        if let Field::Column(c) = &self.serial {
            cols.push(c.sql());
        }
        if let Field::Column(c) = &self.application {
            cols.push(c.sql());
        }
        if let Some(c) = &self.context {
            cols.push(c.sql());
        }
        cols.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn identifiers_are_checked_and_quoted() {
        assert_eq!(
            Ident::table("auth.blobs").unwrap().sql(),
            "\"auth\".\"blobs\""
        );
        assert_eq!(Ident::column("select", "id").unwrap().sql(), "\"select\"");
        for bad in ["", "1a", "a-b", "a\"b", "a b", "a;drop", "é"] {
            let e = Ident::column(bad, "id column").unwrap_err();
            assert!(e.to_string().contains("id column name"), "{e}");
        }
        assert!(Ident::table("a.b.c").is_err());
        assert!(Ident::table(&"x".repeat(64)).is_err());
        assert!(Ident::table(&"x".repeat(63)).is_ok());
    }
}
