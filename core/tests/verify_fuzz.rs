//! The verifier never panics, whatever it is given (docs/design.md §10):
//! arbitrary text, and tokens whose header and payload are arbitrary JSON.

mod verify_support;

use proptest::prelude::*;
use serde_json::{json, Value};
use verify_support::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(json!("RS256")),
        Just(json!("at+jwt")),
        Just(json!("rsa")),
        Just(json!(ISS)),
        Just(json!(AUD)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("alg".to_string()),
                    Just("typ".to_string()),
                    Just("kid".to_string()),
                    Just("crit".to_string()),
                    Just("exp".to_string()),
                    Just("nbf".to_string()),
                    Just("iat".to_string()),
                    Just("iss".to_string()),
                    Just("aud".to_string()),
                    Just("scope".to_string()),
                    Just("scp".to_string()),
                    "[a-z]{1,4}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}", dots in "[.A-Za-z0-9_=-]{0,80}") {
        let v = verifier();
        for t in [s.as_str(), dots.as_str()] {
            let r = v.verify_now(t).expect("a static JWKS never needs a fetch");
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn arbitrary_headers_and_claims_never_panic(header in json_value(), claims in json_value(), sig in prop::collection::vec(any::<u8>(), 0..80)) {
        let v = verifier();
        let t = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes()),
            b64(&sig)
        );
        let r = v.verify_now(&t).expect("a static JWKS never needs a fetch");
        prop_assert!(r.is_err());
        // Properly signed, arbitrary claims are accepted or refused, never a panic.
        if let Value::Object(_) = claims {
            let _ = v.verify_now(&rs256(&claims));
        }
    }
}
