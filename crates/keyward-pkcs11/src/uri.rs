//! PKCS#11 URIs (RFC 7512): parsing, percent-decoding and canonical printing.
//!
//! `pkcs11:token=hsm1;object=HSM_KEY_AES_ENCRYPTION_VER_13;type=secret-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`
//!
//! The path (before `?`) names a token and an object with `;`-separated
//! `name=value` attributes; the query (after `?`) says how to reach it with
//! `&`-separated attributes. Values are percent-decoded (RFC 3986 section 2.1).
//!
//! The parser is strict where leniency would select the wrong key:
//! * an unknown attribute is refused (a misspelt `tokn=` would otherwise
//!   match every token); vendor attributes (`x-…`) are refused too, since
//!   keyward gives them no meaning;
//! * a path attribute given twice is refused (RFC 7512 section 2.3), and so is a
//!   repeated `module-path` or `pin-source`;
//! * `pin-value` is refused outright: a PIN on a command line is visible to
//!   every local user through the process list. The refusal never quotes it.
//! * `module-name` is refused: RFC 7512 leaves its lookup to the consumer, and
//!   keyward would rather load a named file than guess a library.

use core::fmt;
use std::path::PathBuf;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The URI scheme, with its colon.
pub const SCHEME: &str = "pkcs11:";

/// Why a PKCS#11 URI was refused. No variant carries a PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    /// The text does not start with `pkcs11:`.
    Scheme,
    /// A `pin-value` attribute: refused because the PIN would be in argv.
    PinValue,
    /// `module-name`: not supported, `module-path` is.
    ModuleName,
    /// An attribute without `=`.
    MissingEquals {
        /// The text of the attribute (its name part).
        attribute: String,
    },
    /// An attribute name RFC 7512 does not define for this component.
    UnknownAttribute {
        /// The name found.
        name: String,
        /// `path` or `query`.
        component: &'static str,
    },
    /// The same attribute twice.
    Duplicate {
        /// The attribute's name.
        name: String,
    },
    /// A character RFC 7512 does not allow unencoded.
    Character {
        /// Byte position in the URI (1-based).
        position: usize,
        /// The character.
        character: char,
    },
    /// A `%` not followed by two hex digits.
    PercentEncoding {
        /// Byte position of the `%` (1-based).
        position: usize,
    },
    /// A text attribute whose decoded bytes are not UTF-8.
    NotUtf8 {
        /// The attribute's name.
        name: String,
    },
    /// A value the attribute cannot take.
    Value {
        /// The attribute's name.
        name: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A value longer than keyward accepts.
    TooLong {
        /// The attribute's name.
        name: String,
        /// Maximum bytes.
        max: usize,
        /// Bytes found.
        found: usize,
    },
    /// A fragment (`#…`), which RFC 7512 does not allow.
    Fragment,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scheme => write!(f, "a PKCS#11 URI starts with `{SCHEME}`"),
            Self::PinValue => f.write_str(
                "the URI has a pin-value attribute: a PIN on the command line is readable by \
                 every local user; use pin-source=file:PATH, --pin-file or the prompt",
            ),
            Self::ModuleName => f.write_str(
                "module-name is not supported: name the PKCS#11 library file with \
                 module-path=…, --pkcs11-module or KEYWARD_PKCS11_MODULE",
            ),
            Self::MissingEquals { attribute } => {
                write!(f, "URI attribute `{attribute}` has no `=value`")
            }
            Self::UnknownAttribute { name, component } => write!(
                f,
                "unknown {component} attribute `{name}` (expected {})",
                if *component == "path" {
                    PATH_ATTRIBUTES.join(", ")
                } else {
                    QUERY_ATTRIBUTES.join(", ")
                }
            ),
            Self::Duplicate { name } => write!(f, "URI attribute `{name}` is given twice"),
            Self::Character {
                position,
                character,
            } => write!(
                f,
                "character {character:?} at position {position} must be percent-encoded in a PKCS#11 URI"
            ),
            Self::PercentEncoding { position } => write!(
                f,
                "`%` at position {position} is not followed by two hex digits"
            ),
            Self::NotUtf8 { name } => {
                write!(f, "URI attribute `{name}` does not decode to UTF-8 text")
            }
            Self::Value { name, expected } => {
                write!(f, "URI attribute `{name}`: expected {expected}")
            }
            Self::TooLong { name, max, found } => write!(
                f,
                "URI attribute `{name}` is {found} bytes long; keyward accepts at most {max}"
            ),
            Self::Fragment => f.write_str("a PKCS#11 URI has no `#fragment`"),
        }
    }
}

