#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// A std binary: `std::` paths are the natural ones here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

// main -> commands (cmd_*.rs, demo/) -> library: no command module imports
// another command's or the demo's items, except the demo, which tells its
// stories with the library and the commands' file helpers.
mod age_delivery;
mod card_location;
mod card_pin;
mod cmd_blob;
mod cmd_card;
mod cmd_ceremony;
mod cmd_components;
mod cmd_db;
mod cmd_hashkey;
mod cmd_kcv;
mod cmd_key;
mod cmd_pinhash;
mod cmd_pkcs11;
mod cmd_reshare;
mod cmd_shamir;
mod cmd_superpin;
mod cmd_superpin_sheet;
mod cmd_superpin_url;
mod demo;
mod hashkey_strength;
mod io;
mod process_hygiene;
mod terminal;
#[cfg(test)]
mod wiped_memory_tests;

/// Unit tests only: inspects blocks as they are freed (wiped_memory_tests.rs).
#[cfg(test)]
#[global_allocator]
static ALLOC: keyward_test_alloc::InspectingAlloc = keyward_test_alloc::InspectingAlloc;
mod private_file;
mod staging;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The contract every subcommand follows, appended to every `--help`.
const CONTRACT: &str = "\
Secrets (keys, PINs, passphrases, shares) are read from stdin or from files, never from
the command line; typed at a terminal, they are read with echo off. Results go to stdout,
messages to stderr.
Exit codes: 0 success; 1 bad input or failed verification (one line `keyward: error: ...`),
or stdout/stderr could not be written; 2 usage error.";

/// Appends the contract to the help of a command and of all its subcommands.
fn with_contract(cmd: clap::Command) -> clap::Command {
    cmd.after_help(CONTRACT).mut_subcommands(with_contract)
}

/// keyward: key custody ceremonies from a terminal.
///
/// Secrets are read from stdin or from files, never from the command line.
/// Results go to stdout, messages to stderr. Exit codes: 0 success, 1 bad
/// input or failed verification, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How the command groups that read HashKey files (`hashkey`, `blob`, `pin`)
/// use them (`docs/design.md#site-hashkey-and-irreversible-pins`); given
/// anywhere after the group's name.
#[derive(Debug, clap::Args)]
struct HashKeyArgs {
    /// HashKey derivation of the keys read from files: 2 (Argon2id, then
    /// HKDF) or 1 (HKDF only: records made before derivation 2).
    #[arg(long, global = true, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=2))]
    hashkey_derivation: u8,
    /// Use a HashKey below the strength floor instead of refusing it (a
    /// warning is printed each time).
    #[arg(long, global = true)]
    accept_weak_hashkey: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// AES keys: generate.
    #[command(subcommand)]
    Key(cmd_key::KeyCommand),
    /// Print the KCV of the AES key read from stdin (hex).
    Kcv(cmd_kcv::KcvArgs),
    /// XOR key components: split a key, combine components.
    #[command(subcommand)]
    Components(cmd_components::ComponentsCommand),
    /// The site HashKey: generate, check, census, migrate.
    Hashkey {
        #[command(subcommand)]
        command: cmd_hashkey::HashkeyCommand,
        #[command(flatten)]
        hashkey: HashKeyArgs,
    },
    /// The Super PIN: generate one, check one for typos.
    #[command(subcommand)]
    Superpin(cmd_superpin::SuperpinCommand),
    /// Per-record BLOBs: seal, open, rekey, key ids, StorageDeriveKey parameters.
    Blob {
        #[command(subcommand)]
        command: Box<cmd_blob::BlobCommand>,
        #[command(flatten)]
        hashkey: HashKeyArgs,
    },
    /// PIN and password hashes peppered by the site HashKey.
    Pin {
        #[command(subcommand)]
        command: cmd_pinhash::PinCommand,
        #[command(flatten)]
        hashkey: HashKeyArgs,
    },
    /// SLIP-0039 shares of a master secret: split, combine.
    #[command(subcommand)]
    Shamir(cmd_shamir::ShamirCommand),
    /// Backup-key ceremony: split a new key onto PIN cards, recover it.
    #[command(subcommand)]
    Ceremony(cmd_ceremony::CeremonyCommand),
    /// Backup-key cards: change the PIN, copy, show (no PIN).
    #[command(subcommand)]
    Card(cmd_card::CardCommand),
    /// Run every ceremony on built-in defaults and report.
    Demo,
    /// AES keys in PKCS#11 tokens and HSMs: list, KCVs, entry from components, wrapped export/import.
    #[command(subcommand)]
    Pkcs11(cmd_pkcs11::Pkcs11Command),
    /// BLOBs in SQLite and PostgreSQL tables: census, encrypt, rekey, verify.
    #[command(subcommand)]
    Db(Box<cmd_db::DbCommand>),
}

impl HashKeyArgs {
    /// Sets the options for every HashKey the command reads.
    fn apply(&self) -> io::CmdResult {
        let derivation = keyward_core::Derivation::from_number(self.hashkey_derivation)
            .map_err(|e| io::Failure::Usage(e.to_string()))?;
        io::set_hash_key_options(io::HashKeyOptions {
            derivation,
            accept_weak: self.accept_weak_hashkey,
        });
        Ok(())
    }
}

fn main() -> ExitCode {
    let matches = with_contract(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Before any command reads a secret (docs/design.md, "Process hygiene").
    if let Err(e) = process_hygiene::harden() {
        let _ = writeln!(std::io::stderr().lock(), "keyward: error: {e}");
        return ExitCode::from(1);
    }
    let result = match cli.command {
        Command::Key(c) => cmd_key::run(c),
        Command::Kcv(a) => cmd_kcv::run(&a),
        Command::Components(c) => cmd_components::run(c),
        Command::Hashkey { command, hashkey } => {
            hashkey.apply().and_then(|()| cmd_hashkey::run(command))
        }
        Command::Superpin(c) => cmd_superpin::run(c),
        Command::Blob { command, hashkey } => {
            hashkey.apply().and_then(|()| cmd_blob::run(*command))
        }
        Command::Pin { command, hashkey } => {
            hashkey.apply().and_then(|()| cmd_pinhash::run(command))
        }
        Command::Shamir(c) => cmd_shamir::run(c),
        Command::Ceremony(c) => cmd_ceremony::run(c),
        Command::Card(c) => cmd_card::run(c),
        Command::Demo => demo::run(),
        Command::Pkcs11(c) => cmd_pkcs11::run(c),
        Command::Db(c) => cmd_db::run(*c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.is_reported() {
                // stderr may be closed too: then the exit code alone reports.
                let _ = writeln!(std::io::stderr().lock(), "keyward: error: {failure}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
