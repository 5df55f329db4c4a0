//! The cross-language verifier vectors (tests/verify/vectors.json, format in
//! tests/verify/FORMAT.md), run against the Rust verifier: every case, with a
//! static `jwks` option; an `http_requests` case (DPoP) runs its requests in
//! order on one verifier. Python, Node and C run the same file.

use std::time::{Duration, SystemTime};

use m2m_auth::{Claims, HttpRequest, OptionValue, Verifier, VerifierBuilder};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/verify/vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json")).expect("JSON")
}

/// The options the vectors give in seconds.
const DURATIONS: [&str; 2] = ["leeway", "dpop_max_age"];

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
            Value::Number(n) if DURATIONS.contains(&name.as_str()) => {
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

fn scopes(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// What a case gave, spelled like its `expect`.
async fn outcome(case: &Value, jwks: &Value) -> Value {
    let verifier = match build(case, jwks) {
        Ok(v) => v,
        Err(e) => return serde_json::json!({"ok": false, "code": e.kind().code()}),
    };
    let result = match case.get("request") {
        Some(r) => {
            verifier
                .verify_request(r["authorization"].as_str(), &scopes(&r["scopes"]))
                .await
        }
        None => verifier.verify(case["token"].as_str().unwrap()).await,
    };
    spelled(result)
}

/// What each request of an `http_requests` case gave, in order, on one
/// verifier (a replay is refused only by the verifier that saw the proof).
async fn http_outcomes(case: &Value, jwks: &Value) -> Vec<Value> {
    let verifier = build(case, jwks).expect("an http_requests case builds");
    let mut out = Vec::new();
    for step in case["http_requests"].as_array().unwrap() {
        let request = HttpRequest {
            method: step["method"].as_str().unwrap(),
            url: step["url"].as_str().unwrap(),
            authorization: step["authorization"].as_str(),
            dpop: step["dpop"].as_str(),
        };
        let result = verifier
            .verify_http_request(&request, &scopes(&step["scopes"]))
            .await;
        out.push(spelled(result));
    }
    out
}

/// A result spelled like an `expect`.
fn spelled(result: m2m_auth::Result<Claims>) -> Value {
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

/// Whether `got` is `want` (of a failure, only the fields `want` names).
fn same(got: &Value, want: &Value) -> bool {
    if want["ok"] == Value::Bool(false) {
        let got_same: serde_json::Map<String, Value> = want
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (k.clone(), got.get(k).cloned().unwrap_or(Value::Null)))
            .collect();
        return Value::Object(got_same) == *want;
    }
    *got == serde_json::json!({"ok": true, "claims": want["claims"]})
}

#[tokio::test]
async fn every_vector_gives_its_expected_outcome() {
    let v = vectors();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 144, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let jwks = case.get("jwks").unwrap_or(&v["jwks"]);
        if let Some(steps) = case.get("http_requests") {
            let got = http_outcomes(case, jwks).await;
            for (i, (step, got)) in steps.as_array().unwrap().iter().zip(&got).enumerate() {
                let want = &step["expect"];
                if !same(got, want) {
                    failures.push(format!(
                        "{} request {i}: want {want}, got {got}",
                        case["name"]
                    ));
                }
            }
            continue;
        }
        let got = outcome(case, jwks).await;
        let want = &case["expect"];
        if !same(&got, want) {
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
