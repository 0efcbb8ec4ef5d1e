#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Key import by components, checked by KCV
//! (`docs/design.md#key-import-by-components`).
//!
//! A wrapping key is generated, split into three components for three
//! custodians (each printed with its KCV, as key-management utilities print
//! them), entered back, checked component by component and as a whole. Then a
//! custodian mistypes one digit and the ceremony names the component.
//!
//! Run: `cargo run --example component_import`

use keyward::key::components::{self, ComponentInput};
use keyward::key::{AesKey, Error, ExpectedKcv, KcvMethod, KeyLength};

fn main() -> Result<(), Error> {
    let mut rng = keyward::key::os_rng();
    let key = AesKey::generate(KeyLength::Aes256, &mut rng);
    println!(
        "wrapping key generated: {}, KCV {}",
        key.length(),
        key.kcv()
    );

    let parts = components::split(&key, 3, &mut rng)?;
    println!("\ncomponents to hand out (one custodian each):");
    for (n, part) in (1..).zip(parts.iter()) {
        // A real ceremony prints each component on its own sealed slip; the
        // example prints only the KCV so its output contains no key material.
        println!("  custodian {n}: component KCV {}", part.kcv());
    }
    println!("  combined key KCV {}", key.kcv());

    // Each custodian types their component and the KCV printed with it.
    let entered: Vec<ComponentInput> = parts
        .iter()
        .map(|c| ComponentInput {
            expected_kcv: ExpectedKcv::parse(&c.kcv().to_string()).ok(),
            key: c,
        })
        .collect();
    let expected_combined = ExpectedKcv::parse(&key.kcv().to_string())?;
    let imported = components::combine(&entered, KcvMethod::Cmac, Some(&expected_combined))?;
    println!(
        "\nimport: every component KCV matched; combined KCV {} matches",
        imported.kcv()
    );
    assert_eq!(imported, key);

    // Custodian 3 mistypes one hex digit.
    let mut typo = entered.clone();
    if let Some(third) = typo.get_mut(2) {
        let mut bytes = third.key.expose_secret().to_vec();
        bytes[0] ^= 0x10;
        third.key = AesKey::from_slice(&bytes)?;
    }
    match components::combine(&typo, KcvMethod::Cmac, Some(&expected_combined)) {
        Err(e @ Error::ComponentKcv { component: 3, .. }) => {
            println!("import with a typo refused: {e}")
        }
        other => panic!("expected component 3 to be named, got {other:?}"),
    }

    // Replicated HSMs compare the combined KCV, by either method.
    println!(
        "\nreplica check: CMAC KCV {} / legacy ECB KCV {}",
        imported.kcv_with(KcvMethod::Cmac),
        imported.kcv_with(KcvMethod::Ecb)
    );
    Ok(())
}
