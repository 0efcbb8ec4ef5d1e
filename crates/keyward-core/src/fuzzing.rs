//! Entry points shared by the cargo-fuzz targets and `cargo test` corpus
//! replay. Not part of the stable API.

/// Feeds `data` to every parser of this crate; must never panic.
pub fn parse_all(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = crate::AesKey::from_hex(text) {
        let _ = key.kcv();
        let _ = key.kcv_with(crate::KcvMethod::Ecb);
    }
    let _ = crate::Aes256Key::from_hex(text);
    let _ = crate::SecretBytes::<5>::from_hex(text);
    if let Ok(kcv) = crate::ExpectedKcv::parse(text) {
        let _ =
            crate::Kcv::of_key_bytes(&[0u8; 16], crate::KcvMethod::Cmac).map(|k| k.matches(&kcv));
    }
    if let Ok(h) = crate::HashKey::new(text) {
        let _ = h.key_id();
    }
    let _ = text.parse::<crate::KcvMethod>();
}
