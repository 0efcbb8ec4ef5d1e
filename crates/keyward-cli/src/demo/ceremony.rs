//! The backup-key ceremony on PIN-protected card files: read-back, recovery,
//! the same card twice, a foreign card, wrong PINs and blocking, PIN change
//! and copy.

use std::path::{Path, PathBuf};

use keyward::backup::{self, BackupOptions, CardRecovery, CardStore, FileCard};

use super::{Demo, say};
use crate::io::{CmdResult, Failure};

/// The backup-key ceremony on card files in a fresh private temporary
/// directory (random name, mode 0700, removed afterwards). Uses
/// `BackupOptions::weak_argon2_for_tests` (64 KiB, t = 1; cards marked as test cards) so the demo stays fast: demo only,
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
    let pin = Some(backup::DEFAULT_PIN);
    let mut rng = keyward_core::os_rng();
    let mut opts = BackupOptions::new(2, 3)?;
    opts = opts.weak_argon2_for_tests();
    let paths: Vec<PathBuf> = (1..=3)
        .map(|i| dir.join(format!("card-{i}.kwcard")))
        .collect();
    let mut cards: Vec<FileCard> = paths.iter().map(FileCard::new).collect();
    let made = backup::create_on(&opts, &mut cards, &mut rng)?;
    say!(d, "  new AES-256 backup key, KCV {}", made.kcv);
    for card in &mut cards {
        let h = card.read_header()?;
        say!(
            d,
            "  wrote {}: {}, set {:04X}, KCV {}",
            card.path()
                .file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
            h.label,
            h.set_id,
            h.kcv
        );
    }
    d.check(
        &format!(
            "read-back from the files: all {} pairs rebuild the key (KCV matches)",
            made.subsets
        ),
        made.subsets == 3,
    );
    let [c1, c2, c3] = &mut cards[..] else {
        return Err(Failure::Input("expected three cards".into()));
    };

    // Recovery in another order: card 3, then card 1.
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    let p = rec.add(c3, pin)?;
    say!(d, "  read card 3: {p}");
    let p = rec.add(c1, pin)?;
    say!(d, "  read card 1: {p}");
    let back = rec.finish()?;
    say!(d, "  rebuilt key, KCV {}", back.kcv());
    d.check("cards 3 then 1 rebuild the key", back == made.key);

    // The same card twice.
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(c2, pin)?;
    let e = rec.add(c2, pin);
    print_err(d, &e);
    d.check(
        "card 2 read twice is named as the same card",
        matches!(e, Err(backup::Error::SameCard { card, first }) if card.get() == 2 && first.get() == 1),
    );

    // A card from another set (another appliance).
    let mut other = backup::create(&opts, &mut rng)?;
    let e = match other.cards.first_mut() {
        Some(foreign) => rec.add(foreign, pin),
        None => return Err(Failure::Input("no card".into())),
    };
    print_err(d, &e);
    d.check(
        "a card of another set is refused as foreign",
        matches!(e, Err(backup::Error::ForeignCard { .. })),
    );

    // Wrong PINs: counted in the card file before the PIN is checked.
    let e = c1.unlock(Some(b"000000"));
    if let Err(e) = &e {
        say!(d, "  operator sees: {e}");
    }
    let left = FileCard::new(c1.path()).read_header()?.tries_left;
    d.check(
        "a wrong PIN says 2 tries left and the counter is saved in the card file",
        matches!(
            e,
            Err(backup::StoreError::WrongPin {
                tries_left: backup::TriesLeft::Count(2)
            })
        ) && left == backup::TriesLeft::Count(2),
    );
    let _ = c1.unlock(Some(b"000001"));
    let e = c1.unlock(Some(b"000002"));
    if let Err(e) = &e {
        say!(d, "  operator sees: {e}");
    }
    let e = c1.unlock(pin);
    if let Err(e) = &e {
        say!(d, "  operator sees: {e}");
    }
    d.check(
        "after three wrong PINs the card is blocked, even for the right PIN",
        matches!(e, Err(backup::StoreError::Blocked { .. })),
    );

    // Change the PIN of card 2, copy card 3, recover from the two.
    c2.change_pin(pin, Some(b"802514"), &mut rng)?;
    say!(d, "  card 2: PIN changed");
    let copy_path = dir.join("card-3-copy.kwcard");
    crate::cmd_card::copy_card(c3.path(), &copy_path)?;
    say!(d, "  card 3 copied one-to-one to card-3-copy.kwcard");
    let mut copy = FileCard::new(&copy_path);
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    say!(
        d,
        "  recovery: card 2 with the old PIN, again with the new one, then the copy of card 3"
    );
    let old_pin = rec.add(c2, pin);
    print_err(d, &old_pin);
    rec.add(c2, Some(b"802514"))?;
    rec.add(&mut copy, pin)?;
    let back = rec.finish()?;
    d.check(
        "the old PIN no longer opens card 2; its new PIN and the copy of card 3 rebuild the key",
        matches!(
            old_pin,
            Err(backup::Error::Card {
                error: backup::StoreError::WrongPin { .. },
                ..
            })
        ) && back == made.key,
    );
    Ok(())
}

fn print_err<T>(d: &mut Demo, r: &Result<T, backup::Error>) {
    if let Err(e) = r {
        say!(d, "  operator sees: {e}");
    }
}
