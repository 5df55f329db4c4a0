//! Property tests: token-response parsing, `expires_in`, `Retry-After`, quota headers, and
//! the secret canary (no credential spelling survives into a scrubbed error).
//! The generators live here; each file below holds one family of properties.

mod canary;
mod quota;
mod response;
mod retry_after;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Map, Number, Value};

use crate::error::{Error, ErrorDetail, ErrorKind};
use crate::redact::Redactor;
use crate::response::{
    parse_expires_in, parse_retry_after, parse_token_response, parse_token_response_scrubbed,
    ResponseRules,
};
use crate::secret::Secret;

const YEAR: u64 = 365 * 24 * 3600;

fn config(cases: u32) -> ProptestConfig {
    // No regression files: this module must not write into the source tree.
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        4 => prop::sample::select(vec![400u16, 401, 429, 500, 503]),
        2 => any::<u16>(),
    ]
}

fn complete() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.85)
}

fn float_value() -> impl Strategy<Value = Value> {
    any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number))
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        float_value(),
        ".{0,24}".prop_map(Value::String),
        "[0-9]{1,12}".prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn access_token() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => "[A-Za-z0-9._~+/=-]{1,200}".prop_map(Value::String),
        1 => Just(json!("")),
        1 => (32 * 1024 - 2..32 * 1024 + 3usize).prop_map(|n| Value::String("a".repeat(n))),
        1 => ".{1,40}".prop_map(Value::String),
        1 => any_json(),
    ]
}

fn token_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(vec!["Bearer", "bearer", "BEARER", "bEaReR"]).prop_map(|s| json!(s)),
        1 => prop::sample::select(vec!["mac", "", "Bearer ", "DPoP", "Basic"]).prop_map(|s| json!(s)),
        1 => ".{0,12}".prop_map(Value::String),
        1 => scalar(),
    ]
}

fn expires_in() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0..100_000u64).prop_map(|n| json!(n)),
        2 => any::<u64>().prop_map(|n| json!(n)),
        2 => (i64::MIN..0).prop_map(|n| json!(n)),
        2 => float_value(),
        1 => (-1e6..1e6f64).prop_map(|f| json!(f)),
        2 => "[0-9]{1,25}".prop_map(Value::String),
        1 => "[0-9]{0,6}\\.[0-9]{0,6}".prop_map(Value::String),
        1 => "[ \t]{0,2}[0-9.eE+-]{1,8}[ \t]{0,2}".prop_map(Value::String),
        1 => ".{0,12}".prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ]
}

fn text_field() -> impl Strategy<Value = Value> {
    prop_oneof![4 => ".{0,40}".prop_map(Value::String), 1 => scalar()]
}

/// A JSON object with random presence and types of the token/error fields.
fn token_object() -> impl Strategy<Value = Map<String, Value>> {
    let w = 0.8;
    (
        prop::option::weighted(w, access_token()),
        prop::option::weighted(w, token_type()),
        prop::option::weighted(0.7, expires_in()),
        prop::option::weighted(
            0.4,
            prop_oneof![".{0,30}".prop_map(Value::String), scalar()],
        ),
        prop::option::weighted(0.3, text_field()),
        prop::option::weighted(0.3, text_field()),
        prop::option::weighted(0.3, text_field()),
        prop::collection::btree_map("[a-z_]{1,12}", any_json(), 0..4),
    )
        .prop_map(|(at, tt, ei, sc, er, ed, eu, extra)| {
            let mut m: Map<String, Value> = extra.into_iter().collect();
            let fields = [
                ("access_token", at),
                ("token_type", tt),
                ("expires_in", ei),
                ("scope", sc),
                ("error", er),
                ("error_description", ed),
                ("error_uri", eu),
            ];
            for (k, v) in fields {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            }
            m
        })
}

/// Serialized token objects, sometimes damaged.
fn json_body() -> impl Strategy<Value = Vec<u8>> {
    (token_object(), 0..10u8, any::<prop::sample::Index>()).prop_map(|(obj, mode, cut)| {
        let mut bytes = serde_json::to_vec(&Value::Object(obj)).unwrap();
        match mode {
            0 if !bytes.is_empty() => bytes.truncate(cut.index(bytes.len())),
            1 => bytes.extend_from_slice(b" trailing"),
            2 => {
                let mut w = b"  \n".to_vec();
                w.extend_from_slice(&bytes);
                bytes = w;
            }
            _ => {}
        }
        bytes
    })
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..1500),
        2 => ".{0,700}".prop_map(String::into_bytes),
        6 => json_body(),
    ]
}

fn rules() -> impl Strategy<Value = ResponseRules> {
    prop_oneof![
        3 => Just(ResponseRules::default()),
        1 => (0..3 * YEAR, 0..1000u64, 1..64 * 1024usize, 0..1024usize).prop_map(
            |(max, default, tok, exc)| ResponseRules {
                default_expires_in: Duration::from_secs(default),
                max_expires_in: Duration::from_secs(max),
                max_access_token_len: tok,
                error_excerpt_len: exc,
            }
        ),
    ]
}

// ---------------------------------------------------------------------------
// 5. The URL rule's fast path never allows what the full check refuses
// ---------------------------------------------------------------------------

fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https://", "http://", "HTTP://", "ftp://", "http:/", "",
    ]);
    let host = prop::sample::select(vec![
        "127.0.0.1",
        "localhost",
        "[::1]",
        "127.0.0.2",
        "example.com",
        "a@b",
        "",
        "LOCALHOST",
        "127.0.0.1.evil",
        "[::2]",
        "u:p@127.0.0.1",
        "a-.b",
        "-a.b",
        "xn--d.com",
        "a..b",
        "1.2.3",
        "0x7f.1",
    ]);
    let port = prop::sample::select(vec!["", ":8080", ":", ":99999", ":0", ":x", ":123456"]);
    let tail = "[ -~]{0,12}";
    (scheme, host, port, tail).prop_map(|(s, h, p, t)| format!("{s}{h}{p}{t}"))
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn the_url_fast_path_agrees_with_the_full_check(url in url_like()) {
        if crate::config::plainly_allowed(&url) {
            prop_assert!(crate::config::check_url(&url, "URL").is_ok(), "{url}");
        }
    }
}

#[test]
fn the_url_fast_path_takes_the_common_spellings() {
    for url in [
        "https://api.example.com/v1?x=1",
        "http://127.0.0.1:8080/api",
        "http://localhost/api",
        "http://[::1]:3000/",
    ] {
        assert!(crate::config::plainly_allowed(url), "{url}");
    }
    for url in [
        "http://example.com/",
        "https://u@h/",
        "https://h/#f",
        "http://127.0.0.1.evil/",
        "http://127.0.0.1:99999x/",
    ] {
        assert!(!crate::config::plainly_allowed(url), "{url}");
    }
}
