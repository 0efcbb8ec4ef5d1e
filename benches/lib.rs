//! Nothing to link: this package exists for its `[[bench]]` targets (see
//! `Cargo.toml`), which compare keyward with raw primitives and peer crates.
#![no_std]
#![forbid(unsafe_code)]
