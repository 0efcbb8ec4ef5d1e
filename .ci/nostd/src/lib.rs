//! Links every keyward library crate into a `#![no_std]` staticlib: if any
//! of them pulled in `std` without its `std` feature, this would not build
//! (duplicate `panic_impl` / missing `std` in a no_std link).
#![no_std]
#![forbid(unsafe_code)]

use core::panic::PanicInfo;

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}

/// Uses each crate so that its code is really compiled into the library.
pub fn keyward_nostd_use() -> u8 {
    let key = keyward_core::Aes256Key::from_array(core::hint::black_box([7; 32]));
    let id = keyward::key::HashKey::builtin_default().key_id();
    key.kcv().shown()[0] ^ id.0[0]
}
