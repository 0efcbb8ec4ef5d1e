//! Shares sealed to each custodian with age (`age` crate, format
//! age-encryption.org/v1): the operator who runs a split never writes a
//! plaintext share to disk, and each custodian opens theirs with the `age`
//! command-line tool or `keyward shamir combine --identity FILE`.
//!
//! Recipients are X25519 (`age1…`) or SSH (`ssh-ed25519 …`, `ssh-rsa …`)
//! public keys, one per share in share order, from `--recipient` (repeated)
//! or a recipients file (one per line; blank lines and `#` comments
//! skipped). Each sealed file's plaintext is exactly the line `shamir split`
//! prints for that share, newline included.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use keyward_core::zeroize::Zeroizing;

use crate::io::Failure;

/// One custodian's public key: its text (for messages and the listing) and
/// the parsed age recipient.
pub struct Custodian {
    /// The recipient as given (a public key: not secret).
    pub text: String,
    recipient: Box<dyn age::Recipient + Send>,
}

impl std::fmt::Debug for Custodian {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Custodian")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

/// A shortened form of a recipient for messages (`age1abcd…wxyz`).
fn short(text: &str) -> String {
    let t: Vec<char> = text.chars().collect();
    if t.len() <= 24 {
        return text.to_owned();
    }
    let head: String = t.iter().take(14).collect();
    let tail: String = t.iter().skip(t.len() - 8).collect();
    format!("{head}…{tail}")
}

/// Parses one recipient; `what` names it in the error ("--recipient 2",
/// "recipients.txt line 3").
///
/// # Errors
/// [`Failure::Usage`] naming `what` and the recipient.
pub fn parse_recipient(text: &str, what: &str) -> Result<Custodian, Failure> {
    let text = text.trim();
    let recipient: Box<dyn age::Recipient + Send> = if text.starts_with("age1") {
        Box::new(age::x25519::Recipient::from_str(text).map_err(|e| {
            Failure::Usage(format!(
                "{what}: {:?} is not a valid age X25519 recipient: {e}",
                short(text)
            ))
        })?)
    } else if text.starts_with("ssh-") {
        Box::new(age::ssh::Recipient::from_str(text).map_err(|e| {
            let why = match e {
                age::ssh::ParseRecipientKeyError::Ignore => {
                    "an SSH key type age ignores".to_owned()
                }
                age::ssh::ParseRecipientKeyError::Invalid(m) => m.to_owned(),
                age::ssh::ParseRecipientKeyError::RsaModulusTooLarge => {
                    "the RSA modulus is larger than age supports".to_owned()
                }
                age::ssh::ParseRecipientKeyError::RsaModulusTooSmall => {
                    "the RSA modulus is under 2048 bits".to_owned()
                }
                age::ssh::ParseRecipientKeyError::Unsupported(t) => {
                    format!("SSH key type {t} is not supported")
                }
            };
            Failure::Usage(format!(
                "{what}: {:?} is not a usable SSH recipient: {why}",
                short(text)
            ))
        })?)
    } else {
        return Err(Failure::Usage(format!(
            "{what}: expected an age recipient (age1…) or an SSH public key (ssh-ed25519 …), found {:?}",
            short(text)
        )));
    };
    Ok(Custodian {
        text: text.to_owned(),
        recipient,
    })
}

/// The recipients of `--recipient` (in order) or of `--recipients-file`.
///
/// # Errors
/// [`Failure::Input`] when the file cannot be read; [`Failure::Usage`] for a
/// malformed recipient (naming its position or line) or an empty file.
pub fn custodians(
    recipients: &[String],
    recipients_file: Option<&Path>,
) -> Result<Vec<Custodian>, Failure> {
    let mut out = Vec::new();
    for (i, r) in recipients.iter().enumerate() {
        out.push(parse_recipient(r, &format!("--recipient {}", i + 1))?);
    }
    if let Some(path) = recipients_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Input(format!(
                "reading the recipients file {}: {e}",
                path.display()
            ))
        })?;
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(parse_recipient(
                line,
                &format!("{} line {}", path.display(), no + 1),
            )?);
        }
        if out.is_empty() {
            return Err(Failure::Usage(format!(
                "{}: expected one recipient per share, found none",
                path.display()
            )));
        }
    }
    Ok(out)
}

/// Checks there is exactly one recipient per share.
///
/// # Errors
/// [`Failure::Usage`] naming both counts.
pub fn check_count(custodians: &[Custodian], shares: usize) -> Result<(), Failure> {
    if custodians.len() != shares {
        return Err(Failure::Usage(format!(
            "expected one recipient per share: {shares} shares, found {} recipients",
            custodians.len()
        )));
    }
    Ok(())
}

