//! The backup-key ceremony on PIN-protected card files: read-back, recovery,
//! the same card twice, a foreign card, wrong PINs and blocking, PIN change
//! and copy.

use std::path::{Path, PathBuf};

use keyward::backup::{self, BackupOptions, Card, CardRecovery};

use super::{Demo, say};
use crate::cmd_ceremony::{copy_card, create_new, read_card, save_card};
use crate::io::{CmdResult, Failure};

/// The backup-key ceremony on card files in a fresh private temporary
/// directory (random name, mode 0700, removed afterwards). Uses
/// `backup::TEST_ARGON2` (64 KiB, t = 1) so the demo stays fast: demo only,
/// real cards use OWASP's parameters.
pub(super) fn run(d: &mut Demo) -> CmdResult {
    say!(
        d,
        "  (demo Argon2id parameters 64 KiB, t = 1; real cards use OWASP's)"
    );
    let dir = tempfile::Builder::new()
        .prefix("keyward-demo-cards-")
        .tempdir()
        .map_err(|e| {
            Failure::Input(format!(
                "creating a temporary directory for the demo cards: {e}"
            ))
        })?;
    let r = run_in(d, dir.path());
    dir.close()
        .map_err(|e| Failure::Input(format!("removing the demo cards' directory: {e}")))?;
    r
}

fn run_in(d: &mut Demo, dir: &Path) -> CmdResult {
    let pin = backup::DEFAULT_PIN;
    let mut rng = keyward_core::os_rng();
    let mut opts = BackupOptions::new(2, 3)?;
    opts.argon2 = backup::TEST_ARGON2;
    let made = backup::create(&opts, &mut rng)?;
    say!(d, "  new AES-256 backup key, KCV {}", made.kcv);
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| dir.join(format!("card-{i}.kwcard")))
        .collect();
    for (path, card) in paths.iter().zip(&made.cards) {
        create_new(path, &card.to_bytes())?;
        say!(
            d,
            "  wrote {}: {}, set {:04X}, KCV {}",
            path.file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
            card.label(),
            card.set_id(),
            card.kcv_hex()
        );
    }
    let load = |i: usize| -> Result<Card, Failure> {
        read_card(
            paths
                .get(i)
                .ok_or_else(|| Failure::Input("no such card".into()))?,
            i + 1,
        )
    };
    let all = [load(0)?, load(1)?, load(2)?];
    let subsets = backup::verify_read_back(&all, pin)?;
    d.check(
        &format!("read-back from the files: all {subsets} pairs rebuild the key (KCV matches)"),
        subsets == 3,
    );

    // Recovery in another order: card 3, then card 1.
    let [mut c1, mut c2, mut c3] = all;
    let mut rec = CardRecovery::new();
    let p = rec.add(&mut c3, pin)?;
    say!(d, "  read card 3: {p}");
    let p = rec.add(&mut c1, pin)?;
    say!(d, "  read card 1: {p}");
    let back = rec.finish()?;
    say!(d, "  rebuilt key, KCV {}", back.kcv());
    d.check("cards 3 then 1 rebuild the key", back == made.key);

    // The same card twice.
    let mut rec = CardRecovery::new();
    rec.add(&mut c2, pin)?;
    let mut again = c2.duplicate();
    let e = rec.add(&mut again, pin);
    print_err(d, &e);
    d.check(
        "card 2 read twice is named as the same card",
        matches!(e, Err(backup::Error::SameCard { card: 2, first: 1 })),
    );

    // A card from another set (another appliance).
    let other = backup::create(&opts, &mut rng)?;
    let mut foreign = other
        .cards
        .into_iter()
        .next()
        .ok_or_else(|| Failure::Input("no card".into()))?;
    let e = rec.add(&mut foreign, pin);
    print_err(d, &e);
    d.check(
        "a card of another set is refused as foreign",
        matches!(e, Err(backup::Error::ForeignCard { .. })),
    );

    // Wrong PINs: counted in the card file, blocked at three.
    let mut card = load(0)?;
    let e = card.open(b"000000");
    save_card(
        paths
            .first()
            .ok_or_else(|| Failure::Input("no card".into()))?,
        &card,
    )?;
    print_err(d, &e);
    let reloaded = load(0)?;
    d.check(
        "a wrong PIN says 2 tries left and the counter is saved in the card file",
        matches!(e, Err(backup::Error::WrongPin { tries_left: 2, .. }))
            && reloaded.tries_left() == 2,
    );
    let _ = card.open(b"000001");
    let e = card.open(b"000002");
    print_err(d, &e);
    let e = card.open(pin);
    print_err(d, &e);
    d.check(
        "after three wrong PINs the card is blocked, even for the right PIN",
        matches!(e, Err(backup::Error::Blocked { .. })),
    );

    // Change the PIN of card 2, copy card 3, recover from the two.
    let mut c2 = load(1)?;
    c2.change_pin(pin, b"802514", &mut rng)?;
    let p2 = paths
        .get(1)
        .ok_or_else(|| Failure::Input("no card".into()))?;
    save_card(p2, &c2)?;
    say!(d, "  card 2: PIN changed");
    let copy_path = dir.join("card-3-copy.kwcard");
    copy_card(
        paths
            .get(2)
            .ok_or_else(|| Failure::Input("no card".into()))?,
        &copy_path,
    )?;
    say!(d, "  card 3 copied one-to-one to card-3-copy.kwcard");
    let mut c2 = load(1)?;
    let mut copy = read_card(&copy_path, 2)?;
    let mut rec = CardRecovery::new();
    say!(
        d,
        "  recovery: card 2 with the old PIN, again with the new one, then the copy of card 3"
    );
    let old_pin = rec.add(&mut c2, pin);
    print_err(d, &old_pin);
    rec.add(&mut c2, b"802514")?;
    rec.add(&mut copy, pin)?;
    let back = rec.finish()?;
    d.check(
        "the old PIN no longer opens card 2; its new PIN and the copy of card 3 rebuild the key",
        matches!(old_pin, Err(backup::Error::WrongPin { .. })) && back == made.key,
    );
    Ok(())
}

fn print_err<T>(d: &mut Demo, r: &Result<T, backup::Error>) {
    if let Err(e) = r {
        say!(d, "  operator sees: {e}");
    }
}
