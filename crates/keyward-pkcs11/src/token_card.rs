//! [`TokenCard`]: one backup-key share on a PKCS#11 token, through the
//! facade's card-storage trait ([`CardStore`], `docs/design.md#card-storage`).
//!
//! The token's user PIN is the card PIN and the token counts the tries:
//! keyward logs in (`C_Login`, counted by the token) and reports the
//! token's `CKF_USER_PIN_COUNT_LOW` / `CKF_USER_PIN_FINAL_TRY` /
//! `CKF_USER_PIN_LOCKED` flags as [`TriesLeft::Low`] / [`TriesLeft::LastTry`]
//! / [`TriesLeft::Locked`]. The share lives in a private data object, its
//! non-secret header in a public one (`share_record.rs`,
//! `docs/formats.md`, "keyward-pkcs11: a backup-key share on a token").
//!
//! Each operation opens its own session and closes it (logging out), so a
//! PIN is checked by the token every time it is given; a share is never
//! read from a session someone else logged in.

use std::fmt;
use std::time::Duration;

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::types::{AuthPin, RawAuthPin};
use keyward::backup::{
    CardHeader, CardStore, NEW_PIN_POLICY, PinEntry, SHARE_LEN, SealParams, StoreError, TriesLeft,
    WriteMode,
};
use keyward::key::rand_core::CryptoRng;
use keyward_core::{Kcv, KcvMethod};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{self, Error, Tries};
use crate::share_record::{APPLICATION, Kind, ShareRecord};
use crate::token::{Modules, Token};
use crate::uri::{ObjectType, PinSourceAttr, Pkcs11Uri};

/// A backup-key card on a PKCS#11 token. `Debug` never shows the PIN.
///
/// The token's user PIN is the card PIN: [`CardStore::write_share`] logs in
/// with the card's own PIN ([`TokenCard::with_pin`], or the URI's
/// `pin-source`; none on a PIN pad) and ignores the soft-card fields of
/// [`SealParams`] (`pin`, `argon2`, `salt`); a typed-PIN token without its
/// own PIN is refused ([`StoreError::PinEntry`]) before any login.
pub struct TokenCard {
    token: Token,
    pin: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for TokenCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCard")
            .field("token", &self.token.name())
            .field("pin", &self.pin.as_ref().map(|_| "<held>"))
            .finish()
    }
}

/// How long [`TokenCard::open`] waits and how it tells the operator.
pub struct Wait<'a> {
    /// The longest wait for the token to appear (zero: look once).
    pub timeout: Duration,
    /// Time between two looks at the slot list.
    pub poll: Duration,
    /// Called once, with the URI, when the token is not there at the first
    /// look (the caller shows "insert card 2 of 3 ...").
    pub waiting: &'a mut dyn FnMut(&str),
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("timeout", &self.timeout)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

const ACTION_FIND: &str = "finding the share objects";
const ACTION_READ: &str = "reading the share object";
const ACTION_WRITE: &str = "writing the share objects";
const ACTION_DELETE: &str = "deleting the replaced share objects";
const ACTION_LOGIN: &str = "logging in";
const ACTION_SESSION: &str = "opening a session";
const ACTION_PIN: &str = "changing the user PIN";

/// What the token's flags say, as the facade reports tries.
pub const fn tries_left(t: Tries) -> TriesLeft {
    match t {
        Tries::Unknown => TriesLeft::Unknown,
        Tries::Low => TriesLeft::Low,
        Tries::FinalTry => TriesLeft::LastTry,
        Tries::Locked => TriesLeft::Locked,
    }
}

impl TokenCard {
    /// The card on `token`, with no PIN of its own (callers pass PINs to
    /// [`CardStore::unlock`]).
    pub const fn new(token: Token) -> Self {
        Self { token, pin: None }
    }

    /// Gives the card its user PIN (wiped on drop): the ceremony writes and
    /// reads back with it ([`CardStore::own_pin`]).
    #[must_use]
    pub fn with_pin(mut self, pin: Zeroizing<Vec<u8>>) -> Self {
        self.pin = Some(pin);
        self
    }

