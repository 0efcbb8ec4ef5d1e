//! The application PIN's two files (std only): the record and the device
//! secret, each 0600, written whole or not at all (a temporary file in the
//! same directory, fsync, rename, fsync of the directory).
//!
//! ```no_run
//! use keyward_superpin::{AppPin, AppPinRecord, create_device_secret_file,
//!     read_device_secret_file, unlock_app_pin_file, write_private_file};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = keyward_core::os_rng();
//! let key = keyward_core::SecretBytes::from_array([7u8; 32]);
//! let device = create_device_secret_file("/var/lib/app/device.secret".as_ref(), &mut rng)?;
//! let pin = AppPin::parse("493817")?;
//! let record = AppPinRecord::create(&key, &pin, &device, AppPinRecord::DEFAULT_PARAMS, 5, &mut rng)?;
//! write_private_file("/home/u/.app/pin.record".as_ref(), &record.to_bytes())?;
//! // At start-up:
//! let device = read_device_secret_file("/var/lib/app/device.secret".as_ref())?;
//! let key = unlock_app_pin_file("/home/u/.app/pin.record".as_ref(), &pin, &device)?;
//! # Ok(()) }
//! ```

use core::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use keyward_core::SecretBytes;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::app_pin::{AppPin, AppPinRecord, DeviceSecret};
use crate::error::Error;

/// An error of the application-PIN files: which file, and what went wrong.
#[derive(Debug)]
pub enum FileError {
    /// The file could not be read, created or replaced.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done ("reading", "creating", "replacing").
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's contents, or the attempt, failed.
    Record {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: Error,
    },
}

impl FileError {
    /// The library error, if that is the cause.
    pub const fn error(&self) -> Option<Error> {
        match self {
            Self::Record { error, .. } => Some(*error),
            Self::Io { .. } => None,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io {
                path,
                action,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            Self::Record { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl core::error::Error for FileError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Record { error, .. } => Some(error),
        }
    }
}

fn io_err<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> FileError + 'a {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Replaces (or creates) `path` with `bytes` atomically: a 0600 temporary
/// file in the same directory, fsync, rename over `path`, fsync of the
/// directory. A reader sees the old contents or the new, never a part.
///
/// # Errors
/// The i/o error; the temporary file is removed.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".keyward-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Creates a new device secret and writes it to `path` (0600; the file must
/// not exist: an existing device secret is never replaced).
///
/// # Errors
/// [`FileError::Io`] (an existing file included).
pub fn create_device_secret_file<R: CryptoRng + ?Sized>(
    path: &Path,
    rng: &mut R,
) -> Result<DeviceSecret, FileError> {
    let device = DeviceSecret::generate(rng);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io_err(path, "creating"))?;
    let written = f
        .write_all(device.to_file_bytes().as_slice())
        .and_then(|()| f.sync_all());
    if let Err(e) = written {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(io_err(path, "writing")(e));
    }
    Ok(device)
}

/// Reads a device secret file.
///
/// # Errors
/// [`FileError::Io`]; [`FileError::Record`] for a file that is not a device
/// secret (the message holds no byte of it).
pub fn read_device_secret_file(path: &Path) -> Result<DeviceSecret, FileError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io_err(path, "reading"))?);
    DeviceSecret::from_file_bytes(&bytes).map_err(|error| FileError::Record {
        path: path.to_path_buf(),
        error,
    })
}

/// Reads an application-PIN record file.
///
/// # Errors
/// [`FileError::Io`]; [`FileError::Record`] for a malformed record.
pub fn read_app_pin_file(path: &Path) -> Result<AppPinRecord, FileError> {
    let bytes = std::fs::read(path).map_err(io_err(path, "reading"))?;
    AppPinRecord::from_bytes(&bytes).map_err(|error| FileError::Record {
        path: path.to_path_buf(),
        error,
    })
}

/// Unlocks the record in `path`: the incremented try counter is written to
/// the file (atomically, fsynced) before the PIN is tried, and the reset
/// counter after a success, so killing the process mid-attempt still counts
/// the try.
///
/// # Errors
/// [`FileError::Io`]; [`FileError::Record`] with
/// [`Error::DeviceSecretMismatch`], [`Error::AppPinLocked`],
/// [`Error::AppPinWrong`] or a record error.
pub fn unlock_app_pin_file(
    path: &Path,
    pin: &AppPin,
    device: &DeviceSecret,
) -> Result<SecretBytes<32>, FileError> {
    enum Failed {
        Pin(Error),
        File(FileError),
    }
    impl From<Error> for Failed {
        fn from(e: Error) -> Self {
            Self::Pin(e)
        }
    }
    let mut record = read_app_pin_file(path)?;
    record
        .unlock_with(pin, device, |r: &AppPinRecord| {
            write_private_file(path, &r.to_bytes())
                .map_err(|e| Failed::File(io_err(path, "replacing")(e)))
        })
        .map_err(|f| match f {
            Failed::Pin(error) => FileError::Record {
                path: path.to_path_buf(),
                error,
            },
            Failed::File(e) => e,
        })
}
