#![no_std]
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

/// Keys, KCVs, XOR components and the site HashKey ([`keyward_core`]).
pub use keyward_core as key;
