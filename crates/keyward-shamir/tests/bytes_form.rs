//! The card bytes form against `tests/data/slip39_bytes_form.json`, computed
//! independently by `tests/data/make_bytes_form.py` from official vector shares.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)] // test code

use keyward_shamir::slip39::Share;

#[test]
fn bytes_form_vectors() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/slip39_bytes_form.json")).unwrap();
    let cases = v.as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        let m = c["mnemonic"].as_str().unwrap();
        let hex = c["bytes_hex"].as_str().unwrap();
        let share = Share::from_mnemonic(m, 1).unwrap();
        let bytes = share.to_bytes();
        let got: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, hex, "{}", c["source"]);
        let back = Share::from_bytes(&bytes, 1).unwrap();
        assert_eq!(back.to_mnemonic().as_str(), m);
        let words = c["words"].as_u64().unwrap() as usize;
        assert_eq!(bytes.len(), (words * 10).div_ceil(8));
    }
}
