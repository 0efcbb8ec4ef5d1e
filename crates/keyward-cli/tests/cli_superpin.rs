//! `keyward superpin …` on freshly generated Super PINs, run as a user would:
//! secrets on stdin. Fixed inputs and their exact answers are snapshot cases,
//! `tests/cmd/superpin-*.toml`.

#![allow(
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    clippy::indexing_slicing
)]

mod common;
use common::{keyward, text};

fn generate() -> String {
    let out = keyward(&["superpin", "generate"], "");
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.ends_with('\n'));
    s.trim_end().to_owned()
}

#[test]
fn generate_then_check_ok() {
    let pin = generate();
    assert_eq!(pin.len(), 62, "{pin}");
    assert_eq!(pin.split('-').count(), 9);
    assert!(pin.split('-').all(|g| g.len() == 6));
    assert_ne!(pin, generate(), "two Super PINs are different");
    for input in [
        format!("{pin}\n"),
        pin.to_lowercase(),
        pin.replace('-', ""),
        format!("\n  {}  \n\n", pin.replace('-', " ")),
    ] {
        let out = keyward(&["superpin", "check"], &input);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{input:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "OK\n");
    }
}

#[test]
fn check_names_every_failing_group() {
    let pin = generate();
    let mut groups: Vec<String> = pin.split('-').map(str::to_owned).collect();
    // Group 2: adjacent transposition (or a substitution if equal); groups 5
    // and 8 exchanged.
    let g: Vec<char> = groups[1].chars().collect();
    groups[1] = if g[0] == g[1] {
        format!("{}{}", if g[0] == 'Z' { 'Y' } else { 'Z' }, &groups[1][1..])
    } else {
        format!("{}{}{}", g[1], g[0], &groups[1][2..])
    };
    groups.swap(4, 7);
    let out = keyward(&["superpin", "check"], &groups.join("-"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "keyward: error: Super PIN check failed in groups 2, 5 and 8 of 9: a character is mistyped there, or the group is in the wrong place\n"
    );
}
