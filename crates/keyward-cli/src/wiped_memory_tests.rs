//! Freed buffers that held secrets are zero (`docs/design.md`, "Process
//! hygiene and terminals"): the global allocator of the unit tests
//! (keyward-test-alloc) inspects every block as it is freed, including the
//! old block of a moving `realloc`.
//!
//! The allocator sees the blocks of every thread, so the checks run in a
//! process of their own: [`freed_secret_buffers_are_wiped`] runs this test
//! binary again with only [`in_a_process_of_its_own`], on one thread.
//! Each check is paired with the pattern it replaces (a growing `String`, a
//! `BufReader`), which must be caught: the inspection can fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, Read};

use keyward_core::zeroize::Zeroizing;
use keyward_test_alloc::{Freed, watch};

use crate::{cmd_components, cmd_kcv::Method, io, terminal};

/// A reader that hands out at most 7 bytes per `read` (as a pipe may), so
/// that readers are made to loop; it allocates nothing.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(7).min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        buf[..n].copy_from_slice(head);
        self.0 = rest;
        Ok(n)
    }
}

/// A secret of `len` non-zero bytes (a digit string, as a PIN or hex key).
fn secret(len: usize) -> Vec<u8> {
    (b'1'..=b'9').cycle().take(len).collect()
}

fn wiped(what: &str, freed: Freed) {
    assert!(
        freed.blocks > 0,
        "{what}: no block freed: the test watched nothing"
    );
    assert_eq!(
        freed.dirty_blocks, 0,
        "{what}: a freed buffer held {} non-zero bytes ({freed:?})",
        freed.dirty_bytes
    );
}

fn caught(what: &str, freed: Freed) {
    assert!(
        freed.dirty_blocks > 0,
        "{what}: the old pattern left no dirty block: the inspection cannot fail ({freed:?})"
    );
}

#[test]
#[ignore = "run alone, in a process of its own, by freed_secret_buffers_are_wiped"]
fn in_a_process_of_its_own() {
    // All of stdin or a secret file: one buffer at the cap, never grown.
    let input = secret(5000);
    wiped(
        "read_capped",
        watch(1, || {
            let got = io::read_capped(&mut Trickle(&input), io::SECRET_TEXT_CAP).unwrap();
            assert_eq!(got.unwrap().as_slice(), input.as_slice());
        }),
    );
    wiped(
        "read_text (UTF-8 in place)",
        watch(1, || {
            let got = io::read_text(&mut Trickle(&input), io::SECRET_TEXT_CAP, "x", "stdin");
            assert_eq!(got.unwrap().len(), input.len());
        }),
    );
    let mut not_utf8 = input.clone();
    not_utf8[4000] = 0xff;
    wiped(
        "read_text refusing non-UTF-8",
        watch(1, || {
            let got = io::read_text(&mut Trickle(&not_utf8), io::SECRET_TEXT_CAP, "x", "stdin");
            // The message is allocated (and freed) outside the watch.
            std::mem::forget(got.unwrap_err());
        }),
    );
    wiped(
        "read_capped refusing too much",
        watch(1, || {
            let got = io::read_capped(&mut Trickle(&input), 4096).unwrap();
            assert_eq!(got.unwrap_err(), 4096);
        }),
    );
    caught(
        "read_to_string into a Zeroizing<String>",
        watch(1, || {
            let mut s = Zeroizing::new(String::new());
            Trickle(&input).read_to_string(&mut s).unwrap();
        }),
    );

    // One PIN line: read byte by byte, nothing after it consumed.
    let lines = b"48291637\n11223344\n";
    wiped(
        "read_line",
        watch(1, || {
            let mut r = Trickle(lines);
            let pin = terminal::read_line(&mut r, io::SECRET_LINE_CAP).unwrap();
            assert_eq!(pin.as_slice(), b"48291637");
            assert_eq!(r.0, b"11223344\n", "the next line is left unread");
        }),
    );
    caught(
        "BufReader::read_line into a Zeroizing<String>",
        watch(1, || {
            let mut r = std::io::BufReader::new(Trickle(lines));
            let mut pin = Zeroizing::new(String::new());
            r.read_line(&mut pin).unwrap();
        }),
    );

    // A components form: one buffer of its final size. KCV strings (6
    // bytes) and their Vec (48 bytes for 2 components) are below the
    // watched size; the form (155 bytes for AES-256) is above it.
    let key = keyward_core::AesKey::from_slice(&[0x5a; 32]).unwrap();
    wiped(
        "components split form",
        watch(64, || {
            let form =
                cmd_components::split_form(&key, 2, Method::Cmac, &mut keyward_core::os_rng())
                    .unwrap();
            assert_eq!(form.lines().count(), 3);
        }),
    );
    caught(
        "a components form grown by push_str",
        watch(64, || {
            let mut form = Zeroizing::new(String::new());
            for _ in 0..3 {
                form.push_str(&keyward_core::hex::to_upper_zeroizing(key.expose_secret()));
                form.push('\n');
            }
        }),
    );
}

/// Runs [`in_a_process_of_its_own`] alone: no other test's blocks are
/// inspected.
#[test]
fn freed_secret_buffers_are_wiped() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "--test-threads=1",
            "wiped_memory_tests::in_a_process_of_its_own",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
