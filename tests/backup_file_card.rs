//! `FileCard`: the card file counts the try before the PIN is checked, under
//! an exclusive lock, and is always replaced whole.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::path::{Path, PathBuf};

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use keyward::backup::{
    self, BackupOptions, Card, CardRecovery, CardStore, DEFAULT_PIN, Error, FileCard, StoreError,
    TriesLeft, WriteMode,
};

const PIN: Option<&[u8]> = Some(DEFAULT_PIN);

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("keyward-file-card-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cards(dir: &Path, k: u8, n: u8, seed: u8) -> (backup::Written, Vec<FileCard>) {
    let mut o = BackupOptions::new(k, n).unwrap();
    o = o.weak_argon2_for_tests();
    o.iteration_exponent = 0;
    let mut stores: Vec<FileCard> = (1..=n)
        .map(|i| FileCard::new(dir.join(format!("card-{i}.kwcard"))))
        .collect();
    let w = backup::create_on(&o, &mut stores, &mut ChaCha20Rng::from_seed([seed; 32])).unwrap();
    (w, stores)
}

fn on_disk(c: &FileCard) -> Card {
    Card::from_bytes(&std::fs::read(c.path()).unwrap()).unwrap()
}

#[test]
fn a_wrong_pin_is_in_the_file_and_a_right_one_resets_it() {
    let dir = tmp("count");
    let (w, mut c) = cards(&dir, 2, 3, 1);
    assert_eq!(w.subsets, 3);
    assert_eq!(
        on_disk(&c[0]).wrong_pins(),
        0,
        "read-back leaves counters at 0"
    );
    let e = c[0].unlock(Some(b"000000")).unwrap_err();
    assert!(matches!(
        e,
        StoreError::WrongPin {
            tries_left: TriesLeft::Count(2)
        }
    ));
    // Another handle on the same file sees the count.
    assert_eq!(
        FileCard::new(c[0].path()).read_header().unwrap().tries_left,
        TriesLeft::Count(2)
    );
    c[0].unlock(PIN).unwrap();
    assert_eq!(on_disk(&c[0]).wrong_pins(), 0);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[cfg(unix)]
#[test]
fn card_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("mode");
    let (_, mut c) = cards(&dir, 2, 2, 2);
    c[1].unlock(Some(b"000000")).unwrap_err();
    for card in &c {
        let mode = std::fs::metadata(card.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", card.path().display());
    }
}

/// Three processes' worth of wrong PINs at once on one card: every try is
/// counted (the lock serialises the attempts, and an attempt that waited on
/// a replaced file starts again on the new one).
#[test]
fn concurrent_attempts_are_all_counted() {
    let dir = tmp("race");
    let (_, c) = cards(&dir, 2, 2, 3);
    let path = c[0].path().to_owned();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || FileCard::new(p).unlock(Some(b"000000")).unwrap_err())
        })
        .collect();
    let mut left: Vec<TriesLeft> = threads
        .into_iter()
        .map(|t| match t.join().unwrap() {
            StoreError::WrongPin { tries_left } => tries_left,
            other => panic!("{other:?}"),
        })
        .collect();
    left.sort_by_key(|t| match t {
        TriesLeft::Count(n) => *n,
        _ => 99,
    });
    assert_eq!(
        left,
        [
            TriesLeft::Count(0),
            TriesLeft::Count(1),
            TriesLeft::Count(2)
        ]
    );
    assert!(on_disk(&c[0]).is_blocked());
}

#[test]
fn no_overwrite_absent_cards_and_copies() {
    let dir = tmp("copy");
    let (w, mut c) = cards(&dir, 2, 3, 4);
    // A second ceremony onto the same files refuses card 1 and leaves it.
    let before = std::fs::read(c[0].path()).unwrap();
    let mut o = BackupOptions::new(2, 3).unwrap();
    o = o.weak_argon2_for_tests();
    let e = backup::create_on(&o, &mut c, &mut ChaCha20Rng::from_seed([5; 32])).unwrap_err();
    assert!(
        matches!(&e, Error::Card { card: Some(n), error: StoreError::Exists { .. } } if n.get() == 1),
        "{e:?}"
    );
    assert_eq!(std::fs::read(c[0].path()).unwrap(), before);
    // A missing card file is "not there", naming the file.
    let mut gone = FileCard::new(dir.join("card-9.kwcard"));
    let e = gone.read_header().unwrap_err();
    assert!(matches!(e, StoreError::Absent { .. }));
    assert!(e.to_string().contains("card-9.kwcard"), "{e}");
    // A one-to-one copy, byte for byte, that refuses to overwrite.
    let mut copy = FileCard::new(dir.join("copy.kwcard"));
    backup::duplicate(&mut c[1], &mut copy, WriteMode::CreateNew).unwrap();
    assert_eq!(
        std::fs::read(copy.path()).unwrap(),
        std::fs::read(c[1].path()).unwrap()
    );
    assert!(matches!(
        backup::duplicate(&mut c[2], &mut copy, WriteMode::CreateNew).unwrap_err(),
        StoreError::Exists { .. }
    ));
    // Recovery from files: the copy and its original are the same card.
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut copy, PIN).unwrap();
    let e = rec.add(&mut c[1], PIN).unwrap_err();
    assert!(matches!(e, Error::SameCard { .. }));
    rec.add(&mut c[2], PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), w.key);
}

#[test]
fn change_pin_on_a_file() {
    let dir = tmp("pin");
    let (w, mut c) = cards(&dir, 2, 2, 6);
    let mut r = ChaCha20Rng::from_seed([7; 32]);
    assert!(matches!(
        c[0].change_pin(PIN, Some(b"111111"), &mut r).unwrap_err(),
        StoreError::NewPin(_)
    ));
    assert_eq!(
        on_disk(&c[0]).wrong_pins(),
        0,
        "a refused new PIN spends no try"
    );
    c[0].change_pin(PIN, Some(b"802514"), &mut r).unwrap();
    assert!(matches!(
        FileCard::new(c[0].path()).unlock(PIN).unwrap_err(),
        StoreError::WrongPin { .. }
    ));
    let mut rec = CardRecovery::new();
    rec.allow_weak_argon2_for_tests();
    rec.add(&mut c[0], Some(b"802514")).unwrap();
    rec.add(&mut c[1], PIN).unwrap();
    assert_eq!(rec.finish().unwrap(), w.key);
}

/// Two PIN changes at once on one card file, many times: exactly one
/// succeeds and the other is refused (its old PIN no longer opens the card);
/// the winner's PIN opens it. Every rewrite of an attempt is locked before
/// it is renamed into place, so the second attempt cannot run beside the
/// first between two of its rewrites.
#[test]
fn concurrent_pin_changes_one_wins() {
    for round in 0..20u8 {
        let dir = tmp(&format!("chg-race-{round}"));
        let (_, c) = cards(&dir, 2, 2, 20 + round);
        let path = c[0].path().to_owned();
        let threads: Vec<_> = [b"590317", b"604958"]
            .into_iter()
            .enumerate()
            .map(|(i, new)| {
                let p = path.clone();
                std::thread::spawn(move || {
                    let mut r = ChaCha20Rng::from_seed([u8::try_from(i).unwrap(); 32]);
                    FileCard::new(p)
                        .change_pin(PIN, Some(new), &mut r)
                        .map(|()| new)
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let won: Vec<&[u8; 6]> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(StoreError::WrongPin { .. })))
        );
        FileCard::new(&path).unlock(Some(won[0])).unwrap();
    }
}
