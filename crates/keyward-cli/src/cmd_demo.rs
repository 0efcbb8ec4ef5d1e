//! `keyward demo`: every ceremony that exists, on built-in defaults.
//!
//! Each step prints what an operator would see and checks its result; the
//! demo ends with one summary line and fails (exit 1) if any check fails.

use keyward_core::components::{self, ComponentInput};
use keyward_core::{AesKey, Error, ExpectedKcv, HashKey, KcvMethod, KeyLength};

use crate::io::{CmdResult, Failure};

pub(crate) struct Demo {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
}

impl Demo {
    pub(crate) fn check(&mut self, what: &str, ok: bool) {
        if ok {
            self.passed += 1;
            println!("  ok    {what}");
        } else {
            self.failed += 1;
            println!("  FAIL  {what}");
        }
    }
}

// ---- keyward-core ----

/// The RFC 4493 example keys, whose KCVs DESIGN.md lists.
const AES128_RFC4493: &str = "2b7e1516 28aed2a6 abf71588 09cf4f3c";
const AES256_RFC4493: &str =
    "603deb10 15ca71be 2b73aef0 857d7781 1f352c07 3b6108d7 2d9810a3 0914dff4";

pub fn run() -> CmdResult {
    let mut d = Demo {
        passed: 0,
        failed: 0,
    };
    let mut rng = keyward_core::os_rng();

    println!("== Key check values (RFC 4493 keys) ==");
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

    println!("== Key component ceremony (3 custodians) ==");
    let key = AesKey::generate(KeyLength::Aes256, &mut rng);
    println!("  new AES-256 key, KCV {}", key.kcv());
    let parts = components::split(&key, 3, &mut rng)?;
    let mut entered: Vec<ComponentInput> = Vec::new();
    for (n, part) in (1usize..).zip(parts.iter()) {
        println!("  custodian {n}: component KCV {}", part.kcv());
        entered.push(ComponentInput {
            expected_kcv: Some(ExpectedKcv::parse(&part.kcv().to_string())?),
            key: part,
        });
    }
    let want = ExpectedKcv::parse(&key.kcv().to_string())?;
    let combined = components::combine(&entered, KcvMethod::Cmac, Some(&want));
    d.check(
        "components combine to the key, combined KCV matches",
        combined.as_ref().is_ok_and(|k| *k == key),
    );
    // Custodian 2 mistypes one digit of their component.
    let mut typo = entered.clone();
    if let Some(second) = typo.get_mut(1) {
        let mut bytes = second.key.expose_secret().to_vec();
        if let Some(b) = bytes.get_mut(5) {
            *b ^= 0x01;
        }
        second.key = AesKey::from_slice(&bytes)?;
        keyward_core::zeroize::Zeroize::zeroize(&mut bytes);
    }
    let err = components::combine(&typo, KcvMethod::Cmac, Some(&want));
    if let Err(e) = &err {
        println!("  mistyped component rejected: {e}");
    }
    d.check(
        "a mistyped component is named (component 2)",
        matches!(err, Err(Error::ComponentKcv { component: 2, .. })),
    );

    println!("== Site HashKey ==");
    let default = HashKey::builtin_default();
    println!("  built-in default HashKey, key id {}", default.key_id());
    let short = HashKey::new("0123456789abcdef0123456789abcde");
    if let Err(e) = &short {
        println!("  31-character HashKey rejected: {e}");
    }
    d.check(
        "a 31-character HashKey is refused (31 of 32)",
        matches!(short, Err(Error::HashKeyLength { found: 31 })),
    );
    let site = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    println!("  site HashKey accepted, key id {}", site.key_id());
    d.check(
        "site and default HashKeys have different key ids",
        site.key_id() != default.key_id(),
    );

    crate::cmd_shamir::demo(&mut d)?;
    crate::cmd_ceremony::demo(&mut d)?;
    crate::cmd_blob::demo(&mut d)?;
    crate::cmd_superpin::demo(&mut d)?;
    crate::cmd_pinhash::demo(&mut d)?;
    crate::cmd_hashkey_ceremony::demo(&mut d)?;

    println!();
    println!("demo: {} checks passed, {} failed", d.passed, d.failed);
    if d.failed == 0 {
        Ok(())
    } else {
        Err(Failure(format!("demo: {} checks failed", d.failed)))
    }
}
