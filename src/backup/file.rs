//! [`FileCard`]: a soft card kept in a file (`docs/formats.md`, "keyward
//! (facade): card record"; `docs/design.md#card-storage`).
//!
//! Every PIN attempt is a locked read-modify-write: the card file is opened
//! and locked exclusively (an advisory `flock`/`LockFileEx` lock through
//! `fs4`) for the whole attempt; the record with its counter incremented
//! replaces the file **before** Argon2 runs, and again with the counter reset
//! after a right PIN. Each replacement is locked before it is renamed into
//! place and stays locked until the attempt ends (a lock is on a file, and
//! the rename makes a new one: without this, a process opening the card
//! between two rewrites of one attempt would run beside it). A process that
//! waited for the lock on a file since replaced starts again on the current
//! one. A replacement is written to a temporary file in the
//! card's directory (`tempfile`: a unique name, created exclusively, never
//! through a planted symlink), given the mode and owner of the card it
//! replaces (0600 for a new card, whatever the umask), fsynced, renamed over
//! the card and the directory fsynced, so a card file is always one whole
//! record and a failed write leaves no temporary file.
//!
//! A card path that is a symlink is resolved: the real card is read and
//! replaced, the link stays. A card is read only if it is a regular file of
//! at most [`MAX_CARD_FILE_LEN`] bytes (opened without blocking, so a FIFO
//! or a device is refused at once).

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

/// Largest card file read (a record is at most 177 bytes): anything larger
/// is refused before it is read, so `/dev/zero` or a huge sparse file costs
/// nothing.
pub const MAX_CARD_FILE_LEN: u64 = 4096;

/// A soft card in a file. Opening one does no I/O: a missing file is
/// reported by the first operation ([`StoreError::Absent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCard {
    path: PathBuf,
}

/// The card file held open and locked for one operation.
struct Locked {
    /// Held open for its lock; its metadata gives a rewrite the card's mode
    /// and owner. After a rewrite the new file (locked before its rename)
    /// takes its place.
    file: File,
    /// The real card file (symlinks resolved).
    target: PathBuf,
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
            let target = self.target()?;
            let file = self.open_card(&target)?;
            fs4::FileExt::lock(&file).map_err(|e| self.storage(ACTION_LOCK, e))?;
            if !self.still_current(&target, &file)? {
                continue;
            }
            let card = self.parse(&file)?;
            return Ok(Locked { file, target, card });
        }
    }

    /// The real card file: the path with every symlink resolved. A path
    /// that does not exist is returned as it is (the first read reports it
    /// absent; a new card is created there), except a dangling symlink,
    /// which is refused: writing through it would create a card somewhere
    /// else than the operator named.
    fn target(&self) -> Result<PathBuf, StoreError> {
        match std::fs::canonicalize(&self.path) {
            Ok(p) => Ok(p),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                match std::fs::symlink_metadata(&self.path) {
                    Ok(m) if m.file_type().is_symlink() => Err(self.storage(
                        ACTION_RESOLVE,
                        std::io::Error::new(
                            ErrorKind::InvalidInput,
                            "it is a symlink to a missing file (refusing to write through it)",
                        ),
                    )),
                    _ => Ok(self.path.clone()),
                }
            }
            Err(e) => Err(self.storage(ACTION_RESOLVE, e)),
        }
    }

    /// Opens the resolved card file for reading without blocking (a FIFO
    /// does not hang) and without following a symlink (one swapped in after
    /// [`target`](Self::target) is refused), and checks that it is a
    /// regular file of at most [`MAX_CARD_FILE_LEN`] bytes.
    fn open_card(&self, target: &Path) -> Result<File, StoreError> {
        let mut o = std::fs::OpenOptions::new();
        o.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
        }
        let file = o.open(target).map_err(|e| self.storage(ACTION_READ, e))?;
        let meta = file.metadata().map_err(|e| self.storage(ACTION_READ, e))?;
        if !meta.file_type().is_file() {
            return Err(self.storage(
                ACTION_READ,
                std::io::Error::new(
                    ErrorKind::InvalidInput,
                    alloc::format!(
                        "expected a regular file, found {}",
                        kind_of(&meta.file_type())
                    ),
                ),
            ));
        }
        if meta.len() > MAX_CARD_FILE_LEN {
            return Err(self.storage(
                ACTION_READ,
                std::io::Error::new(
                    ErrorKind::InvalidData,
                    alloc::format!(
                        "expected a card record of at most {MAX_CARD_FILE_LEN} bytes, found a file of {} bytes",
                        meta.len()
                    ),
                ),
            ));
        }
        Ok(file)
    }

    /// Reads (at most [`MAX_CARD_FILE_LEN`] bytes, whatever the file says
    /// its length is) and parses the record in `file`.
    fn parse(&self, file: &File) -> Result<Card, StoreError> {
        let mut bytes = Vec::new();
        file.take(MAX_CARD_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.storage(ACTION_READ, e))?;
        if u64::try_from(bytes.len()).map_or(true, |n| n > MAX_CARD_FILE_LEN) {
            return Err(self.storage(
                ACTION_READ,
                std::io::Error::new(
                    ErrorKind::InvalidData,
                    alloc::format!(
                        "expected a card record of at most {MAX_CARD_FILE_LEN} bytes, found more"
                    ),
                ),
            ));
        }
        Card::from_bytes(&bytes)
    }

    #[cfg(unix)]
    fn still_current(&self, target: &Path, file: &File) -> Result<bool, StoreError> {
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata().map_err(|e| self.storage(ACTION_READ, e))?;
        match std::fs::symlink_metadata(target) {
            Ok(now) => Ok(now.dev() == held.dev() && now.ino() == held.ino()),
            Err(e) => Err(self.storage(ACTION_READ, e)),
        }
    }

    #[cfg(not(unix))]
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    fn still_current(&self, _target: &Path, _file: &File) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Writes `card` whole to `target`: a temporary file in the same
    /// directory (unique name, created exclusively), given the mode and
    /// owner of `like` (the card it replaces) or mode 0600, fsynced, then
    /// renamed over `target` (or, with `CreateNew`, linked, which fails if
    /// `target` exists), and the directory fsynced. On any failure the
    /// temporary file is removed and `target` is as it was. Returns the new
    /// card file, still locked: it was locked before it was renamed into
    /// place, so a caller that keeps it holds the lock on the current card
    /// without a gap.
    fn replace(
        &self,
        target: &Path,
        like: Option<&File>,
        card: &Card,
        mode: WriteMode,
        action: &'static str,
    ) -> Result<File, StoreError> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        remove_abandoned_temps(&dir);
        let mut tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .suffix(TMP_SUFFIX)
            .tempfile_in(&dir)
            .map_err(|e| self.storage(action, e))?;
        // Locked while it exists, so that a later writer can tell it from
        // one abandoned by a killed process, and still locked once renamed
        // into place (see the return value).
        fs4::FileExt::lock(tmp.as_file()).map_err(|e| self.storage(action, e))?;
        keep_mode_and_owner(tmp.as_file(), like).map_err(|e| self.storage(action, e))?;
        let bytes = card.to_bytes();
        tmp.write_all(&bytes).map_err(|e| self.storage(action, e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| self.storage(action, e))?;
        let persisted = if mode == WriteMode::CreateNew {
            tmp.persist_noclobber(target)
        } else {
            tmp.persist(target)
        };
        let file = match persisted {
            Ok(f) => f,
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => {
                return Err(StoreError::Exists {
                    store: self.describe(),
                });
            }
            Err(e) => return Err(self.storage(action, e.error)),
        };
        sync_dir(&dir).map_err(|e| self.storage(action, e))?;
        Ok(file)
    }
}

