//! What the fuzz targets (fuzz/, scripts/fuzz.sh) found, kept as plain
//! tests so that `cargo test` guards it without nightly.

use m2m_auth::{parse_token_response, ResponseRules};
use serde_json::{Map, Value};

/// Found by `shared_value_json`: a token's `extra` goes into the shared
/// cache as JSON text (`serde_json::to_vec`) and comes back parsed
/// (`serde_json::from_slice`). A number had to come back the same `f64`,
/// which takes serde_json's correctly rounded parsing (`float_roundtrip`):
/// without it, `5.352188982317884e243` read back one unit in the last place
/// off, so another process served a token whose `extra` differed from the
/// server's answer.
#[test]
fn a_number_in_extra_survives_the_shared_cache_round_trip() {
    let mut off = Vec::new();
    for n in [
        "53521889823178854175.492177990400923260993244e224",
        "5.352188982317884e+243",
        "2.2250738585072011e-308",
        "0.30000000000000004441",
        "123456789012345678901234567890.123456789e-10",
    ] {
        let body = format!(r#"{{"access_token":"a","token_type":"Bearer","x":{n}}}"#);
        let token = parse_token_response(200, body.as_bytes(), true, &ResponseRules::default())
            .expect("a token response");
        let stored = serde_json::to_vec(&token.extra).unwrap();
        let read: Map<String, Value> = serde_json::from_slice(&stored).unwrap();
        if read != token.extra {
            off.push(format!("{n} comes back as {}", read["x"]));
        }
        // And the first reading is the number the server wrote, as every
        // other language's JSON parser reads it.
        let exact: f64 = n.parse().unwrap();
        if token.extra["x"].as_f64() != Some(exact) {
            off.push(format!("{n} is read as {}", token.extra["x"]));
        }
    }
    assert!(off.is_empty(), "{off:#?}");
}
