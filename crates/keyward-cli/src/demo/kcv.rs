//! Key check values of the RFC 4493 example keys, both methods.

use keyward_core::{AesKey, KcvMethod};

use super::Demo;
use crate::io::CmdResult;

/// The RFC 4493 example keys (section 4), whose KCVs `docs/formats.md` lists.
const AES128_RFC4493: &str = "2b7e1516 28aed2a6 abf71588 09cf4f3c";
const AES256_RFC4493: &str =
    "603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4";

pub(super) fn run(d: &mut Demo) -> CmdResult {
    for (hex, method, want) in [
        (AES128_RFC4493, KcvMethod::Cmac, "7AD386"),
        (AES128_RFC4493, KcvMethod::Ecb, "7DF76B"),
        (AES256_RFC4493, KcvMethod::Cmac, "1A0B2D"),
        (AES256_RFC4493, KcvMethod::Ecb, "E568F6"),
    ] {
        let key = AesKey::from_hex(hex)?;
        let kcv = key.kcv_with(method).to_string();
        d.check(
            &format!("{} KCV ({method}) = {kcv}, expected {want}", key.length()),
            kcv == want,
        );
    }
    Ok(())
}
