//! SoftHSM2 for tests: a token directory and `SOFTHSM2_CONF` of its own per
//! test, tokens initialised with `softhsm2-util` (each token stands for one
//! HSM or card). Shared by the keyward-pkcs11 and keyward-cli tests (std only).
//!
//! When `softhsm2-util` or the module is missing, a test skips with one line
//! on stderr, except when `CI` is set: then it fails, so a CI run can never
//! pass without having exercised a real PKCS#11 module.
//!
//! The module is `KEYWARD_TEST_PKCS11_MODULE`, else Debian's
//! `/usr/lib/softhsm/libsofthsm2.so`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The SO PIN of every test token.
pub const SO_PIN: &str = "87654321";
/// The user PIN of every test token.
pub const USER_PIN: &str = "246810";

/// The module under test, or `None` (after one line on stderr) outside CI.
///
/// # Panics
/// In CI (`CI` set) when the module or `softhsm2-util` is missing.
pub fn module() -> Option<PathBuf> {
    let module = std::env::var_os("KEYWARD_TEST_PKCS11_MODULE")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"),
            PathBuf::from,
        );
    let util = Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .is_ok();
    if module.is_file() && util {
        return Some(module);
    }
    let what = if module.is_file() {
        "softhsm2-util is not on PATH".to_owned()
    } else {
        format!("the PKCS#11 module {} is missing", module.display())
    };
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and {what}: run .ci/softhsm.sh (apt-get install softhsm2 opensc)");
    }
    eprintln!("skipped: {what} (install softhsm2, or set KEYWARD_TEST_PKCS11_MODULE)");
    None
}

/// A SoftHSM2 installation private to one test; removed on drop.
#[derive(Debug)]
pub struct SoftHsm {
    /// The test's directory (tokens, config, PIN file).
    pub dir: PathBuf,
    /// Its `SOFTHSM2_CONF`.
    pub conf: PathBuf,
    /// The module.
    pub module: PathBuf,
    /// A 0600 file holding the user PIN.
    pub pin_file: PathBuf,
}

impl SoftHsm {
    /// Creates the directory and initialises one token per label, or `None`
    /// when SoftHSM2 is missing outside CI.
    pub fn new(test: &str, labels: &[&str]) -> Option<Self> {
        Self::with_conf(test, labels, "")
    }

    /// Like [`SoftHsm::new`], with extra `softhsm2.conf` lines (e.g.
    /// `slots.mechanisms = -CKM_AES_CMAC` for a token lacking a mechanism).
    pub fn with_conf(test: &str, labels: &[&str], extra: &str) -> Option<Self> {
        let module = module()?;
        let dir =
            std::env::temp_dir().join(format!("keyward-softhsm-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n{extra}\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        let pin_file = dir.join("user.pin");
        write_secret(&pin_file, &format!("{USER_PIN}\n"));
        let hsm = Self {
            dir,
            conf,
            module,
            pin_file,
        };
        for label in labels {
            hsm.init_token(label);
        }
        Some(hsm)
    }

    /// `softhsm2-util --init-token --free --label LABEL`.
    pub fn init_token(&self, label: &str) {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                SO_PIN,
                "--pin",
                USER_PIN,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "softhsm2-util --init-token {label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pkcs11-tool --module M ARGS` in this installation (OpenSC), or
    /// `None` when pkcs11-tool is missing outside CI.
    pub fn pkcs11_tool(&self, args: &[&str]) -> Option<std::process::Output> {
        pkcs11_tool(&self.module, &self.conf, args)
    }

    /// A `pkcs11:` URI for `token` (and `object`), with module-path and
    /// pin-source.
    pub fn uri(&self, token: &str, object: Option<&str>) -> String {
        uri_for(&self.module, &self.pin_file, token, object)
    }
}

/// `pkcs11-tool --module MODULE ARGS` with `SOFTHSM2_CONF=CONF`, or `None`
/// (after one line) when pkcs11-tool is missing outside CI.
///
/// # Panics
/// In CI when pkcs11-tool is missing.
pub fn pkcs11_tool(module: &Path, conf: &Path, args: &[&str]) -> Option<std::process::Output> {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf)
        .arg("--module")
        .arg(module)
        .args(args)
        .output();
    match out {
        Ok(o) => Some(o),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI is set and pkcs11-tool (opensc) is missing: run .ci/softhsm.sh")
        }
        Err(_) => {
            eprintln!("skipped: pkcs11-tool is not on PATH (install opensc)");
            None
        }
    }
}

/// `pkcs11:token=T[;object=O;type=secret-key]?module-path=M&pin-source=file:P`.
pub fn uri_for(module: &Path, pin_file: &Path, token: &str, object: Option<&str>) -> String {
    let mut u = format!("pkcs11:token={token}");
    if let Some(o) = object {
        u.push_str(&format!(";object={o};type=secret-key"));
    }
    u.push_str(&format!(
        "?module-path={}&pin-source=file:{}",
        module.display(),
        pin_file.display()
    ));
    u
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes a file readable by its owner only.
pub fn write_secret(path: &Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Runs the test body in a child process whose `SOFTHSM2_CONF` points at a
/// fresh installation (the library reads it once, at `C_Initialize`, and a
/// test cannot change its own environment without `unsafe`). In the parent
/// this sets up the tokens, re-runs this one test as the child, asserts it
/// passed and returns `None`; in the child it returns the installation.
pub fn in_child(test: &str, labels: &[&str]) -> Option<ChildEnv> {
    if std::env::var("KEYWARD_SOFTHSM_CHILD").as_deref() == Ok(test) {
        let var = |k: &str| PathBuf::from(std::env::var_os(k).unwrap());
        return Some(ChildEnv {
            module: var("KEYWARD_SOFTHSM_MODULE"),
            pin_file: var("KEYWARD_SOFTHSM_PIN_FILE"),
            dir: var("KEYWARD_SOFTHSM_DIR"),
            conf: var("SOFTHSM2_CONF"),
        });
    }
    let hsm = SoftHsm::new(test, labels)?;
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &hsm.conf)
        .env("KEYWARD_SOFTHSM_CHILD", test)
        .env("KEYWARD_SOFTHSM_MODULE", &hsm.module)
        .env("KEYWARD_SOFTHSM_PIN_FILE", &hsm.pin_file)
        .env("KEYWARD_SOFTHSM_DIR", &hsm.dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in its SoftHSM2 child:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    None
}

/// What the child sees of its installation.
#[derive(Debug)]
pub struct ChildEnv {
    /// The module.
    pub module: PathBuf,
    /// The user PIN file.
    pub pin_file: PathBuf,
    /// The installation's directory.
    pub dir: PathBuf,
    /// `SOFTHSM2_CONF`.
    pub conf: PathBuf,
}

impl ChildEnv {
    /// A `pkcs11:` URI for `token` (and `object`) with module-path and pin-source.
    pub fn uri(&self, token: &str, object: Option<&str>) -> String {
        uri_for(&self.module, &self.pin_file, token, object)
    }

    /// `pkcs11-tool` in the child's installation (see [`pkcs11_tool`]).
    pub fn pkcs11_tool(&self, args: &[&str]) -> Option<std::process::Output> {
        pkcs11_tool(&self.module, &self.conf, args)
    }
}

/// Writes bytes to a file readable by its owner only.
pub fn write_secret_bytes(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}