    /// The card a URI names: waits for the token as `wait` says, and takes
    /// the URI's `pin-source=file:` first line as the card's own PIN. A card
    /// URI names a token only: `object=`, `id=` and a `type=` other than
    /// `data` are refused.
    ///
    /// # Errors
    /// [`Error::CardUri`]; those of [`Modules::wait_for_token`]; [`Error::Pin`]
    /// when the pin-source file cannot be read.
    pub fn open(modules: &mut Modules, uri: &Pkcs11Uri, wait: Wait<'_>) -> crate::Result<Self> {
        if uri.object.is_some()
            || uri.id.is_some()
            || uri.object_type.is_some_and(|t| t != ObjectType::Data)
        {
            return Err(Error::CardUri {
                uri: uri.path_only().to_string(),
            });
        }
        let token = modules.wait_for_token(uri, wait.timeout, wait.poll, wait.waiting)?;
        let mut card = Self::new(token);
        if let Some(PinSourceAttr::File(path)) = &uri.pin_source {
            let line = crate::session::first_line(path)?;
            card.pin = Some(Zeroizing::new(line.as_bytes().to_vec()));
        }
        Ok(card)
    }

    /// The token.
    pub const fn token(&self) -> &Token {
        &self.token
    }

    /// What makes two cards the same token: the module file and the
    /// token's serial number.
    pub fn identity(&self) -> String {
        format!(
            "{} serial {}",
            self.token.module().path().display(),
            self.token.info().serial_number().trim_end()
        )
    }

    fn storage(&self, e: Error, action: &'static str) -> StoreError {
        match e {
            Error::TokenGone { what, .. } if what == error::NOT_PRESENT => StoreError::Absent {
                store: self.describe(),
            },
            Error::PinLocked { .. } => StoreError::Blocked { after: None },
            other => StoreError::Storage {
                store: self.describe(),
                action,
                source: Box::new(other),
            },
        }
    }

    fn ck(&self, e: CkError, action: &'static str) -> StoreError {
        self.storage(error::map(e, self.token.name(), action), action)
    }

    fn session(&self, rw: bool) -> Result<Session, StoreError> {
        let ctx = self.token.module().context();
        let s = if rw {
            ctx.open_rw_session(self.token.slot())
        } else {
            ctx.open_ro_session(self.token.slot())
        };
        s.map_err(|e| self.ck(e, ACTION_SESSION))
    }

    fn flags(&self) -> Tries {
        self.token
            .refresh()
            .map_or(Tries::Unknown, |i| Tries::of(&i))
    }

    /// Logs `session` in with `pin` (the token counts the try). A session
    /// already logged in by someone else is logged out first, so the PIN
    /// is always checked.
    fn login(&self, session: &Session, pin: Option<&[u8]>) -> Result<(), StoreError> {
        let info = self
            .token
            .refresh()
            .map_err(|e| self.storage(e, ACTION_LOGIN))?;
        if info.user_pin_locked() {
            return Err(StoreError::Blocked { after: None });
        }
        let pad = info.protected_authentication_path();
        let result = match (pad, pin) {
            (true, None) => {
                self.logout_first(session);
                session.login(UserType::User, None)
            }
            (false, Some(pin)) => {
                self.logout_first(session);
                session.login_with_raw(UserType::User, &RawAuthPin::new(Box::new(pin.to_vec())))
            }
            (true, Some(_)) => {
                return Err(StoreError::PinEntry {
                    expected: PinEntry::PinPad,
                });
            }
            (false, None) => {
                return Err(StoreError::PinEntry {
                    expected: PinEntry::Typed,
                });
            }
        };
        match result {
            Ok(()) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                let tries = self.flags();
                Err(StoreError::WrongPin {
                    tries_left: tries_left(tries),
                })
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(StoreError::Blocked { after: None }),
            Err(e) => Err(self.ck(e, ACTION_LOGIN)),
        }
    }

    fn logout_first(&self, session: &Session) {
        let state = session.get_session_info().map(|i| i.session_state());
        if matches!(state, Ok(SessionState::RoUser | SessionState::RwUser)) {
            let _ = session.logout();
        }
        let _ = self;
    }

