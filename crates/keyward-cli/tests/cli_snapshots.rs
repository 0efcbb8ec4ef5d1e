//! The `keyward` CLI contract pinned by snapshot cases: each
//! `tests/cmd/*.toml` gives the arguments and stdin, and the exact stdout,
//! stderr and exit code (0 success, 1 bad input with one `keyward: error:`
//! line, 2 usage error). Regenerate after a deliberate change with
//! `TRYCMD=overwrite cargo test -p keyward-cli --test cli_snapshots` and
//! review the diff.

#[test]
fn cli_contract_snapshots() {
    trycmd::TestCases::new()
        .register_bin(
            "keyward",
            std::path::Path::new(env!("CARGO_BIN_EXE_keyward")),
        )
        .case("tests/cmd/*.toml");
}
