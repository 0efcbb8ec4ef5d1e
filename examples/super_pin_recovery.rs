#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! The Super PIN and one-time Recovery Codes (`docs/design.md#super-pin`).
//!
//! Alice activates a Super PIN (proving it with her password) and writes it
//! down. Months later she types it back with a typo: the failing group is
//! named. Typed correctly, it unlocks her key repository and lets her set a
//! new password. Her Super PIN recovery data is escrowed in the account's
//! Super PIN Repository under the manager's Master Password (≥ 20
//! characters); when she loses the Super PIN too, the manager opens the
//! repository and issues a one-time Recovery Code, which works once.
//!
//! Argon2 parameters are small (64 KiB, t = 1) so the example runs fast;
//! production uses `Argon2Params::OWASP` (m = 19456 KiB, t = 2, p = 1).
//!
//! Run: `cargo run --example super_pin_recovery`

use keyward::superpin::{
    AccountKeys, Argon2Params, Error, Proof, RecoveryCode, Repository, SuperPin,
};

const MASTER_PASSWORD: &str = "the manager's master password";

fn main() -> Result<(), Error> {
    let mut rng = keyward::key::os_rng();
    // Small parameters, for speed only (see the module comment).
    let params = Argon2Params {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    let (mut alice, master) =
        AccountKeys::create(b"alice@example.com", b"alice's password", params, &mut rng)?;
    println!("account alice@example.com created; master key {master:?}");

    let pin = alice.activate_super_pin(Proof::Password(b"alice's password"), &mut rng)?;
    let written = pin.to_zeroizing_string();
    // An example prints the code because that is what alice sees once.
    println!("Super PIN activated; alice writes down:\n  {}", &*written);
    assert_eq!(written.split('-').count(), 9);

    // The Super PIN Repository escrows her recovery data.
    let mut repo = Repository::create(b"example.com", MASTER_PASSWORD, params, &mut rng)?;
    let short = Repository::create(b"example.com", "only 19 characters!", params, &mut rng);
    println!(
        "a 19-character Master Password: {}",
        short.as_ref().unwrap_err()
    );
    assert!(matches!(
        short,
        Err(Error::MasterPasswordLength { found: 19, min: 20 })
    ));
    repo.open(MASTER_PASSWORD)?.escrow(&alice, &pin)?;
    println!(
        "Super PIN recovery data escrowed ({} account in the repository)",
        repo.len()
    );

    // Months later: typed back in lowercase, group 6 with one character wrong.
    let mut groups: Vec<String> = written
        .to_lowercase()
        .split('-')
        .map(str::to_string)
        .collect();
    let g = &mut groups[5];
    let first = g.chars().next().unwrap();
    let replaced = if first == 'x' { 'y' } else { 'x' };
    g.replace_range(0..1, &replaced.to_string());
    let typed = groups.join(" ");
    let err = SuperPin::parse(&typed).unwrap_err();
    println!("\nalice types her Super PIN with a typo: {err}");
    assert!(
        matches!(&err, Error::Check { groups, .. } if groups.iter().eq([6])),
        "{err:?}"
    );

    // Typed again correctly (lowercase, spaces): unlocks.
    let typed = SuperPin::parse(&written.to_lowercase().replace('-', " "))?;
    assert_eq!(alice.unlock_with_super_pin(&typed)?, master);
    println!("typed correctly: the Super PIN unlocks her key repository");
    alice.change_password(
        Proof::SuperPin(&typed),
        b"alice's new password",
        params,
        &mut rng,
    )?;
    assert_eq!(alice.unlock_with_password(b"alice's new password")?, master);
    println!("password changed with the Super PIN as proof");

    // She loses the Super PIN too; the manager opens the repository.
    let wrong = repo.open("not the master password!!");
    println!(
        "\nmanager mistypes the Master Password: {}",
        wrong.as_ref().map(|_| ()).unwrap_err()
    );
    assert!(wrong.is_err());
    let code = repo
        .open(MASTER_PASSWORD)?
        .issue_recovery_code(&mut alice, &mut rng)?;
    let shown = code.to_zeroizing_string();
    println!("manager issues a one-time Recovery Code: {}", &*shown);
    assert_eq!(alice.recovery_code_count(), 1);

    // The record is stored and reloaded, as a server would.
    let mut alice = AccountKeys::from_bytes(&alice.to_bytes())?;
    let entered = RecoveryCode::parse(&shown)?;
    alice.change_password(
        Proof::RecoveryCode(&entered),
        b"alice's third password",
        params,
        &mut rng,
    )?;
    assert_eq!(
        alice.unlock_with_password(b"alice's third password")?,
        master
    );
    println!("alice resets her password with the Recovery Code");

    let again = alice.unlock_with_recovery_code(&entered);
    println!(
        "the same Recovery Code a second time: {}",
        again.as_ref().unwrap_err()
    );
    assert!(matches!(again, Err(Error::RecoveryCodeUsed)));

    println!(
        "\nOK: typo located, Super PIN unlocks, Recovery Code issued from escrow and used once"
    );
    Ok(())
}