    /// The handles of keyward's data objects, private or public ones.
    fn find(&self, session: &Session, private: bool) -> Result<Vec<ObjectHandle>, StoreError> {
        let template = [
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(private),
            Attribute::Application(APPLICATION.as_bytes().to_vec()),
        ];
        session
            .find_objects(&template)
            .map_err(|e| self.ck(e, ACTION_FIND))
    }

    fn value(&self, session: &Session, h: ObjectHandle) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let attrs = session
            .get_attributes(h, &[AttributeType::Value])
            .map_err(|e| self.ck(e, ACTION_READ))?;
        for a in attrs {
            if let Attribute::Value(v) = a {
                return Ok(Zeroizing::new(v));
            }
        }
        Err(self.storage(
            Error::ShareObjects {
                token: self.token.name().to_owned(),
                detail: "a keyward data object has no CKA_VALUE".into(),
            },
            ACTION_READ,
        ))
    }

    /// The one record of `kind` (public header or private share).
    fn one(&self, session: &Session, kind: Kind) -> Result<ShareRecord, StoreError> {
        let handles = self.find(session, kind == Kind::Share)?;
        match handles.as_slice() {
            [] => Err(StoreError::Empty {
                store: self.describe(),
            }),
            [h] => ShareRecord::from_bytes(&self.value(session, *h)?, kind),
            many => {
                let mut sets = Vec::new();
                for h in many {
                    if let Ok(r) = ShareRecord::from_bytes(&self.value(session, *h)?, kind) {
                        sets.push(format!("set {:04X} card {}", r.set_id, r.number));
                    }
                }
                Err(self.storage(
                    Error::ShareObjects {
                        token: self.token.name().to_owned(),
                        detail: format!(
                            "it holds {} keyward {} objects ({}), expected one: a replace was \
                             interrupted; run the backup with --replace again, or delete the \
                             stale objects with pkcs11-tool --delete-object",
                            many.len(),
                            if kind == Kind::Share {
                                "share"
                            } else {
                                "header"
                            },
                            sets.join(", ")
                        ),
                    },
                    ACTION_FIND,
                ))
            }
        }
    }

    fn header_of(&self, r: &ShareRecord) -> Result<CardHeader, StoreError> {
        CardHeader::new(
            r.label.clone(),
            r.set_id,
            (r.threshold, r.shares, r.number),
            Kcv::from_bytes(KcvMethod::Cmac, r.kcv),
            tries_left(self.flags()),
        )
        .map_err(StoreError::Damaged)
    }

    fn create(&self, session: &Session, r: &ShareRecord) -> Result<ObjectHandle, StoreError> {
        let mut template = vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(r.kind() == Kind::Share),
            Attribute::Application(APPLICATION.as_bytes().to_vec()),
            Attribute::Label(r.object_label().into_bytes()),
            Attribute::Value(r.to_bytes()?.to_vec()),
        ];
        let made = session.create_object(&template);
        for a in &mut template {
            if let Attribute::Value(v) = a {
                v.zeroize();
            }
        }
        made.map_err(|e| self.ck(e, ACTION_WRITE))
    }

    fn pin(&self) -> Option<&[u8]> {
        self.pin.as_deref().map(Vec::as_slice)
    }
}

impl CardStore for TokenCard {
    fn describe(&self) -> String {
        self.token.name().to_owned()
    }

    fn pin_entry(&self) -> PinEntry {
        if self.token.info().protected_authentication_path() {
            PinEntry::PinPad
        } else {
            PinEntry::Typed
        }
    }

    fn own_pin(&self) -> Option<&[u8]> {
        self.pin()
    }

    fn read_header(&mut self) -> Result<CardHeader, StoreError> {
        let session = self.session(false)?;
        let r = self.one(&session, Kind::Header)?;
        self.header_of(&r)
    }

