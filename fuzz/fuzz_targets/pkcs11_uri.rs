#![no_main]
//! PKCS#11 URI parsing (RFC 7512) on arbitrary text: never a panic, and every
//! accepted URI prints in a canonical form that parses back to itself.

use keyward_pkcs11::Pkcs11Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = Pkcs11Uri::parse(text) {
        let canonical = uri.to_string();
        assert_eq!(Pkcs11Uri::parse(&canonical).as_ref(), Ok(&uri), "{canonical}");
    }
});
