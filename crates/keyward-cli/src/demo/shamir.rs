//! SLIP-0039 shares of a backup key, 2 of 3, as on smart cards: recovery in
//! another order, the same card twice, one card only, a foreign card, a
//! damaged card.

use keyward_core::KeyLength;
use keyward_core::zeroize::Zeroizing;
use keyward_shamir::slip39::{self, Params, Recovery, Share};
use keyward_shamir::{Error, Field};

use super::{Demo, say};
use crate::io::CmdResult;

/// `keyward demo`: the 2-of-3 backup key on smart cards.
pub(super) fn run(d: &mut Demo) -> CmdResult {
    let mut rng = keyward_core::os_rng();
    let key = keyward_core::AesKey::generate(KeyLength::Aes256, &mut rng);
    say!(d, "  new AES-256 backup key, KCV {}", key.kcv());
    let mut params = Params::single(2, 3)?;
    params.iteration_exponent = 0;
    let groups = slip39::split(key.expose_secret(), b"", &params, &mut rng)?;
    let cards: Vec<Zeroizing<Vec<u8>>> = groups.iter().flatten().map(Share::to_bytes).collect();
    for (n, card) in (1usize..).zip(&cards) {
        say!(d, "  card {n}: {} bytes", card.len());
    }
    d.check(
        "each card holds 42 bytes",
        cards.iter().all(|c| c.len() == 42),
    );
    let card = |i: usize| cards.get(i).map_or(&[][..], |c| c.as_slice());

    // Cards 3 and 1, in that order.
    let mut r = Recovery::new();
    r.add_bytes(card(2))?;
    let progress = r.add_bytes(card(0))?;
    say!(d, "  read card 3 then card 1: {progress}");
    let back = r.finish(b"")?;
    let same = keyward_core::AesKey::from_slice(back.expose_secret()).is_ok_and(|k| k == key);
    d.check("cards 3 and 1 rebuild the key (same KCV)", same);

    // The same card read twice.
    let mut r = Recovery::new();
    r.add_bytes(card(1))?;
    let twice = r.add_bytes(card(1));
    if let Err(e) = &twice {
        say!(d, "  card 2 read twice: {e}");
    }
    d.check(
        "the same card twice is named",
        matches!(twice, Err(Error::DuplicateShare { share: 2, first: 1 })),
    );
    let one = r.finish(b"");
    if let Err(e) = &one {
        say!(d, "  one card only: {e}");
    }
    d.check(
        "one card is not enough",
        matches!(one, Err(Error::InsufficientMembers { .. })),
    );

    // A card from another appliance.
    let mut other_params = params.clone();
    other_params.identifier = Some(
        groups
            .first()
            .and_then(|g| g.first())
            .map_or(0, |s| s.identifier() ^ 1),
    );
    let other = slip39::split(key.expose_secret(), b"", &other_params, &mut rng)?;
    let foreign = other
        .first()
        .and_then(|g| g.get(1))
        .map(Share::to_bytes)
        .unwrap_or_default();
    let mut r = Recovery::new();
    r.add_bytes(card(0))?;
    let err = r.add_bytes(&foreign);
    if let Err(e) = &err {
        say!(d, "  card from another set: {e}");
    }
    d.check(
        "a card of another share set is named (identifier differs)",
        matches!(
            err,
            Err(Error::ForeignShare {
                share: 2,
                field: Field::Identifier
            })
        ),
    );

    // A damaged card: one bit flipped in the middle.
    let mut damaged = Zeroizing::new(card(1).to_vec());
    if let Some(b) = damaged.get_mut(20) {
        *b ^= 0x04;
    }
    let mut r = Recovery::new();
    r.add_bytes(card(0))?;
    let err = r.add_bytes(&damaged);
    if let Err(e) = &err {
        say!(d, "  damaged card: {e}");
    }
    d.check(
        "a damaged card is named with the word to check",
        matches!(
            err,
            Err(Error::Checksum {
                share: 2,
                word: Some(_)
            })
        ),
    );
    Ok(())
}
