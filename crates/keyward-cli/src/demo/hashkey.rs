//! The site HashKey: the built-in default, a refused short key, a site key.

use keyward_core::{Error, HashKey};

use super::{Demo, say};
use crate::io::CmdResult;

pub(super) fn run(d: &mut Demo) -> CmdResult {
    let default = HashKey::builtin_default();
    say!(d, "  built-in default HashKey, key id {}", default.key_id());
    let short = HashKey::new("0123456789abcdef0123456789abcde");
    if let Err(e) = &short {
        say!(d, "  31-character HashKey rejected: {e}");
    }
    d.check(
        "a 31-character HashKey is refused (31 of 32)",
        matches!(short, Err(Error::HashKeyLength { found: 31 })),
    );
    let site = HashKey::new("Site-HashKey/for:demo#2026-11-22")?;
    say!(d, "  site HashKey accepted, key id {}", site.key_id());
    d.check(
        "site and default HashKeys have different key ids",
        site.key_id() != default.key_id(),
    );
    Ok(())
}
