//! Switching from the built-in default HashKey to a site HashKey: refused
//! while PIN hashes exist, then accepted; templates re-sealed.

use keyward::hashkey_ceremony::{self, AcceptReenrolment, Error, SiteHashKey, TemplateId};
use keyward_core::HashKey;
use keyward_pinhash::PinPolicy;

use super::{Demo, say};
use crate::io::{CmdResult, Failure};

fn failure(e: impl core::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// Built-in default HashKey → a demo site HashKey: refused while PIN hashes
/// exist under the default, then accepted; templates re-sealed.
pub(super) fn run(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    let default = SiteHashKey::builtin_default();
    // OWASP parameters (the default): three PINs take well under a second.
    let hasher = default.pin_hasher();
    let mut hashes = Vec::new();
    let mut templates = Vec::new();
    for (user, pin) in [("alice", "483920"), ("bob", "918273")] {
        let phc = hasher
            .hash_pin(&PinPolicy::DEFAULT, user.as_bytes(), pin, &mut rng)
            .map_err(failure)?;
        hashes.push((user, phc.as_str().to_string()));
        let id = TemplateId::new(user.as_bytes(), b"finger-1");
        let blob = default.seal_template(&id, format!("{user}'s template").as_bytes())?;
        templates.push((id, blob));
    }
    let id = TemplateId::new(b"carol", b"face");
    templates.push((id.clone(), default.seal_template(&id, b"carol's template")?));
    say!(
        d,
        "  on the default HashKey {}: {} PIN hashes, {} templates (template key {})",
        default.key_id(),
        hashes.len(),
        templates.len(),
        default.template_key_id()
    );

    let site = SiteHashKey::enable(&HashKey::new("Site-HashKey/for:demo#2026-11-22")?);
    say!(
        d,
        "  site HashKey enabled: key id {}, template key {}",
        site.key_id(),
        site.template_key_id()
    );

    let refused = hashkey_ceremony::migrate(
        &default,
        &site,
        templates.clone(),
        hashes.clone(),
        AcceptReenrolment::No,
        |_| {},
    );
    if let Err(e) = &refused {
        say!(d, "  without accepting re-enrolment: {e}");
    }
    d.check(
        "the switch is refused while 2 PIN hashes exist under the old HashKey",
        matches!(
            refused,
            Err(Error::ReenrolmentNotAccepted { hashes: 2, .. })
        ),
    );

    let total = templates.len();
    let m = hashkey_ceremony::migrate(
        &default,
        &site,
        templates,
        hashes,
        AcceptReenrolment::UsersMustReenrol,
        |p| {
            say!(
                d,
                "  template {} of {total}: {} re-sealed",
                p.done,
                p.resealed
            )
        },
    )?;
    say!(d, "  {m}");
    say!(
        d,
        "  must re-enrol: {}",
        m.hashes
            .reenrol
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    d.check(
        "accepted: the re-enrol list is exactly alice and bob",
        m.hashes.reenrol == ["alice", "bob"],
    );
    d.check(
        "all 3 templates re-sealed; they open under the site HashKey, not the default",
        m.templates.resealed.len() == 3
            && m.templates.failed.is_empty()
            && m.templates.resealed.iter().all(|r| {
                site.open_template(&r.id, &r.blob).is_ok()
                    && matches!(
                        default.open_template(&r.id, &r.blob),
                        Err(Error::OtherHashKey { .. })
                    )
            }),
    );
    Ok(())
}