/// Encrypts `plaintext` to one custodian.
fn seal(plaintext: &[u8], custodian: &Custodian) -> Result<Vec<u8>, Failure> {
    let enc = age::Encryptor::with_recipients(std::iter::once(
        custodian.recipient.as_ref() as &dyn age::Recipient
    ))
    .map_err(|e| Failure::Input(format!("age encryption to {}: {e}", short(&custodian.text))))?;
    let mut out = Vec::with_capacity(plaintext.len() + 300);
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| Failure::Input(format!("age encryption: {e}")))?;
    w.write_all(plaintext)
        .and_then(|()| w.finish().map(|_| ()))
        .map_err(|e| Failure::Input(format!("age encryption: {e}")))?;
    Ok(out)
}

/// The paths `DIR/PREFIX-1.age` … `DIR/PREFIX-N.age`.
pub fn sealed_paths(dir: &Path, prefix: &str, n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| dir.join(format!("{prefix}-{i}.age")))
        .collect()
}

/// Creates `dir` (0700 when it is new) and checks that none of `paths`
/// exists yet.
///
/// # Errors
/// [`Failure::Input`] naming the directory or the first existing file.
pub fn prepare_dir(dir: &Path, paths: &[PathBuf]) -> Result<(), Failure> {
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a sealed share",
            p.display()
        )));
    }
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)
            .map_err(|e| Failure::Input(format!("creating {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Seals each plaintext to its custodian and writes it to its path: every
/// file is encrypted in memory, written to a 0600 temporary file in the same
/// directory, fsynced and renamed (never over an existing file). If one
/// fails, the files written by this call are removed.
///
/// # Errors
/// [`Failure::Input`] naming the file.
pub fn write_sealed(
    items: &[(PathBuf, Zeroizing<String>)],
    custodians: &[Custodian],
) -> Result<(), Failure> {
    let mut written: Vec<&Path> = Vec::new();
    for ((path, plaintext), custodian) in items.iter().zip(custodians) {
        let result =
            seal(plaintext.as_bytes(), custodian).and_then(|sealed| write_new_file(path, &sealed));
        if let Err(e) = result {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
}

/// Writes a new file (never over an existing one): a 0600 temporary file in
/// the same directory, fsync, rename, fsync of the directory.
///
/// # Errors
/// [`Failure::Input`] naming the file.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| Failure::Input(format!("writing {}: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(".keyward-tmp-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist_noclobber(path).map_err(|e| fail(e.error))?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(fail)?;
    Ok(())
}

/// The identities of an identity file: age's native format
/// (`AGE-SECRET-KEY-1…` lines, `#` comments) or an unencrypted OpenSSH
/// private key (ssh-ed25519 or ssh-rsa).
///
/// # Errors
/// [`Failure::Input`] naming the file (never its contents).
pub fn read_identities(path: &Path) -> Result<Vec<Box<dyn age::Identity>>, Failure> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        Failure::Input(format!("reading the identity file {}: {e}", path.display()))
    })?);
    let bad = |why: &str| {
        Failure::Input(format!(
            "{}: expected an age identity file (AGE-SECRET-KEY-1…) or an unencrypted OpenSSH private key: {why}",
            path.display()
        ))
    };
    if bytes.starts_with(b"-----BEGIN OPENSSH PRIVATE KEY-----") {
        let id = age::ssh::Identity::from_buffer(&bytes[..], Some(path.display().to_string()))
            .map_err(|e| bad(&e.to_string()))?;
        return match id {
            age::ssh::Identity::Unencrypted(_) => Ok(vec![Box::new(id)]),
            age::ssh::Identity::Encrypted(_) => Err(bad(
                "this SSH key is passphrase-protected; open the share with the age CLI (`age -d -i KEY FILE`)",
            )),
            age::ssh::Identity::Unsupported(_) => Err(bad("unsupported SSH key type")),
        };
    }
    let ids = age::IdentityFile::from_buffer(&bytes[..])
        .map_err(|e| bad(&e.to_string()))?
        .into_identities()
        .map_err(|e| bad(&e.to_string()))?;
    if ids.is_empty() {
        return Err(bad("no identity found"));
    }
    Ok(ids)
}

/// Decrypts a sealed share file with any of `identities`.
///
/// # Errors
/// [`Failure::Input`] naming the file: not an age file, no identity opens
/// it, damaged, or not UTF-8 text.
pub fn open_sealed(
    path: &Path,
    identities: &[Box<dyn age::Identity>],
) -> Result<Zeroizing<String>, Failure> {
    let f = std::fs::File::open(path)
        .map_err(|e| Failure::Input(format!("reading {}: {e}", path.display())))?;
    let dec = age::Decryptor::new_buffered(std::io::BufReader::new(f))
        .map_err(|e| Failure::Input(format!("{}: not a readable age file: {e}", path.display())))?;
    let mut r = dec
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Failure::Input(format!(
                "{}: none of the identities given opens it (sealed to another custodian)",
                path.display()
            )),
            e => Failure::Input(format!("{}: {e}", path.display())),
        })?;
    let mut buf = Zeroizing::new(Vec::new());
    r.read_to_end(&mut buf)
        .map_err(|e| Failure::Input(format!("{}: damaged age file: {e}", path.display())))?;
    let text = std::str::from_utf8(&buf)
        .map_err(|_| Failure::Input(format!("{}: the sealed share is not text", path.display())))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Reads every line of sealed share files, in order.