const TMP_PREFIX: &str = ".kwcard-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary card files in `dir` left by killed processes: a
/// writer holds its temporary file locked from creation to rename, so one
/// whose lock can be taken is abandoned. Best effort: a failure here does
/// not stop the write.
fn remove_abandoned_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Ok(f) = File::open(&path) else {
            continue;
        };
        if fs4::FileExt::try_lock(&f).is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Gives the new temporary file `tmp` the permission bits and owner of the
/// card file `like` it will replace, or mode 0600 for a new card (the
/// temporary file is created 0600 whatever the umask; set again here so
/// the rule does not depend on `tempfile`'s default). An owner that cannot
/// be kept (another user's card, rewritten without the right to chown) is
/// an error: the card is then not replaced.
#[cfg(unix)]
fn keep_mode_and_owner(tmp: &File, like: Option<&File>) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Some(like) = like else {
        return tmp.set_permissions(std::fs::Permissions::from_mode(0o600));
    };
    let want = like.metadata()?;
    let have = tmp.metadata()?;
    if (want.uid(), want.gid()) != (have.uid(), have.gid()) {
        std::os::unix::fs::fchown(tmp, Some(want.uid()), Some(want.gid())).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                alloc::format!(
                    "keeping the card's owner {}:{} on its replacement: {e}",
                    want.uid(),
                    want.gid()
                ),
            )
        })?;
    }
    tmp.set_permissions(std::fs::Permissions::from_mode(want.mode() & 0o7777))
}

#[cfg(not(unix))]
fn keep_mode_and_owner(_tmp: &File, _like: Option<&File>) -> std::io::Result<()> {
    Ok(())
}

/// What a non-regular file is, for the message.
fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "something other than a file"
    }
}

const ACTION_READ: &str = "reading the card file";
const ACTION_LOCK: &str = "locking the card file";
const ACTION_COUNT: &str = "recording the PIN try in the card file";
const ACTION_WRITE: &str = "writing the card file";
const ACTION_RESOLVE: &str = "resolving the card path";

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
        let Locked {
            file,
            target,
            mut card,
        } = self.lock()?;
        // Each replacement is locked before it is renamed into place and
        // held until the attempt ends, so no other process gets a lock on
        // the current card meanwhile.
        let mut held = file;
        let this = &*self;
        soft::unlock_counted(&mut card, pin, &mut |c| {
            held = this.replace(&target, Some(&held), c, WriteMode::Replace, ACTION_COUNT)?;
            Ok(())
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
        let Locked {
            file,
            target,
            mut card,
        } = self.lock()?;
        let mut held = file;
        let this = &*self;
        soft::change_pin_counted(&mut card, old, new, rng, &mut |c| {
            held = this.replace(&target, Some(&held), c, WriteMode::Replace, ACTION_COUNT)?;
            Ok(())
        })
    }

    fn read_record(&mut self) -> Result<Card, StoreError> {
        let target = self.target()?;
        let file = self.open_card(&target)?;
        self.parse(&file)
    }

    fn write_record(&mut self, card: &Card, mode: WriteMode) -> Result<(), StoreError> {
        let target = self.target()?;
        if mode == WriteMode::CreateNew {
            return self
                .replace(&target, None, card, mode, ACTION_WRITE)
                .map(drop);
        }
        // Replacing a card: hold its lock so no PIN attempt runs meanwhile,
        // and keep its mode and owner.
        let held = match self.open_card(&target) {
            Ok(f) => {
                fs4::FileExt::lock(&f).map_err(|e| self.storage(ACTION_LOCK, e))?;
                Some(f)
            }
            Err(StoreError::Absent { .. }) => None,
            Err(e) => return Err(e),
        };
        self.replace(&target, held.as_ref(), card, mode, ACTION_WRITE)
            .map(drop)
    }
}
