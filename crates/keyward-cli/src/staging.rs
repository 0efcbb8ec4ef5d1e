//! The staging directory of `ceremony backup` (`docs/design.md#card-storage`):
//! a card set is written into a private directory (mode 0700, unique name
//! `.keyward-backup-*`), read back there, and moved into place only after
//! the read-back succeeded. Until then nothing appears under the card
//! names; on any failure the staging directory and everything in it is
//! removed.
//!
//! * `OUT` missing or an empty directory: the staging directory is made next
//!   to it and renamed to `OUT` in one step (a rename replaces an empty
//!   directory and fails on a non-empty one), so `OUT` appears with the
//!   whole set or not at all.
//! * `OUT` a directory holding other files (or whose parent cannot take the
//!   staging directory): the staging directory is made inside it; each card
//!   is then linked to its name (refusing an existing one) and the staging
//!   name removed; if one link fails, the cards already linked are removed
//!   again. A kill inside that loop (after the read-back) can leave part of
//!   the set under its names.
//!
//! A process killed during the ceremony cannot clean up after itself: its
//! staging directory stays, holding a set no one was shown a KCV for. The
//! process that makes a staging directory locks it (`flock` on the
//! directory itself, through `fs4`) right after creating it and holds the
//! lock to its end (the lock follows the directory through its rename);
//! the next `ceremony backup` in the same place removes every staging
//! directory whose lock it can take (its process is gone) and says so. (A
//! backup that loses its fresh staging directory to such a cleaner in the
//! microseconds before it locks it fails with an error; nothing is lost.)

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::private_file::{self, parent_dir};

const PREFIX: &str = ".keyward-backup-";

/// Where a staged set goes when it is committed.
#[derive(Debug)]
enum Into {
    /// Rename the staging directory to this path.
    Whole(PathBuf),
    /// Link each card into this existing directory.
    Existing(PathBuf),
}

/// A staging directory for one card set.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    /// The lock on the staging directory (unix; elsewhere no lock, and
    /// abandoned staging directories are not recognised).
    _lock: Option<File>,
    into: Into,
}

impl Staging {
    /// Makes the staging directory for the set that goes to `out`, after
    /// removing abandoned ones there. Returns it and the names of the
    /// abandoned directories removed.
    ///
    /// # Errors
    /// An i/o error naming the directory.
    pub fn new(out: &Path) -> std::io::Result<(Self, Vec<PathBuf>)> {
        let is_link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
        if out.is_dir() {
            let empty = !is_link && std::fs::read_dir(out)?.next().is_none();
            if empty {
                if let Ok(made) = Self::make(&parent_dir(out), Into::Whole(out.to_owned())) {
                    return Ok(made);
                }
            }
            return Self::make(out, Into::Existing(out.to_owned()));
        }
        if std::fs::symlink_metadata(out).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a directory: refusing to write cards there",
                    out.display()
                ),
            ));
        }
        let base = parent_dir(out);
        private_file::create_private_dir_all(&base)?;
        Self::make(&base, Into::Whole(out.to_owned()))
    }

    /// Makes the staging directory in `base` (after removing abandoned
    /// ones there).
    fn make(base: &Path, into: Into) -> std::io::Result<(Self, Vec<PathBuf>)> {
        let removed = remove_abandoned(base)?;
        let named = |e: std::io::Error| {
            std::io::Error::new(
                e.kind(),
                format!("creating a staging directory in {}: {e}", base.display()),
            )
        };
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(base)
            .map_err(named)?;
        let lock = lock_dir(dir.path()).map_err(named)?;
        private_file::set_mode(dir.path(), 0o700)?;
        Ok((
            Self {
                dir,
                _lock: lock,
                into,
            },
            removed,
        ))
    }

    /// The staging directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the staged `names` into place (see the module text) and
    /// returns their final paths. On failure nothing of the set stays
    /// under the final names and the staging directory is removed.
    ///
    /// # Errors
    /// An i/o error naming the file.
    pub fn commit(self, names: &[String]) -> std::io::Result<Vec<PathBuf>> {
        match &self.into {
            Into::Whole(out) => {
                let out = out.clone();
                let replaceable = match std::fs::symlink_metadata(&out) {
                    Err(_) => true,
                    Ok(m) => m.is_dir() && std::fs::read_dir(&out)?.next().is_none(),
                };
                if !replaceable {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        format!(
                            "{} appeared or filled meanwhile: refusing to replace it",
                            out.display()
                        ),
                    ));
                }
                // Replaces an empty directory, fails on a non-empty one.
                std::fs::rename(self.dir.path(), &out).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("moving the card set into {}: {e}", out.display()),
                    )
                })?;
                let _ = self.dir.keep();
                private_file::sync_dir(&parent_dir(&out))?;
                Ok(names.iter().map(|n| out.join(n)).collect())
            }
            Into::Existing(out) => {
                let mut moved: Vec<PathBuf> = Vec::new();
                for name in names {
                    let to = out.join(name);
                    if let Err(e) = private_file::move_noclobber(&self.dir.path().join(name), &to) {
                        for done in &moved {
                            let _ = std::fs::remove_file(done);
                        }
                        return Err(e);
                    }
                    moved.push(to);
                }
                private_file::sync_dir(out)?;
                Ok(moved)
            }
        }
    }
}

/// Locks the directory `dir` (`flock` on the directory itself).
#[cfg(unix)]
fn lock_dir(dir: &Path) -> std::io::Result<Option<File>> {
    let d = File::open(dir)?;
    fs4::FileExt::lock(&d)?;
    Ok(Some(d))
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn lock_dir(_dir: &Path) -> std::io::Result<Option<File>> {
    Ok(None)
}

/// Removes the staging directories in `base` whose lock can be taken
/// (their process is gone).
#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn remove_abandoned(_base: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(Vec::new())
}

/// Removes the staging directories in `base` whose lock can be taken
/// (their process is gone).
#[cfg(unix)]
fn remove_abandoned(base: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = std::fs::read_dir(base)
        .map_err(|e| std::io::Error::new(e.kind(), format!("listing {}: {e}", base.display())))?;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(lock) = File::open(&path) else {
            continue;
        };
        if fs4::FileExt::try_lock(&lock).is_ok() {
            std::fs::remove_dir_all(&path).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "removing the abandoned staging directory {}: {e}",
                        path.display()
                    ),
                )
            })?;
            removed.push(path);
        }
    }
    Ok(removed)
}
