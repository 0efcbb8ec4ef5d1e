//! Reaching a token: which PKCS#11 library to load, loading it once per
//! process, and finding the one token a URI names.
//!
//! The library comes from the URI's `module-path`, else from the caller's
//! default (`--pkcs11-module`), else from `KEYWARD_PKCS11_MODULE`. Loading a
//! library runs its code in this process: name only libraries you trust.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::{Slot, TokenInfo};

use crate::error::{self, Error, Result};
use crate::uri::Pkcs11Uri;

/// The environment variable naming the default PKCS#11 library.
pub const MODULE_ENV: &str = "KEYWARD_PKCS11_MODULE";

/// A loaded, initialised PKCS#11 library.
#[derive(Debug, Clone)]
pub struct Module {
    path: PathBuf,
    ctx: Pkcs11,
}

impl Module {
    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cryptoki context (for operations this crate does not wrap).
    pub fn context(&self) -> &Pkcs11 {
        &self.ctx
    }

    fn name(&self) -> String {
        format!("PKCS#11 module {}", self.path.display())
    }

    /// Every slot with a token present, initialised or not, in slot order.
    ///
    /// # Errors
    /// [`Error::Token`] when the library fails to list its slots.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(|e| error::map(e, &self.name(), "listing slots"))?;
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            let info = self
                .ctx
                .get_token_info(slot)
                .map_err(|e| error::map(e, &self.name(), "reading token information"))?;
            out.push(Token::new(self.clone(), slot, info));
        }
        Ok(out)
    }

    /// The one initialised token matching the URI's token, slot and library
    /// attributes.
    ///
    /// # Errors
    /// [`Error::TokenNotFound`] (listing the tokens present) or
    /// [`Error::TokenAmbiguous`] (listing the matches).
    pub fn find_token(&self, uri: &Pkcs11Uri) -> Result<Token> {
        let uri_text = uri.path_only().to_string();
        let tokens = self.tokens()?;
        let present = || tokens.iter().map(Token::name).map(str::to_owned).collect();
        if !self.library_matches(uri)? {
            return Err(Error::TokenNotFound {
                uri: uri_text,
                present: present(),
            });
        }
        let mut matches = Vec::new();
        for t in &tokens {
            if t.info.token_initialized()
                && self.slot_matches(uri, t)?
                && token_matches(uri, &t.info)
            {
                matches.push(t.clone());
            }
        }
        match matches.len() {
            1 => matches.pop().ok_or(Error::TokenNotFound {
                uri: uri_text,
                present: Vec::new(),
            }),
            0 => Err(Error::TokenNotFound {
                uri: uri_text,
                present: present(),
            }),
            _ => Err(Error::TokenAmbiguous {
                uri: uri_text,
                matches: matches.iter().map(|t| t.name.clone()).collect(),
            }),
        }
    }

    fn library_matches(&self, uri: &Pkcs11Uri) -> Result<bool> {
        if uri.library_manufacturer.is_none()
            && uri.library_description.is_none()
            && uri.library_version.is_none()
        {
            return Ok(true);
        }
        let info = self
            .ctx
            .get_library_info()
            .map_err(|e| error::map(e, &self.name(), "reading library information"))?;
        let version = info.library_version();
        Ok(eq(&uri.library_manufacturer, info.manufacturer_id())
            && eq(&uri.library_description, info.library_description())
            && uri
                .library_version
                .is_none_or(|v| v == (version.major(), version.minor())))
    }

    fn slot_matches(&self, uri: &Pkcs11Uri, token: &Token) -> Result<bool> {
        if uri.slot_id.is_some_and(|id| id != token.slot.id()) {
            return Ok(false);
        }
        if uri.slot_description.is_none() && uri.slot_manufacturer.is_none() {
            return Ok(true);
        }
        let info = self
            .ctx
            .get_slot_info(token.slot)
            .map_err(|e| error::map(e, &token.name, "reading slot information"))?;
        Ok(
            eq(&uri.slot_description, info.slot_description().trim_end())
                && eq(&uri.slot_manufacturer, info.manufacturer_id().trim_end()),
        )
    }
}

fn eq(want: &Option<String>, found: &str) -> bool {
    want.as_deref().is_none_or(|w| w == found.trim_end())
}

fn token_matches(uri: &Pkcs11Uri, info: &TokenInfo) -> bool {
    eq(&uri.token, info.label())
        && eq(&uri.manufacturer, info.manufacturer_id())
        && eq(&uri.serial, info.serial_number())
        && eq(&uri.model, info.model())
}

/// A token in a slot, as named in every message: `token "LABEL" (serial S)`.
#[derive(Debug, Clone)]
pub struct Token {
    module: Module,
    slot: Slot,
    info: TokenInfo,
    name: String,
}

impl Token {
    fn new(module: Module, slot: Slot, info: TokenInfo) -> Self {
        let name = if info.token_initialized() {
            format!(
                "token \"{}\" (serial {})",
                info.label(),
                info.serial_number().trim_end()
            )
        } else {
            "uninitialised token".to_owned()
        };
        Self {
            module,
            slot,
            info,
            name,
        }
    }

