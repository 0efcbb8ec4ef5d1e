//! Entry points shared by the cargo-fuzz targets and `cargo test` corpus
//! replay, behind the non-default `fuzzing` feature. Not part of the stable
//! API.

/// Feeds `data` (as text) to the Super PIN and Recovery Code parsers; a
/// successful parse must display back to a string that parses to the same code.
pub fn parse_codes(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(pin) = crate::SuperPin::parse(text) {
        let ascii = pin.to_ascii();
        let again = core::str::from_utf8(ascii.as_slice())
            .ok()
            .and_then(|s| crate::SuperPin::parse(s).ok());
        assert!(
            again.is_some_and(|p| p == pin),
            "Super PIN display does not parse back"
        );
    }
    if let Ok(code) = crate::RecoveryCode::parse(text) {
        let ascii = code.to_ascii();
        let again = core::str::from_utf8(ascii.as_slice())
            .ok()
            .and_then(|s| crate::RecoveryCode::parse(s).ok());
        assert!(
            again.is_some_and(|c| c == code),
            "Recovery Code display does not parse back"
        );
    }
}

/// Feeds `data` to the `AccountKeys`, `Repository`, `UsedTokens`,
/// `AppPinRecord` and device secret decoders, and (as text) to the Recovery
/// URL and token parsers; a record that decodes must re-encode to the same
/// bytes.
#[cfg(feature = "alloc")]
pub fn decode_records(data: &[u8]) {
    if let Ok(keys) = crate::AccountKeys::from_bytes(data) {
        assert_eq!(
            keys.to_bytes(),
            data,
            "AccountKeys does not re-encode identically"
        );
    }
    if let Ok(repo) = crate::Repository::from_bytes(data) {
        assert_eq!(
            repo.to_bytes(),
            data,
            "Repository does not re-encode identically"
        );
    }
    if let Ok(used) = crate::UsedTokens::from_bytes(data) {
        assert_eq!(
            used.to_bytes(),
            data,
            "UsedTokens does not re-encode identically"
        );
    }
    if let Ok(rec) = crate::AppPinRecord::from_bytes(data) {
        assert_eq!(
            rec.to_bytes().as_slice(),
            data,
            "AppPinRecord does not re-encode identically"
        );
    }
    if let Ok(dev) = crate::DeviceSecret::from_file_bytes(data) {
        assert_eq!(
            dev.to_file_bytes().as_slice(),
            data,
            "DeviceSecret does not re-encode identically"
        );
    }
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(t) = crate::RecoveryUrlToken::parse(text) {
            assert_eq!(
                crate::RecoveryUrlToken::parse(t.encode().as_str()).ok(),
                Some(t),
                "token text does not parse back"
            );
        }
        let _ = crate::parse_recovery_url(text);
    }
}