///
/// # Errors
/// As [`open_sealed`].
pub fn open_all(
    paths: &[PathBuf],
    identities: &[Box<dyn age::Identity>],
) -> Result<Zeroizing<String>, Failure> {
    let mut texts = Vec::with_capacity(paths.len());
    for p in paths {
        texts.push(open_sealed(p, identities)?);
    }
    // One allocation of the final size: no share is left behind in a
    // reallocated buffer.
    let mut all = Zeroizing::new(String::with_capacity(
        texts.iter().map(|t| t.len() + 1).sum(),
    ));
    for text in &texts {
        all.push_str(text);
        if !text.ends_with('\n') {
            all.push('\n');
        }
    }
    Ok(all)
}

/// `--recipient`/`--recipients-file` of `ceremony backup`: each card's
/// share is also delivered sealed to its custodian.
#[derive(Debug, clap::Args)]
pub struct SealTo {
    /// Also deliver card i's share sealed with age to the i-th recipient
    /// (age1… or ssh-ed25519 …), one per card in card order, as
    /// DIR/share-i.age: the SLIP-0039 words `shamir combine` reads (the
    /// cards' passphrase is empty).
    #[arg(long = "recipient", value_name = "RECIPIENT")]
    recipients: Vec<String>,
    /// File of recipients, one per line in card order (blank lines and `#`
    /// comments skipped).
    #[arg(long, value_name = "FILE", conflicts_with = "recipients")]
    recipients_file: Option<PathBuf>,
}

/// Where and to whom the cards' shares are delivered (checked before any
/// card is written).
#[derive(Debug)]
pub struct Delivery {
    custodians: Vec<Custodian>,
    paths: Vec<PathBuf>,
}

impl SealTo {
    /// Whether any recipient was given.
    pub fn is_set(&self) -> bool {
        !self.recipients.is_empty() || self.recipients_file.is_some()
    }

    /// Parses the recipients, checks one per card and that no
    /// `DIR/share-i.age` exists; `None` without recipients.
    ///
    /// # Errors
    /// As [`custodians`], [`check_count`]; [`Failure::Input`] for an
    /// existing file.
    pub fn prepare(&self, dir: &Path, cards: usize) -> Result<Option<Delivery>, Failure> {
        if self.recipients.is_empty() && self.recipients_file.is_none() {
            return Ok(None);
        }
        let custodians = custodians(&self.recipients, self.recipients_file.as_deref())?;
        check_count(&custodians, cards)?;
        let paths = sealed_paths(dir, "share", cards);
        if let Some(p) = paths.iter().find(|p| p.exists()) {
            return Err(Failure::Input(format!(
                "{} exists: refusing to overwrite a sealed share",
                p.display()
            )));
        }
        Ok(Some(Delivery { custodians, paths }))
    }
}

impl Delivery {
    /// Reads each card's share with its PIN (`pins[i]` for card i + 1; a
    /// right PIN leaves its try counter as it was) and writes it sealed to
    /// the card's custodian.
    /// Prints one line per file: its path, a tab, the recipient.
    ///
    /// # Errors
    /// [`Failure::Input`] naming the card or the file.
    pub fn deliver<S: keyward::backup::CardStore>(
        &self,
        stores: &mut [S],
        pins: &[&[u8]],
    ) -> crate::io::CmdResult {
        let mut items = Vec::with_capacity(stores.len());
        for (i, ((store, path), pin)) in stores.iter_mut().zip(&self.paths).zip(pins).enumerate() {
            let bytes = store
                .unlock(Some(pin))
                .map_err(|e| Failure::Input(format!("card {}: {e}", i + 1)))?;
            let share = keyward_shamir::slip39::Share::from_bytes(&bytes, i + 1)
                .map_err(|e| Failure::Input(format!("card {}: {e}", i + 1)))?;
            items.push((path.clone(), with_newline(&share.to_mnemonic())));
        }
        if let Some(dir) = self.paths.first().and_then(|p| p.parent()) {
            prepare_dir(dir, &self.paths)?;
        }
        write_sealed(&items, &self.custodians)?;
        for (path, c) in self.paths.iter().zip(&self.custodians) {
            crate::io::out(&format!("{}\t{}", path.display(), c.text))?;
        }
        Ok(())
    }
}

/// `line` followed by a newline, in a zeroizing string allocated once.
pub fn with_newline(line: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(line.len() + 1));
    out.push_str(line);
    out.push('\n');
    out
}