    /// `token "LABEL" (serial S)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The slot.
    pub const fn slot(&self) -> Slot {
        self.slot
    }

    /// The token information read when the token was found.
    pub const fn info(&self) -> &TokenInfo {
        &self.info
    }

    /// The module the token is reached through.
    pub const fn module(&self) -> &Module {
        &self.module
    }

    /// Reads the token information again (for the PIN-tries flags).
    ///
    /// # Errors
    /// The mapped PKCS#11 error.
    pub fn refresh(&self) -> Result<TokenInfo> {
        self.module
            .ctx
            .get_token_info(self.slot)
            .map_err(|e| error::map(e, &self.name, "reading token information"))
    }

    /// Whether two handles name the same token (module file and slot).
    pub fn same_as(&self, other: &Self) -> bool {
        self.slot.id() == other.slot.id() && self.module.path == other.module.path
    }
}

/// The PKCS#11 libraries of one process, each loaded and initialised once.
#[derive(Debug, Default)]
pub struct Modules {
    default_module: Option<PathBuf>,
    loaded: Vec<Module>,
}

impl Modules {
    /// Libraries named by URIs, else `default_module`.
    pub fn new(default_module: Option<PathBuf>) -> Self {
        Self {
            default_module,
            loaded: Vec::new(),
        }
    }

    /// Like [`Modules::new`], falling back to `KEYWARD_PKCS11_MODULE` when
    /// `flag` is `None` (an empty variable counts as unset).
    pub fn from_flag_or_env(flag: Option<PathBuf>) -> Self {
        let env = std::env::var_os(MODULE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::new(flag.or(env))
    }

    /// The library for this URI: its `module-path`, else the default.
    ///
    /// # Errors
    /// [`Error::NoModule`] when neither names one; [`Error::ModuleLoad`]
    /// when it cannot be loaded or initialised.
    pub fn module_for(&mut self, uri: &Pkcs11Uri) -> Result<Module> {
        let path = uri
            .module_path
            .clone()
            .or_else(|| self.default_module.clone())
            .ok_or(Error::NoModule)?;
        self.load(&path)
    }

    /// The default library (for `list` without a URI).
    ///
    /// # Errors
    /// As [`Modules::module_for`].
    pub fn default_module(&mut self) -> Result<Module> {
        let path = self.default_module.clone().ok_or(Error::NoModule)?;
        self.load(&path)
    }

    /// Loads and initialises `path` once; later calls return the same module.
    ///
    /// # Errors
    /// [`Error::ModuleLoad`].
    pub fn load(&mut self, path: &Path) -> Result<Module> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        if let Some(m) = self.loaded.iter().find(|m| m.path == key) {
            return Ok(m.clone());
        }
        if !key.is_file() {
            return Err(Error::ModuleLoad {
                path: path.to_owned(),
                reason: "no such file".into(),
            });
        }
        let ctx = Pkcs11::new(&key).map_err(|e| Error::ModuleLoad {
            path: path.to_owned(),
            reason: error::describe(&e),
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, Function::Initialize)) => {}
            Err(e) => {
                return Err(Error::ModuleLoad {
                    path: path.to_owned(),
                    reason: error::describe(&e),
                });
            }
        }
        let module = Module { path: key, ctx };
        self.loaded.push(module.clone());
        Ok(module)
    }

    /// The token a URI names.
    ///
    /// # Errors
    /// As [`Modules::module_for`] and [`Module::find_token`].
    pub fn find_token(&mut self, uri: &Pkcs11Uri) -> Result<Token> {
        self.module_for(uri)?.find_token(uri)
    }

    /// The token a URI names, waiting up to `timeout` for it to be inserted
    /// (the operator's "insert card 2 of 3"). The slot list is polled every
    /// `poll`; `waiting` is called once, with the URI, when the token is not
    /// there at the first look, so the caller can show a line. A zero
    /// `timeout` looks once (`--no-wait`). Whether a token inserted after
    /// the library was initialised shows up depends on the module: PC/SC
    /// readers through OpenSC report it; SoftHSM2 keeps the token set it
    /// read at `C_Initialize`.
    ///
    /// # Errors
    /// [`Error::TokenNotFound`] after the timeout (listing the tokens
    /// present), and every other error of [`Modules::find_token`] at once.
    pub fn wait_for_token(
        &mut self,
        uri: &Pkcs11Uri,
        timeout: Duration,
        poll: Duration,
        waiting: &mut dyn FnMut(&str),
    ) -> Result<Token> {
        let module = self.module_for(uri)?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match module.find_token(uri) {
                Err(Error::TokenNotFound { uri: text, present }) => {
                    if start.elapsed() >= timeout {
                        return Err(Error::TokenNotFound { uri: text, present });
                    }
                    if !told {
                        waiting(&text);
                        told = true;
                    }
                    std::thread::sleep(poll.min(timeout.saturating_sub(start.elapsed())));
                }
                other => return other,
            }
        }
    }
}
