#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    missing_docs
)]
//! Site HashKey, irreversible PINs and the HashKey migration
//! (`docs/design.md#site-hashkey-and-irreversible-pins`).
//!
//! An installation starts on the public built-in default HashKey: PINs are
//! hashed and biometric templates sealed under it. The administrator then
//! enables a site HashKey of 32 characters. Switching is refused while PIN
//! hashes exist under the default (hashes are irreversible); told that those
//! users must re-enrol, the migration re-seals every template, lists exactly
//! who must re-enrol, and new PINs are hashed under the site HashKey.
//!
//! Argon2 parameters are small (64 KiB, t = 1) so the example runs fast;
//! production keeps keyward-pinhash's OWASP defaults (m = 19456 KiB, t = 2).
//!
//! Run: `cargo run --example site_hashkey_pins`

use keyward::hashkey_ceremony::{self, AcceptReenrolment, Error, SiteHashKey, TemplateId};
use keyward::key::HashKey;
use keyward::pinhash::{Params, PinPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = keyward::key::os_rng();
    let small = Params::new(64, 1, 1)?; // for speed only, see above

    let default = SiteHashKey::builtin_default();
    println!(
        "installation on the built-in default HashKey, key id {}",
        default.key_id()
    );

    // Enrolment under the default: PIN hashes and sealed templates.
    let hasher = default.pin_hasher().with_params(small);
    let users = ["alice", "bob", "carol"];
    let pins = ["483920", "918273", "564738"];
    let mut hashes: Vec<(String, String)> = Vec::new();
    let mut templates: Vec<(TemplateId, Vec<u8>)> = Vec::new();
    for (user, pin) in users.iter().zip(pins) {
        let phc = hasher.hash_pin(&PinPolicy::DEFAULT, user.as_bytes(), pin, &mut rng)?;
        hashes.push((user.to_string(), phc.as_str().to_string()));
        for finger in ["finger-1", "finger-2"] {
            let id = TemplateId::new(user.as_bytes(), finger.as_bytes());
            let blob =
                default.seal_template(&id, format!("{user}'s {finger} template").as_bytes())?;
            templates.push((id, blob));
        }
    }
    println!(
        "enrolled {} PINs and {} templates",
        hashes.len(),
        templates.len()
    );
    println!("  e.g. {}: {}", hashes[0].0, hashes[0].1);

    // The administrator enables the site HashKey under derivation 2 (Argon2id
    // before HKDF). A real site uses a key from `keyward hashkey generate`;
    // this typed one is below the CLI's strength floor.
    let site = SiteHashKey::enable(&keyward::pinhash::stretch_hash_key(&HashKey::new(
        "Site-HashKey/for:demo#2026-11-22",
    )?)?);
    println!(
        "\nsite HashKey enabled: key id {}, PIN pepper key id {}, template key id {}",
        site.key_id(),
        site.pepper().key_id(),
        site.template_key_id()
    );

    // First attempt: refused, nothing touched.
    let refused = hashkey_ceremony::migrate(
        &default,
        &site,
        templates.clone(),
        hashes.clone(),
        AcceptReenrolment::No,
        |_| {},
    );
    let err = refused.unwrap_err();
    println!("\nmigration without accepting re-enrolment:\n  {err}");
    assert_eq!(
        err,
        Error::ReenrolmentNotAccepted {
            hashes: 3,
            from: default.name(),
            to: site.name()
        }
    );

    // Second attempt: the operator accepts that the users re-enrol.
    println!("\nmigration, accepting that those users must re-enrol:");
    let total = templates.len();
    let m = hashkey_ceremony::migrate(
        &default,
        &site,
        templates,
        hashes,
        AcceptReenrolment::UsersMustReenrol,
        |p| {
            println!(
                "  template {} of {total}: {} re-sealed, {} failed",
                p.done, p.resealed, p.failed
            )
        },
    )?;
    println!("summary: {m}");
    println!("users who must re-enrol their PIN:");
    for user in &m.hashes.reenrol {
        println!("  {user}");
    }
    assert_eq!(m.hashes.reenrol, users);
    assert_eq!(m.templates.resealed.len(), 6);
    assert!(m.templates.failed.is_empty());

    for r in &m.templates.resealed {
        assert_eq!(
            keyward::blob::encryption_version(&r.blob)?,
            site.template_key_id()
        );
        assert!(site.open_template(&r.id, &r.blob).is_ok());
        assert!(default.open_template(&r.id, &r.blob).is_err());
    }
    let r = &m.templates.resealed[0];
    println!(
        "templates re-sealed under template key {}; the default HashKey no longer opens them:\n  {}",
        site.template_key_id(),
        default.open_template(&r.id, &r.blob).unwrap_err()
    );

    // The old PIN hash cannot be verified under the site HashKey.
    let site_hasher = site.pin_hasher().with_params(small);
    let old_hash = hasher.hash_pin(&PinPolicy::DEFAULT, b"alice", "483920", &mut rng)?;
    let e = site_hasher
        .verify(b"alice", b"483920", old_hash.as_str())
        .unwrap_err();
    println!("\nalice logs in with her old hash: {e}");
    assert!(matches!(e, keyward::pinhash::Error::UnknownPepper { .. }));
    // She re-enrols under the site HashKey.
    let new_hash = site_hasher.hash_pin(&PinPolicy::DEFAULT, b"alice", "702915", &mut rng)?;
    assert!(
        !site_hasher
            .verify(b"alice", b"702915", new_hash.as_str())?
            .needs_rehash
    );
    println!("alice re-enrolled: {new_hash}");

    println!(
        "\nOK: refused while 3 old hashes exist, accepted with the re-enrol list, 6 templates re-sealed"
    );
    Ok(())
}
