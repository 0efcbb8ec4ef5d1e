//! Replays the fuzz corpora through the functions the cargo-fuzz targets
//! call (fuzz/fuzz_targets/pinhash_*.rs), and pins what the seeds mean.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use keyward_pinhash::fuzzing::{fuzz_hasher, parse_phc, verify_arbitrary};
use keyward_pinhash::{Block, Error, PhcPart, RehashReason};

/// The user every hash of this file is bound to.
const USER: &[u8] = b"fuzz-user";

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{target}: corpus missing");
    files
}

#[test]
fn replay_pinhash_phc() {
    for (_, data) in corpus("pinhash_phc") {
        parse_phc(&data);
    }
}

#[test]
fn replay_pinhash_verify() {
    for (_, data) in corpus("pinhash_verify") {
        verify_arbitrary(&data);
    }
}

/// The seeds are what their names say (computed with libargon2, see
/// tests/data/gen_vectors.py), so the fuzzer starts from the success paths too.
#[test]
fn verify_seeds_mean_what_they_say() {
    let h = fuzz_hasher();
    let mut memory = [Block::new(); 64];
    for (name, data) in corpus("pinhash_verify") {
        let text = String::from_utf8(data).unwrap();
        let Some((pin, phc)) = text.split_once('\n') else {
            continue;
        };
        let r = h.verify_with_memory(USER, pin.as_bytes(), phc, &mut memory);
        match name.as_str() {
            // Made before hashes were bound to their user: verifies, once.
            "match_current" => {
                assert_eq!(r.map(|v| v.reason), Ok(Some(RehashReason::NotBoundToUser)))
            }
            // Bound to "fuzz-user" (libargon2, X = SHA-256 of the user id).
            "match_bound" => {
                assert_eq!(r.map(|v| v.needs_rehash), Ok(false));
                assert_eq!(
                    h.verify_with_memory(b"someone-else", pin.as_bytes(), phc, &mut memory),
                    Err(Error::Mismatch)
                );
            }
            "match_retired" => {
                assert_eq!(r.map(|v| v.reason), Ok(Some(RehashReason::RetiredPepper)))
            }
            "mismatch" => assert_eq!(r, Err(Error::Mismatch)),
            "unknown_pepper" => assert!(matches!(r, Err(Error::UnknownPepper { .. }))),
            "over_limit" => assert!(matches!(r, Err(Error::CostOverBudget { .. }))),
            "garbage" => assert!(matches!(
                r,
                Err(Error::Malformed {
                    part: PhcPart::Algorithm,
                    ..
                })
            )),
            other => panic!("unexpected seed {other}"),
        }
    }
}

proptest::proptest! {
    /// Arbitrary strings never panic the parser, and whatever parses is
    /// canonical (re-encodes to itself).
    #[test]
    fn parser_never_panics(s in "\\PC{0,200}") {
        parse_phc(s.as_bytes());
        verify_arbitrary(s.as_bytes());
    }
}
