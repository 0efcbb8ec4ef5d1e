//! [`FileCard`]: a soft card kept in a file (`docs/formats.md`, "keyward
//! (facade): card record").
//!
//! Every PIN attempt is a locked read-modify-write: the card file is opened
//! and locked exclusively (an advisory `flock`/`LockFileEx` lock through
//! `fs4`) for the whole attempt; the record with its counter incremented
//! replaces the file **before** Argon2 runs, and again with the counter reset
//! after a right PIN. A replacement is written to a temporary file in the
//! card's directory (`tempfile`, mode 0600), fsynced, renamed over the card
//! and the directory fsynced, so a card file is always one whole record.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use keyward_core::rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::error::StoreError;
use super::record::{Card, SealParams};
use super::soft;
use super::store::{CardHeader, CardStore, WriteMode};

/// A soft card in a file. Opening one does no I/O: a missing file is
/// reported by the first operation ([`StoreError::Absent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCard {
    path: PathBuf,
}

/// The card file held open and locked for one operation.
struct Locked {
    _file: File,
    card: Card,
}

impl FileCard {
    /// The card file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The card file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn storage(&self, action: &'static str, e: std::io::Error) -> StoreError {
        if e.kind() == ErrorKind::NotFound && action == ACTION_READ {
            return StoreError::Absent {
                store: self.describe(),
            };
        }
        StoreError::Storage {
            store: self.describe(),
            action,
            source: Box::new(e),
        }
    }

    /// Opens and locks the card file, then reads the record through the
    /// locked handle. If the file was replaced while we waited for the lock
    /// (another process renamed a new record over it), starts again on the
    /// new file, so the lock and the bytes are those of the current card.
    fn lock(&self) -> Result<Locked, StoreError> {
        loop {
            let mut file = File::open(&self.path).map_err(|e| self.storage(ACTION_READ, e))?;
            fs4::FileExt::lock(&file).map_err(|e| self.storage(ACTION_LOCK, e))?;
            if !self.still_current(&file)? {
                continue;
            }
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| self.storage(ACTION_READ, e))?;
            let card = Card::from_bytes(&bytes)?;
            return Ok(Locked { _file: file, card });
        }
    }

    #[cfg(unix)]
    fn still_current(&self, file: &File) -> Result<bool, StoreError> {
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata().map_err(|e| self.storage(ACTION_READ, e))?;
        match std::fs::metadata(&self.path) {
            Ok(now) => Ok(now.dev() == held.dev() && now.ino() == held.ino()),
            Err(e) => Err(self.storage(ACTION_READ, e)),
        }
    }

    #[cfg(not(unix))]
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    fn still_current(&self, _file: &File) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Writes `card` whole: temp file in the same directory, fsync, rename
    /// (or, with `CreateNew`, a link that fails if the card exists), fsync of
    /// the directory.
    fn replace(
        &self,
        card: &Card,
        mode: WriteMode,
        action: &'static str,
    ) -> Result<(), StoreError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".kwcard-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| self.storage(action, e))?;
        let bytes = card.to_bytes();
        tmp.write_all(&bytes).map_err(|e| self.storage(action, e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| self.storage(action, e))?;
        let persisted = if mode == WriteMode::CreateNew {
            tmp.persist_noclobber(&self.path)
        } else {
            tmp.persist(&self.path)
        };
        if let Err(e) = persisted {
            if e.error.kind() == ErrorKind::AlreadyExists {
                return Err(StoreError::Exists {
                    store: self.describe(),
                });
            }
            return Err(self.storage(action, e.error));
        }
        sync_dir(&dir).map_err(|e| self.storage(action, e))
    }
}

const ACTION_READ: &str = "reading the card file";
const ACTION_LOCK: &str = "locking the card file";
const ACTION_COUNT: &str = "recording the PIN try in the card file";
const ACTION_WRITE: &str = "writing the card file";

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

impl CardStore for FileCard {
    fn describe(&self) -> String {
        alloc::format!("card file {}", self.path.display())
    }

    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        Ok(self.read_record()?.public_header())
    }

    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let mut held = self.lock()?;
        soft::unlock_counted(&mut held.card, pin, &mut |c| {
            self.replace(c, WriteMode::Replace, ACTION_COUNT)
        })
    }

    fn write_share(&mut self, new: &SealParams<'_>, mode: WriteMode) -> Result<(), StoreError> {
        let card = Card::seal(new).map_err(StoreError::from_seal)?;
        self.write_record(&card, mode)
    }

    fn change_pin(
        &mut self,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        soft::check_new_pin(new)?;
        let mut held = self.lock()?;
        soft::change_pin_counted(&mut held.card, old, new, rng, &mut |c| {
            self.replace(c, WriteMode::Replace, ACTION_COUNT)
        })
    }

    fn read_record(&mut self) -> Result<Card, StoreError> {
        let bytes = std::fs::read(&self.path).map_err(|e| self.storage(ACTION_READ, e))?;
        Card::from_bytes(&bytes)
    }

    fn write_record(&mut self, card: &Card, mode: WriteMode) -> Result<(), StoreError> {
        if mode == WriteMode::CreateNew {
            return self.replace(card, mode, ACTION_WRITE);
        }
        // Replacing a card: hold its lock so no PIN attempt runs meanwhile.
        let _held = match File::open(&self.path) {
            Ok(f) => {
                fs4::FileExt::lock(&f).map_err(|e| self.storage(ACTION_LOCK, e))?;
                Some(f)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(self.storage(ACTION_READ, e)),
        };
        self.replace(card, mode, ACTION_WRITE)
    }
}
