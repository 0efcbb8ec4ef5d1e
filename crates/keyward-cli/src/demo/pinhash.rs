//! PIN hashes under the site HashKey: verify, wrong and trivial PINs, a
//! retired and a removed HashKey.

use keyward_core::HashKey;
use keyward_pinhash::{Error, Pepper, PepperSet, PinHasher, PinPolicy, RehashReason};

use super::{Demo, say};
use crate::cmd_pinhash::describe;
use crate::io::{CmdResult, Failure};

fn fail(e: Error) -> Failure {
    Failure::Input(e.to_string())
}

/// `keyward demo`: hash, verify, wrong PIN, trivial PIN, retired and
/// removed HashKey — at the default (OWASP) Argon2 parameters.
pub(super) fn run(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    let old = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    let hasher = PinHasher::from_hash_key(&old);
    let phc = hasher
        .hash_pin(&PinPolicy::DEFAULT, b"alice", "483920", &mut rng)
        .map_err(fail)?;
    say!(d, "  PIN 483920 -> {phc}");
    d.check(
        "the PHC string names the HashKey's key id",
        keyward_pinhash::ParsedHash::parse(phc.as_str()).is_ok_and(|p| p.keyid == old.key_id()),
    );
    let ok = hasher.verify(b"alice", b"483920", phc.as_str());
    d.check(
        "the right PIN verifies (no rehash needed)",
        ok.is_ok_and(|v| !v.needs_rehash),
    );
    let wrong = hasher.verify(b"alice", b"483921", phc.as_str());
    if let Err(e) = &wrong {
        say!(d, "  wrong PIN: {e}");
    }
    d.check(
        "a wrong PIN is a plain mismatch",
        wrong == Err(Error::Mismatch),
    );
    let copied = hasher.verify(b"bob", b"483920", phc.as_str());
    d.check(
        "alice's hash copied into bob's row does not verify",
        copied == Err(Error::Mismatch),
    );
    let trivial = hasher.hash_pin(&PinPolicy::DEFAULT, b"alice", "123456", &mut rng);
    if let Err(e) = &trivial {
        say!(d, "  PIN 123456 refused: {e}");
    }
    d.check("a trivial PIN is refused at enrolment", trivial.is_err());

    // The site moves to a new HashKey and keeps the old one as retired.
    let new = HashKey::new("Next-HashKey/rotated:2027-01-01!")?;
    let set = PepperSet::new(Pepper::from_hash_key(&new))
        .with_retired(Pepper::from_hash_key(&old))
        .map_err(fail)?;
    let rotated = PinHasher::new(set);
    let v = rotated.verify(b"alice", b"483920", phc.as_str());
    if let Ok(v) = &v {
        say!(d, "  after rotation: {}", describe(v));
    }
    d.check(
        "a hash under the retired HashKey verifies and asks for a rehash",
        v.is_ok_and(|v| v.reason == Some(RehashReason::RetiredPepper)),
    );
    let rehashed = rotated
        .hash_pin(&PinPolicy::DEFAULT, b"alice", "483920", &mut rng)
        .map_err(fail)?;
    d.check(
        "the rehashed PIN verifies under the new HashKey",
        PinHasher::from_hash_key(&new)
            .verify(b"alice", b"483920", rehashed.as_str())
            .is_ok_and(|v| !v.needs_rehash),
    );
    // The old HashKey is gone: its hashes cannot be migrated.
    let gone = PinHasher::from_hash_key(&new).verify(b"alice", b"483920", phc.as_str());
    if let Err(e) = &gone {
        say!(d, "  old HashKey removed: {e}");
    }
    d.check(
        "a hash under a removed HashKey says the user must re-enrol",
        gone == Err(Error::UnknownPepper {
            keyid: old.key_id(),
        }),
    );
    Ok(())
}