    fn unlock(&mut self, pin: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let session = self.session(false)?;
        let header = self.one(&session, Kind::Header)?;
        self.login(&session, pin)?;
        let read = self.one(&session, Kind::Share);
        let _ = session.logout();
        let share = read?;
        if !share.same_card(&header) {
            return Err(self.storage(
                Error::ShareObjects {
                    token: self.token.name().to_owned(),
                    detail: format!(
                        "the public header names set {:04X} card {}, the private share set {:04X} \
                         card {} (edited or assembled from two cards)",
                        header.set_id, header.number, share.set_id, share.number
                    ),
                },
                ACTION_READ,
            ));
        }
        share
            .share
            .ok_or(StoreError::Damaged(keyward::backup::Damage::Share))
    }

    fn write_share(&mut self, new: &SealParams<'_>, mode: WriteMode) -> Result<(), StoreError> {
        let bytes = new.share.to_bytes();
        if bytes.len() != SHARE_LEN {
            return Err(StoreError::Damaged(keyward::backup::Damage::Share));
        }
        let record = ShareRecord {
            label: new.label.to_owned(),
            set_id: new.share.identifier(),
            threshold: new.share.member_threshold(),
            shares: new.shares,
            number: new.share.member_index().saturating_add(1),
            kcv: *new.kcv.bytes(),
            share: Some(Zeroizing::new(bytes.to_vec())),
        };
        let session = self.session(true)?;
        let pin = self.pin.clone();
        let done = self.write_logged_in(&session, pin.as_deref().map(Vec::as_slice), &record, mode);
        let _ = session.logout();
        done
    }

    fn change_pin(
        &mut self,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
        _rng: &mut dyn CryptoRng,
    ) -> Result<(), StoreError> {
        if self.pin_entry() == PinEntry::PinPad {
            return Err(StoreError::Unsupported {
                store: self.describe(),
                operation: "change its PIN through keyward on a PIN-pad reader (use the reader's \
                            or the token vendor's PIN change)",
            });
        }
        let new = new.ok_or(StoreError::PinEntry {
            expected: PinEntry::Typed,
        })?;
        let new_text = std::str::from_utf8(new).map_err(|_| {
            StoreError::NewPin(keyward::pinhash::Error::PinCharacter { position: 1 })
        })?;
        NEW_PIN_POLICY.check(new_text).map_err(StoreError::NewPin)?;
        let old = old.ok_or(StoreError::PinEntry {
            expected: PinEntry::Typed,
        })?;
        let old_text = std::str::from_utf8(old).map_err(|_| StoreError::WrongPin {
            tries_left: TriesLeft::Unknown,
        })?;
        let session = self.session(true)?;
        self.login(&session, Some(old))?;
        let changed = session.set_pin(
            &AuthPin::new(Box::from(old_text)),
            &AuthPin::new(Box::from(new_text)),
        );
        let _ = session.logout();
        match changed {
            Ok(()) => {
                if self.pin.is_some() {
                    self.pin = Some(Zeroizing::new(new.to_vec()));
                }
                Ok(())
            }
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => Err(StoreError::WrongPin {
                tries_left: tries_left(self.flags()),
            }),
            Err(e) => Err(self.ck(e, ACTION_PIN)),
        }
    }
}

impl TokenCard {
    /// Writes the new share and header objects first, then deletes the ones
    /// they replace: a token removed in between keeps the old share, or
    /// both (named as such when read), never neither.
    fn write_logged_in(
        &self,
        session: &Session,
        pin: Option<&[u8]>,
        record: &ShareRecord,
        mode: WriteMode,
    ) -> Result<(), StoreError> {
        self.login(session, pin)?;
        let old_shares = self.find(session, true)?;
        let old_headers = self.find(session, false)?;
        if mode == WriteMode::CreateNew && !(old_shares.is_empty() && old_headers.is_empty()) {
            return Err(StoreError::Exists {
                store: self.describe(),
            });
        }
        let share = self.create(session, record)?;
        if let Err(e) = self.create(session, &record.header()) {
            // Nothing replaced yet: take the new share away again.
            let _ = session.destroy_object(share);
            return Err(e);
        }
        for h in old_headers.into_iter().chain(old_shares) {
            session
                .destroy_object(h)
                .map_err(|e| self.ck(e, ACTION_DELETE))?;
        }
        Ok(())
    }
}
