//! The Super PIN: activation, a typo located, escrow, unlock, password reset
//! with the Super PIN and with a one-time Recovery Code.

use keyward_superpin::{
    AccountKeys, Argon2Params, Error, Proof, RecoveryCode, Repository, SuperPin,
};

use super::{Demo, say};
use crate::io::CmdResult;

const DEMO_PASSWORD: &[u8] = b"alice's everyday password";
const DEMO_MASTER_PASSWORD: &str = "the manager's master password";

pub(super) fn run(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    let params = Argon2Params::OWASP;
    let (mut alice, master) =
        AccountKeys::create(b"alice@example.com", DEMO_PASSWORD, params, &mut rng)?;
    say!(
        d,
        "  account alice@example.com created, master key {master:?}"
    );
    let pin = alice.activate_super_pin(Proof::Password(DEMO_PASSWORD), &mut rng)?;
    say!(
        d,
        "  Super PIN activated; alice writes down {}",
        &*pin.to_zeroizing_string()
    );
    // Two neighbouring characters of group 4 typed in the wrong order (or,
    // if they are equal, one of them mistyped): always caught, and located.
    let shown = pin.to_zeroizing_string();
    let mut groups: Vec<Vec<u8>> = shown.split('-').map(|g| g.as_bytes().to_vec()).collect();
    if let Some(g) = groups.get_mut(3) {
        if g.get(1) == g.get(2) {
            if let Some(c) = g.get_mut(1) {
                *c = if *c == b'Z' { b'Y' } else { b'Z' };
            }
        } else {
            g.swap(1, 2);
        }
    }
    let typed: Vec<String> = groups
        .iter()
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect();
    let typo = SuperPin::parse(&typed.join("-"));
    if let Err(e) = &typo {
        say!(
            d,
            "  typed back with characters 2 and 3 of group 4 swapped: {e}"
        );
    }
    d.check(
        "a mistyped group is named (group 4)",
        matches!(typo, Err(Error::Check { groups, .. }) if groups.iter().eq([4])),
    );
    let short = SuperPin::parse(&shown[..shown.len() - 1]);
    d.check(
        "a missing character is reported (53 of 54)",
        matches!(short, Err(Error::Length { found: 53, .. })),
    );

    let mut repo = Repository::create(b"example.com", DEMO_MASTER_PASSWORD, params, &mut rng)?;
    let weak = Repository::create(b"example.com", "only 19 characters!", params, &mut rng);
    if let Err(e) = &weak {
        say!(d, "  short Master Password refused: {e}");
    }
    d.check(
        "a 19-character Master Password is refused",
        matches!(
            weak,
            Err(Error::MasterPasswordLength { found: 19, min: 20 })
        ),
    );
    repo.open(DEMO_MASTER_PASSWORD)?.escrow(&alice, &pin)?;
    say!(
        d,
        "  Super PIN recovery data escrowed in the repository ({} account)",
        repo.len()
    );

    say!(d, "  alice forgets her password ...");
    let by_pin = alice.unlock_with_super_pin(&SuperPin::parse(&shown.to_lowercase())?);
    d.check(
        "the Super PIN (typed in lowercase) unlocks the account keys",
        by_pin.as_ref().is_ok_and(|k| *k == master),
    );
    alice.change_password(
        Proof::SuperPin(&pin),
        b"alice's new password",
        params,
        &mut rng,
    )?;
    d.check(
        "password changed with the Super PIN as proof; the new password unlocks",
        alice
            .unlock_with_password(b"alice's new password")
            .is_ok_and(|k| k == master),
    );

    say!(
        d,
        "  ... and later loses the Super PIN too; the manager opens the repository"
    );
    let code = repo
        .open(DEMO_MASTER_PASSWORD)?
        .issue_recovery_code(&mut alice, &mut rng)?;
    say!(
        d,
        "  one-time Recovery Code issued: {}",
        &*code.to_zeroizing_string()
    );
    let stored = alice.to_bytes();
    let mut alice = AccountKeys::from_bytes(&stored)?;
    let typed = RecoveryCode::parse(&code.to_zeroizing_string())?;
    alice.change_password(
        Proof::RecoveryCode(&typed),
        b"alice's third password",
        params,
        &mut rng,
    )?;
    d.check(
        "the Recovery Code resets the password; the new password unlocks",
        alice
            .unlock_with_password(b"alice's third password")
            .is_ok_and(|k| k == master),
    );
    let reuse = alice.unlock_with_recovery_code(&typed);
    if let Err(e) = &reuse {
        say!(d, "  Recovery Code used again: {e}");
    }
    d.check(
        "a reused Recovery Code fails",
        matches!(reuse, Err(Error::RecoveryCodeUsed)),
    );
    Ok(())
}