impl std::error::Error for UriError {}

/// The path attributes of RFC 7512 section 2.3.
const PATH_ATTRIBUTES: [&str; 13] = [
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "object",
    "type",
    "id",
    "slot-description",
    "slot-manufacturer",
    "slot-id",
];

/// The query attributes keyward reads (RFC 7512 section 2.3).
const QUERY_ATTRIBUTES: [&str; 2] = ["module-path", "pin-source"];

/// The object class named by `type=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    /// `secret-key`
    SecretKey,
    /// `public`
    Public,
    /// `private`
    Private,
    /// `cert`
    Cert,
    /// `data`
    Data,
}

impl ObjectType {
    /// The RFC 7512 spelling.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SecretKey => "secret-key",
            Self::Public => "public",
            Self::Private => "private",
            Self::Cert => "cert",
            Self::Data => "data",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::SecretKey,
            Self::Public,
            Self::Private,
            Self::Cert,
            Self::Data,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
}

/// Where the PIN of a token comes from, as the URI says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSourceAttr {
    /// `pin-source=file:PATH` or `pin-source=PATH` (RFC 7512 section 2.3: a file).
    File(PathBuf),
}

/// A parsed PKCS#11 URI. Text attributes are decoded; `id` is raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token=`: the token label.
    pub token: Option<String>,
    /// `manufacturer=`: the token's manufacturer ID.
    pub manufacturer: Option<String>,
    /// `serial=`: the token's serial number.
    pub serial: Option<String>,
    /// `model=`: the token model.
    pub model: Option<String>,
    /// `library-manufacturer=`: the module's manufacturer ID.
    pub library_manufacturer: Option<String>,
    /// `library-description=`: the module's description.
    pub library_description: Option<String>,
    /// `library-version=`: `MAJOR` or `MAJOR.MINOR`.
    pub library_version: Option<(u8, u8)>,
    /// `object=`: the object label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `type=`: the object class.
    pub object_type: Option<ObjectType>,
    /// `id=`: the object's `CKA_ID`.
    pub id: Option<Vec<u8>>,
    /// `slot-description=`.
    pub slot_description: Option<String>,
    /// `slot-manufacturer=`.
    pub slot_manufacturer: Option<String>,
    /// `slot-id=`: the numeric slot ID.
    pub slot_id: Option<u64>,
    /// `module-path=`: the PKCS#11 library to load.
    pub module_path: Option<PathBuf>,
    /// `pin-source=`: where the user PIN is read from.
    pub pin_source: Option<PinSourceAttr>,
}

/// Characters a path attribute value may hold unencoded (RFC 7512 section 2.3
/// `pk11-pchar`: unreserved, `:[]@!$'()*+,=&`).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:[]@!$'()*+,=&".contains(c)
}

/// Characters a query attribute value may hold unencoded (`pk11-qchar`:
/// unreserved, `:[]@!$'()*+,=/?|;`).
fn is_query_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:[]@!$'()*+,=/?|;".contains(c)
}

/// What percent-encoding leaves alone when printing a path value.
const PATH_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',');

/// What percent-encoding leaves alone when printing a query value.
const QUERY_ENCODE: &AsciiSet = &PATH_ENCODE.remove(b'/').remove(b'|');

/// Checks every character of one component and every `%XX` escape.
fn check_chars(
    text: &str,
    offset: usize,
    allowed: fn(char) -> bool,
    separators: &str,
) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if c == '%' {
            let ok = matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit()
            );
            if !ok {
                return Err(UriError::PercentEncoding {
                    position: offset + i + 1,
                });
            }
        } else if !(allowed(c) || separators.contains(c)) {
            return Err(UriError::Character {
                position: offset + i + 1,
                character: c,
            });
        }
    }
    Ok(())
}

