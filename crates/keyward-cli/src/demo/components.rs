//! Three custodians split and combine a key; a mistyped component is named.

use keyward_core::components::{self, ComponentInput};
use keyward_core::{AesKey, Error, ExpectedKcv, KcvMethod, KeyLength};

use super::{Demo, say};
use crate::io::CmdResult;

pub(super) fn run(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    let key = AesKey::generate(KeyLength::Aes256, &mut rng);
    say!(d, "  new AES-256 key, KCV {}", key.kcv());
    let parts = components::split(&key, 3, &mut rng)?;
    let mut entered: Vec<ComponentInput> = Vec::new();
    for (n, part) in (1usize..).zip(parts.iter()) {
        say!(d, "  custodian {n}: component KCV {}", part.kcv());
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
        say!(d, "  mistyped component rejected: {e}");
    }
    d.check(
        "a mistyped component is named (component 2)",
        matches!(err, Err(Error::ComponentKcv { component: 2, .. })),
    );
    Ok(())
}
