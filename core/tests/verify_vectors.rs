//! The cross-language verifier vectors (tests/verify/vectors.json, format in
//! tests/verify/FORMAT.md), run against the Rust verifier: every case, with a
//! static `jwks` option. Python, Node and C run the same file.

use std::time::{Duration, SystemTime};

use m2m_auth::{Claims, OptionValue, Verifier, VerifierBuilder};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/verify/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json")).expect("JSON")
}

/// The verifier a case describes, or the error building it gave.
fn build(case: &Value, jwks: &Value) -> m2m_auth::Result<Verifier> {
    let mut b = VerifierBuilder::default();
    for (name, v) in case["options"].as_object().expect("options") {
        let value = match v {
            Value::String(s) => OptionValue::Text(s.clone()),
            Value::Bool(f) => OptionValue::Flag(*f),
            Value::Array(a) => OptionValue::List(
                a.iter()
                    .map(|x| x.as_str().expect("list of text").to_string())
                    .collect(),
            ),
            Value::Number(n) if name == "leeway" => {
                OptionValue::Duration(Duration::from_secs_f64(n.as_f64().unwrap()))
            }
            Value::Number(n) => OptionValue::Count(n.as_u64().expect("a count")),
            other => panic!("option {name}: unexpected {other}"),
        };
        b.set(name, value)?;
    }
    b.set("jwks", OptionValue::Text(jwks.to_string()))?;
    b.build()
}

fn epoch_secs(t: SystemTime) -> Value {
    Value::from(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs())
}

/// The claims as the vectors spell them.
fn claims_json(c: &Claims) -> Value {
    serde_json::json!({
        "issuer": c.issuer(),
        "subject": c.subject(),
        "audience": c.audience(),
        "client_id": c.client_id(),
        "scopes": c.scopes(),
        "expires_at": epoch_secs(c.expires_at()),
        "issued_at": c.issued_at().map(epoch_secs),
        "not_before": c.not_before().map(epoch_secs),
        "jwt_id": c.jwt_id(),
    })
}

/// What a case gave, spelled like its `expect`.
async fn outcome(case: &Value, jwks: &Value) -> Value {
    let verifier = match build(case, jwks) {
        Ok(v) => v,
        Err(e) => return serde_json::json!({"ok": false, "code": e.kind().code()}),
    };
    let result = match case.get("request") {
        Some(r) => {
            let scopes: Vec<&str> = r["scopes"]
                .as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap()).collect())
                .unwrap_or_default();
            verifier
                .verify_request(r["authorization"].as_str(), &scopes)
                .await
        }
        None => verifier.verify(case["token"].as_str().unwrap()).await,
    };
    match result {
        Ok(c) => serde_json::json!({"ok": true, "claims": claims_json(&c)}),
        Err(e) => {
            let mut out = serde_json::json!({"ok": false, "code": e.kind().code()});
            for field in ["reason", "required_scope"] {
                if let Some(m2m_auth::FieldValue::Text(v)) = e.field(field) {
                    out[field] = Value::from(v);
                }
            }
            out
        }
    }
}

#[tokio::test]
async fn every_vector_gives_its_expected_outcome() {
    let v = vectors();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let jwks = case.get("jwks").unwrap_or(&v["jwks"]);
        let got = outcome(case, jwks).await;
        let mut want = case["expect"].clone();
        // Only the fields the case names are compared.
        if want["ok"] == Value::Bool(false) {
            let keys: Vec<String> = want.as_object().unwrap().keys().cloned().collect();
            let got_same: serde_json::Map<String, Value> = keys
                .iter()
                .map(|k| (k.clone(), got.get(k).cloned().unwrap_or(Value::Null)))
                .collect();
            if Value::Object(got_same) != want {
                failures.push(format!("{}: want {want}, got {got}", case["name"]));
            }
            continue;
        }
        want = serde_json::json!({"ok": true, "claims": want["claims"]});
        if got != want {
            failures.push(format!("{}: want {want}, got {got}", case["name"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
