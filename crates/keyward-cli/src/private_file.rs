//! Files and directories that hold secrets (cards, migrated template
//! tables), created private and whole (`docs/design.md#card-storage`):
//!
//! * files are created mode 0600 and directories 0700 whatever the umask
//!   (the mode is set on the open handle, not left to the umask);
//! * a file appears whole or not at all: written to a temporary file in
//!   the same directory (`tempfile`: unique name, created exclusively, so a
//!   planted symlink or directory at a guessable name is never followed),
//!   fsynced, linked into place only if the name is free, the directory
//!   fsynced; any failure removes the temporary file, and one left by a
//!   killed process (its lock free) is removed by the next write there;
//! * errors name the file.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Opens `path` for reading only if it is a regular file: opened without
/// blocking (a FIFO does not hang), then checked on the open handle.
///
/// # Errors
/// The open error, or `InvalidInput` "expected a regular file, found ...".
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let file = o.open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "expected a regular file, found a directory, device or FIFO",
        ));
    }
    Ok(file)
}

/// Creates `dir` (and missing parents) with mode 0700 for every directory
/// created; an existing directory is left as it is. Returns whether `dir`
/// itself was created.
///
/// # Errors
/// The creation error, with the directory named.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<bool> {
    if dir.is_dir() {
        return Ok(false);
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| named(e, &format!("creating directory {}", dir.display())))?;
    set_mode(dir, 0o700)?;
    Ok(true)
}

/// Sets the permission bits of `path` (unix; nothing elsewhere).
///
/// # Errors
/// The chmod error, with the path named.
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| named(e, &format!("setting the mode of {}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Writes a new file `path`, mode 0600, whole or not at all, refusing to
/// replace an existing file (or symlink) at `path`. `write` fills the
/// temporary file.
///
/// # Errors
/// `AlreadyExists` when `path` exists; any write, fsync or link error.
/// Messages name `path`.
pub fn write_new(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let ctx = |e: std::io::Error| named(e, &format!("writing {}", path.display()));
    remove_abandoned_temps(&dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(&dir)
        .map_err(ctx)?;
    // Locked while it exists: see `remove_abandoned_temps`.
    fs4::FileExt::lock(tmp.as_file()).map_err(ctx)?;
    set_file_mode(tmp.as_file(), 0o600).map_err(ctx)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut w).map_err(ctx)?;
        w.flush().map_err(ctx)?;
    }
    tmp.as_file().sync_all().map_err(ctx)?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == ErrorKind::AlreadyExists {
            std::io::Error::new(
                ErrorKind::AlreadyExists,
                format!("{} exists: refusing to overwrite it", path.display()),
            )
        } else {
            ctx(e.error)
        }
    })?;
    sync_dir(&dir).map_err(ctx)
}

const TMP_PREFIX: &str = ".keyward-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files of [`write_new`] in `dir` left by killed
/// processes: a writer holds its temporary file locked from creation to
/// link, so one whose lock can be taken is abandoned. Best effort.
fn remove_abandoned_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX);
        if !ours || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        if let Ok(f) = File::open(&path) {
            if fs4::FileExt::try_lock(&f).is_ok() {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// Moves the file `from` to `to` in the same file system, refusing to
/// replace anything at `to` (a hard link, then the old name removed).
///
/// # Errors
/// `AlreadyExists` when `to` exists; the link error.
pub fn move_noclobber(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::hard_link(from, to).map_err(|e| {
        if e.kind() == ErrorKind::AlreadyExists {
            std::io::Error::new(
                ErrorKind::AlreadyExists,
                format!("{} exists: refusing to overwrite it", to.display()),
            )
        } else {
            named(e, &format!("moving {} to {}", from.display(), to.display()))
        }
    })?;
    std::fs::remove_file(from).map_err(|e| named(e, &format!("removing {}", from.display())))
}

fn set_file_mode(f: &File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (f, mode);
    Ok(())
}

/// Fsyncs a directory, so a rename or link in it is durable.
///
/// # Errors
/// The open or fsync error, with the directory named.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| named(e, &format!("syncing directory {}", dir.display())))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An error with what was being done in front of it.
fn named(e: std::io::Error, doing: &str) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{doing}: {e}"))
}
