#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]
//! Known-answer vectors of the facade's template BLOBs, computed independently
//! by `tests/data/gen_hashkey_templates.py` (pyca/cryptography).

use keyward::hashkey_ceremony::{SiteHashKey, TemplateId};
use keyward::key::HashKey;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn template_vectors_match_the_independent_computation() {
    let text = include_str!("data/hashkey_template_vectors.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 3);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let hk = HashKey::new(v["hashkey"].as_str().unwrap()).unwrap();
        let site = SiteHashKey::enable(&hk);
        assert_eq!(site.key_id().to_string(), v["hashkey_key_id"], "{name}");
        assert_eq!(site.pepper().key_id(), site.key_id(), "{name}");
        assert_eq!(
            site.template_key_id().to_string(),
            v["template_key_id"],
            "{name}"
        );
        let id = TemplateId::new(
            &unhex(v["user_hex"].as_str().unwrap()),
            &unhex(v["slot_hex"].as_str().unwrap()),
        );
        let pt = unhex(v["plaintext_hex"].as_str().unwrap());
        let blob = unhex(v["blob_hex"].as_str().unwrap());
        assert_eq!(site.seal_template(&id, &pt).unwrap(), blob, "{name}");
        assert_eq!(
            &site.open_template(&id, &blob).unwrap()[..],
            &pt[..],
            "{name}"
        );
    }
}