/// Longest decoded value accepted. PKCS#11 fields are shorter (a token label
/// is 32 bytes), but RFC 7512 compares rather than limits: a longer value
/// simply matches nothing. The bound only keeps absurd input out.
const MAX_VALUE: usize = 4096;

fn decode_text(name: &str, raw: &str) -> Result<String, UriError> {
    let max = MAX_VALUE;
    let text = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| UriError::NotUtf8 {
            name: name.to_owned(),
        })?
        .into_owned();
    if text.len() > max {
        return Err(UriError::TooLong {
            name: name.to_owned(),
            max,
            found: text.len(),
        });
    }
    Ok(text)
}

/// Splits `name=value` at the first `=`.
fn name_value(attr: &str) -> Result<(&str, &str), UriError> {
    attr.split_once('=').ok_or_else(|| UriError::MissingEquals {
        attribute: attr.to_owned(),
    })
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UriError> {
    if slot.is_some() {
        return Err(UriError::Duplicate {
            name: name.to_owned(),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn parse_version(s: &str) -> Option<(u8, u8)> {
    let (major, minor) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// `true` when `text` holds a `pin-value` attribute anywhere: checked before
/// anything else so that no later error can quote a character of the PIN.
fn mentions_pin_value(text: &str) -> bool {
    let body = if is_pkcs11_uri(text) {
        text.get(SCHEME.len()..).unwrap_or("")
    } else {
        text
    };
    body.split(['?', ';', '&'])
        .any(|attr| attr.trim_start().starts_with("pin-value"))
}

impl Pkcs11Uri {
    /// Parses a PKCS#11 URI.
    ///
    /// # Errors
    /// A [`UriError`] naming the attribute or position at fault.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        if mentions_pin_value(text) {
            return Err(UriError::PinValue);
        }
        let body = text
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .and_then(|_| text.get(SCHEME.len()..))
            .ok_or(UriError::Scheme)?;
        if body.contains('#') {
            return Err(UriError::Fragment);
        }
        let (path, query) = match body.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (body, None),
        };
        check_chars(path, SCHEME.len(), is_path_char, ";")?;
        if let Some(q) = query {
            check_chars(q, SCHEME.len() + path.len() + 1, is_query_char, "&")?;
        }
        let mut uri = Self::default();
        for attr in path.split(';').filter(|a| !a.is_empty()) {
            uri.path_attribute(attr)?;
        }
        for attr in query.into_iter().flat_map(|q| q.split('&')) {
            if !attr.is_empty() {
                uri.query_attribute(attr)?;
            }
        }
        Ok(uri)
    }

    fn path_attribute(&mut self, attr: &str) -> Result<(), UriError> {
        let (name, raw) = name_value(attr)?;
        match name {
            "token" => set_once(&mut self.token, name, decode_text(name, raw)?),
            "manufacturer" => set_once(&mut self.manufacturer, name, decode_text(name, raw)?),
            "serial" => set_once(&mut self.serial, name, decode_text(name, raw)?),
            "model" => set_once(&mut self.model, name, decode_text(name, raw)?),
            "library-manufacturer" => set_once(
                &mut self.library_manufacturer,
                name,
                decode_text(name, raw)?,
            ),
            "library-description" => {
                set_once(&mut self.library_description, name, decode_text(name, raw)?)
            }
            "library-version" => {
                let v = parse_version(&decode_text(name, raw)?).ok_or_else(|| UriError::Value {
                    name: name.to_owned(),
                    expected: "MAJOR or MAJOR.MINOR (decimal, each at most 255)",
                })?;
                set_once(&mut self.library_version, name, v)
            }
            "object" => set_once(&mut self.object, name, decode_text(name, raw)?),
            "type" => {
                let t =
                    ObjectType::parse(&decode_text(name, raw)?).ok_or_else(|| UriError::Value {
                        name: name.to_owned(),
                        expected: "secret-key, private, public, cert or data",
                    })?;
                set_once(&mut self.object_type, name, t)
            }
            "id" => set_once(&mut self.id, name, percent_decode_str(raw).collect()),
            "slot-description" => {
                set_once(&mut self.slot_description, name, decode_text(name, raw)?)
            }
            "slot-manufacturer" => {
                set_once(&mut self.slot_manufacturer, name, decode_text(name, raw)?)
            }
            "slot-id" => {
                let text = decode_text(name, raw)?;
                let id = text
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| text.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| UriError::Value {
                        name: name.to_owned(),
                        expected: "a decimal slot number",
                    })?;
                set_once(&mut self.slot_id, name, id)
            }
            _ => Err(UriError::UnknownAttribute {
                name: name.to_owned(),
                component: "path",
            }),
        }
    }

    fn query_attribute(&mut self, attr: &str) -> Result<(), UriError> {
        let (name, raw) = name_value(attr)?;
        match name {
            "module-path" => {
                let path = decode_text(name, raw)?;
                if path.is_empty() {
                    return Err(UriError::Value {
                        name: name.to_owned(),
                        expected: "the path of a PKCS#11 library",
                    });
                }
                set_once(&mut self.module_path, name, PathBuf::from(path))
            }
            "pin-source" => {
                let source = decode_text(name, raw)?;
                let file = source.strip_prefix("file:").unwrap_or(&source);
                // `file:///path` (RFC 8089) as well as `file:/path` and `path`.
                let file = file.strip_prefix("//").unwrap_or(file);
                if file.is_empty() || (source.contains(':') && !source.starts_with("file:")) {
                    return Err(UriError::Value {
                        name: name.to_owned(),
                        expected: "file:PATH (a file holding the PIN on its first line)",
                    });
                }
                set_once(
                    &mut self.pin_source,
                    name,
                    PinSourceAttr::File(PathBuf::from(file)),
                )
            }
            "module-name" => Err(UriError::ModuleName),
            _ => Err(UriError::UnknownAttribute {
                name: name.to_owned(),
                component: "query",
            }),
        }
    }

    /// This URI without its query: the token and object it names, as printed
    /// in operator messages.
    pub fn path_only(&self) -> Self {
        Self {
            module_path: None,
            pin_source: None,
            ..self.clone()
        }
    }
}

/// Whether `text` looks like a PKCS#11 URI rather than a file name.
pub fn is_pkcs11_uri(text: &str) -> bool {
    text.get(..SCHEME.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
}

impl fmt::Display for Pkcs11Uri {
    /// The canonical form: attributes in RFC 7512 order, values
    /// percent-encoded; parsing it gives the same URI back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SCHEME)?;
        let mut path: Vec<(&str, String)> = Vec::new();
        let mut text = |name: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                path.push((name, utf8_percent_encode(v, PATH_ENCODE).to_string()));
            }
        };
        text("token", &self.token);
        text("manufacturer", &self.manufacturer);
        text("serial", &self.serial);
        text("model", &self.model);
        text("library-manufacturer", &self.library_manufacturer);
        text("library-description", &self.library_description);
        text("object", &self.object);
        text("slot-description", &self.slot_description);
        text("slot-manufacturer", &self.slot_manufacturer);
        if let Some((major, minor)) = self.library_version {
            path.push(("library-version", format!("{major}.{minor}")));
        }
        if let Some(t) = self.object_type {
            path.push(("type", t.name().to_owned()));
        }
        if let Some(id) = &self.id {
            path.push(("id", id.iter().map(|b| format!("%{b:02X}")).collect()));
        }
        if let Some(slot) = self.slot_id {
            path.push(("slot-id", slot.to_string()));
        }
        for (i, (name, value)) in path.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{name}={value}")?;
        }
        let mut query: Vec<String> = Vec::new();
        if let Some(p) = &self.module_path {
            query.push(format!(
                "module-path={}",
                utf8_percent_encode(&p.to_string_lossy(), QUERY_ENCODE)
            ));
        }
        if let Some(PinSourceAttr::File(p)) = &self.pin_source {
            query.push(format!(
                "pin-source=file:{}",
                utf8_percent_encode(&p.to_string_lossy(), QUERY_ENCODE)
            ));
        }
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

impl core::str::FromStr for Pkcs11Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, UriError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(any::<String>().prop_filter("bounded", |s| s.len() <= 64))
    }

    proptest! {
        /// Any attribute values print percent-encoded and parse back.
        #[test]
        fn canonical_form_round_trips_any_values(
            token in text(), object in text(), serial in text(), model in text(),
            id in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
            slot in proptest::option::of(any::<u64>()),
            version in proptest::option::of(any::<(u8, u8)>()),
            module in proptest::option::of("[ -~]{1,40}"),
            pin in proptest::option::of("[ -~]{1,40}"),
        ) {
            let uri = Pkcs11Uri {
                token, object, serial, model, id, slot_id: slot, library_version: version,
                object_type: Some(ObjectType::SecretKey),
                module_path: module.map(PathBuf::from),
                pin_source: pin
                    .filter(|p| !p.starts_with("//"))
                    .map(|p| PinSourceAttr::File(PathBuf::from(p))),
                ..Pkcs11Uri::default()
            };
            let printed = uri.to_string();
            prop_assert_eq!(Pkcs11Uri::parse(&printed), Ok(uri), "{}", printed);
        }

        /// Arbitrary text never panics, and an accepted URI is canonical-stable.
        #[test]
        fn arbitrary_text(s in "pkcs11:[ -~]{0,80}") {
            if let Ok(uri) = Pkcs11Uri::parse(&s) {
                prop_assert_eq!(Pkcs11Uri::parse(&uri.to_string()), Ok(uri));
            }
        }
    }

    #[test]
    fn the_issue_example_parses() {
        let uri = Pkcs11Uri::parse(
            "pkcs11:token=hsm1;object=HSM_KEY_AES_ENCRYPTION_VER_13;type=secret-key\
             ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin%20file",
        )
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("hsm1"));
        assert_eq!(uri.object.as_deref(), Some("HSM_KEY_AES_ENCRYPTION_VER_13"));
        assert_eq!(uri.object_type, Some(ObjectType::SecretKey));
        assert_eq!(
            uri.module_path,
            Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert_eq!(
            uri.pin_source,
            Some(PinSourceAttr::File(PathBuf::from("/run/pin file")))
        );
    }

    /// The examples of RFC 7512 section 3.
    #[test]
    fn rfc7512_section3_examples() {
        let ok = [
            "pkcs11:",
            "pkcs11:object=my-pubkey;type=public",
            "pkcs11:object=my-key;type=private?pin-source=file:/etc/token",
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin",
            "pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1",
            "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-source=file:/etc/token_pin",
            "pkcs11:slot-description=Sun%20Metaslot",
            "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23",
            "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert",
            "pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert",
            "pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b",
        ];
        for (i, text) in ok.iter().enumerate() {
            let r = Pkcs11Uri::parse(text);
            if i == ok.len() - 1 {
                // Vendor attributes keyward does not know are refused.
                assert!(
                    matches!(r, Err(UriError::UnknownAttribute { .. })),
                    "{text}"
                );
            } else {
                r.unwrap_or_else(|e| panic!("{text}: {e}"));
            }
        }
        let u = Pkcs11Uri::parse(ok[3]).unwrap();
        assert_eq!(u.token.as_deref(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.manufacturer.as_deref(), Some("Snake Oil, Inc."));
        assert_eq!(
            u.id.as_deref(),
            Some(&[0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91][..])
        );
        assert_eq!(u.serial.as_deref(), Some(""));
        assert_eq!(
            Pkcs11Uri::parse(ok[7]).unwrap().library_version,
            Some((1, 23))
        );
        assert_eq!(
            Pkcs11Uri::parse(ok[8]).unwrap().token.as_deref(),
            Some("A name with a substring %;")
        );
        assert_eq!(
            Pkcs11Uri::parse(ok[9]).unwrap().token.as_deref(),
            Some("Name with a small A with acute: \u{e1}")
        );
    }

    #[test]
    fn pin_value_is_refused_without_quoting_it() {
        for text in [
            "pkcs11:token=a?pin-value=123456",
            "pkcs11:token=a?module-path=/x&pin-value=12 34",
            "pkcs11:pin-value=1%2",
        ] {
            let e = Pkcs11Uri::parse(text).unwrap_err();
            assert_eq!(e, UriError::PinValue, "{text}");
            let msg = e.to_string();
            assert!(!msg.contains("123456") && !msg.contains("12 34"), "{msg}");
        }
    }

    #[test]
    fn strictness() {
        let cases: [(&str, UriError); 9] = [
            ("pkcs12:token=a", UriError::Scheme),
            ("token=a", UriError::Scheme),
            (
                "pkcs11:tokn=a",
                UriError::UnknownAttribute {
                    name: "tokn".into(),
                    component: "path",
                },
            ),
            (
                "pkcs11:token=a;token=b",
                UriError::Duplicate {
                    name: "token".into(),
                },
            ),
            (
                "pkcs11:token=a b",
                UriError::Character {
                    position: 15,
                    character: ' ',
                },
            ),
            (
                "pkcs11:token=a%2",
                UriError::PercentEncoding { position: 15 },
            ),
            (
                "pkcs11:token",
                UriError::MissingEquals {
                    attribute: "token".into(),
                },
            ),
            ("pkcs11:token=a#frag", UriError::Fragment),
            ("pkcs11:?module-name=softhsm2", UriError::ModuleName),
        ];
        for (text, want) in cases {
            assert_eq!(Pkcs11Uri::parse(text), Err(want), "{text}");
        }
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:type=secret"),
            Err(UriError::Value { .. })
        ));
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:token=%FF"),
            Err(UriError::NotUtf8 { .. })
        ));
        assert!(matches!(
            Pkcs11Uri::parse(&format!("pkcs11:object={}", "a".repeat(4097))),
            Err(UriError::TooLong {
                max: 4096,
                found: 4097,
                ..
            })
        ));
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:?pin-source=https://example/pin"),
            Err(UriError::Value { .. })
        ));
        assert!(matches!(
            Pkcs11Uri::parse("pkcs11:?pin-source=file:/a&pin-source=file:/b"),
            Err(UriError::Duplicate { .. })
        ));
    }

    #[test]
    fn pin_source_forms() {
        for (text, want) in [
            ("pkcs11:?pin-source=file:/etc/pin", "/etc/pin"),
            ("pkcs11:?pin-source=file:///etc/pin", "/etc/pin"),
            ("pkcs11:?pin-source=/etc/pin", "/etc/pin"),
            ("pkcs11:?pin-source=file:pin.txt", "pin.txt"),
        ] {
            assert_eq!(
                Pkcs11Uri::parse(text).unwrap().pin_source,
                Some(PinSourceAttr::File(PathBuf::from(want))),
                "{text}"
            );
        }
    }

    #[test]
    fn canonical_form_round_trips() {
        let text = "pkcs11:token=The%20Software%20PKCS%2311;object=a%3Bb;type=secret-key;id=%01%FF;slot-id=7?module-path=/usr/lib/x.so&pin-source=file:/tmp/p%26q";
        let u = Pkcs11Uri::parse(text).unwrap();
        assert_eq!(u.to_string(), text);
        assert_eq!(Pkcs11Uri::parse(&u.to_string()).unwrap(), u);
        assert_eq!(
            u.path_only().to_string(),
            "pkcs11:token=The%20Software%20PKCS%2311;object=a%3Bb;type=secret-key;id=%01%FF;slot-id=7"
        );
    }

    #[test]
    fn uri_or_file() {
        assert!(is_pkcs11_uri("pkcs11:token=a"));
        assert!(is_pkcs11_uri("PKCS11:token=a"));
        assert!(!is_pkcs11_uri("card1.kwcard"));
        assert!(!is_pkcs11_uri("pkcs"));
    }
}
