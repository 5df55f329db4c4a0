//! Property tests: token-response parsing, `expires_in`, `Retry-After`, and
//! the secret canary (no credential spelling survives into a scrubbed error).

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
// 1. parse_token_response: total, and its outcomes obey the contract
// ---------------------------------------------------------------------------

fn check_outcome(
    status: u16,
    body: &[u8],
    complete: bool,
    rules: &ResponseRules,
) -> Result<(), TestCaseError> {
    match parse_token_response(status, body, complete, rules) {
        Ok(t) => {
            prop_assert!(
                status == 200 && complete,
                "Ok for status {} complete {}",
                status,
                complete
            );
            prop_assert!(!t.access_token.is_empty());
            prop_assert!(t.access_token.len() <= rules.max_access_token_len);
            prop_assert_eq!(t.token_type.as_str(), "Bearer");
            prop_assert!(t.expires_in <= rules.max_expires_in);
            let _ = format!("{t:?}");
        }
        Err(e) => {
            prop_assert!(
                matches!(
                    e.kind(),
                    ErrorKind::OAuth | ErrorKind::Http | ErrorKind::InvalidResponse
                ),
                "unexpected kind {:?}",
                e.kind()
            );
            if let ErrorDetail::Http { body: excerpt, .. } = e.detail() {
                prop_assert!(
                    excerpt.len() <= rules.error_excerpt_len,
                    "http excerpt is {} bytes > {} (body {} bytes)",
                    excerpt.len(),
                    rules.error_excerpt_len,
                    body.len()
                );
            }
            let _ = (format!("{e}"), format!("{e:?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn parse_never_panics_and_obeys_contract(
        status in status(), body in any_body(), complete in complete(), rules in rules(),
    ) {
        check_outcome(status, &body, complete, &rules)?;
    }

    /// Well-formed successes are accepted, with the cap applied.
    #[test]
    fn parse_accepts_valid_responses(
        token in "[A-Za-z0-9._-]{1,300}",
        tt in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
        n in any::<u64>(),
        as_string in any::<bool>(),
        scope in prop::option::of("[a-z:]{1,20}"),
    ) {
        let mut obj = json!({"access_token": token, "token_type": tt});
        obj["expires_in"] = if as_string { json!(n.to_string()) } else { json!(n) };
        if let Some(s) = &scope { obj["scope"] = json!(s); }
        let rules = ResponseRules::default();
        let t = parse_token_response(200, obj.to_string().as_bytes(), true, &rules).unwrap();
        prop_assert_eq!(t.access_token, token);
        prop_assert_eq!(t.token_type, "Bearer");
        prop_assert_eq!(t.expires_in, Duration::from_secs(n.min(YEAR)));
        prop_assert_eq!(t.scope, scope);
        prop_assert!(t.extra.is_empty());
    }
}

// ---------------------------------------------------------------------------
// 2. expires_in
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn expires_in_number_and_numeric_string(n in prop_oneof![any::<u64>(), 0..2 * YEAR]) {
        let rules = ResponseRules::default();
        let want = Duration::from_secs(n.min(YEAR));
        prop_assert_eq!(parse_expires_in(Some(&json!(n)), &rules), Ok(want));
        prop_assert_eq!(parse_expires_in(Some(&json!(n.to_string())), &rules), Ok(want));
    }

    #[test]
    fn expires_in_negative_integer_is_an_error(n in i64::MIN..0) {
        let rules = ResponseRules::default();
        prop_assert!(parse_expires_in(Some(&json!(n)), &rules).is_err());
        prop_assert!(parse_expires_in(Some(&json!(n.to_string())), &rules).is_err());
    }

    /// Any string whose (whitespace-trimmed) text holds a character other
    /// than a digit or a dot is rejected. (The parser trims surrounding
    /// Unicode whitespace on purpose: " 60 " is accepted as 60.)
    #[test]
    fn expires_in_non_numeric_string_is_an_error(
        s in prop_oneof![
            ".{0,16}",
            ("[0-9.]{0,6}", "[^0-9.\\s]", "[0-9.]{0,6}").prop_map(|(a, c, b)| format!("{a}{c}{b}")),
        ],
    ) {
        prop_assume!(s.trim().chars().any(|c| !(c.is_ascii_digit() || c == '.')));
        let rules = ResponseRules::default();
        prop_assert!(parse_expires_in(Some(&Value::String(s)), &rules).is_err());
    }

    #[test]
    fn expires_in_never_panics(v in expires_in(), rules in rules()) {
        if let Ok(d) = parse_expires_in(Some(&v), &rules) {
            prop_assert!(d <= rules.max_expires_in);
        }
    }
}

#[test]
fn expires_in_absent_or_null_is_the_default() {
    let rules = ResponseRules::default();
    assert_eq!(parse_expires_in(None, &rules), Ok(Duration::from_secs(600)));
    assert_eq!(
        parse_expires_in(Some(&Value::Null), &rules),
        Ok(Duration::from_secs(600))
    );
    let body = br#"{"access_token":"t","token_type":"Bearer"}"#;
    assert_eq!(
        parse_token_response(200, body, true, &rules)
            .unwrap()
            .expires_in,
        Duration::from_secs(600)
    );
    let body = br#"{"access_token":"t","token_type":"Bearer","expires_in":null}"#;
    assert_eq!(
        parse_token_response(200, body, true, &rules)
            .unwrap()
            .expires_in,
        Duration::from_secs(600)
    );
}

// ---------------------------------------------------------------------------
// 3. Retry-After
// ---------------------------------------------------------------------------

fn cap() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::from_secs(300)),
        (0..10_000_000u64).prop_map(Duration::from_secs),
        (0..10_000_000u64, 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn retry_after_never_panics(
        s in prop_oneof![
            ".{0,40}",
            "[0-9 ]{0,30}",
            "(Mon|Tue|Sun), [0-9]{1,2} (Jan|Feb|Dec) [0-9]{1,5} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            prop::collection::vec(any::<u8>(), 0..40)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        cap in cap(),
        offset in any::<i32>(),
    ) {
        let now = if offset >= 0 {
            SystemTime::now() + Duration::from_secs(offset as u64)
        } else {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs() as u64)
        };
        if let Some(d) = parse_retry_after(&s, now, cap) {
            prop_assert!(d <= cap);
        }
    }

    #[test]
    fn retry_after_delta_seconds(delta in prop_oneof![any::<u64>(), 0..100_000u64], cap in cap()) {
        let want = Some(Duration::from_secs(delta).min(cap));
        let now = SystemTime::now();
        prop_assert_eq!(parse_retry_after(&delta.to_string(), now, cap), want);
        prop_assert_eq!(parse_retry_after(&format!(" {delta} "), now, cap), want);
    }

    #[test]
    fn retry_after_huge_delta_is_capped(digits in "[1-9][0-9]{20,40}", cap in cap()) {
        prop_assert_eq!(parse_retry_after(&digits, SystemTime::now(), cap), Some(cap));
    }

    #[test]
    fn retry_after_http_date(k in 0..1_000_000u64, cap in cap()) {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now + Duration::from_secs(k));
        let got = parse_retry_after(&date, now, cap);
        prop_assert!(got.is_some(), "{date:?} not parsed");
        let got = got.unwrap();
        let want = Duration::from_secs(k).min(cap);
        prop_assert!(got <= cap);
        let diff = got.abs_diff(want);
        prop_assert!(diff <= Duration::from_secs(2), "{date:?}: got {got:?}, want ~{want:?}");
    }

    #[test]
    fn retry_after_past_date_is_zero(k in 1..1_000_000_000u64, cap in cap()) {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now - Duration::from_secs(k));
        prop_assert_eq!(parse_retry_after(&date, now, cap), Some(Duration::ZERO));
    }
}

// ---------------------------------------------------------------------------
// 4. Canary: no spelling of the secret survives into a scrubbed error
// ---------------------------------------------------------------------------

fn secret_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into()),
        3 => prop::sample::select(vec![
            '+', '/', '=', ':', '%', 'é', ' ', '"', '\\', '&', '?', '#', '*', '-', '_', '.', '~', '@',
        ]),
        2 => prop::char::range(' ', '~'),
        1 => any::<char>().prop_filter("printable", |c| !c.is_control()),
    ]
}

fn secret() -> impl Strategy<Value = String> {
    prop::collection::vec(secret_char(), 4..40).prop_map(|v| v.into_iter().collect())
}

fn client_id() -> impl Strategy<Value = String> {
    prop::collection::vec(secret_char(), 1..24).prop_map(|v| v.into_iter().collect())
}

/// The spellings of a secret that a server could echo back.
fn spellings(client_id: &str, secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let id_form: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id_form}:{form}"));
    let json = serde_json::to_string(secret).unwrap();
    let json = json[1..json.len() - 1].to_string();
    let pct20 = form.replace('+', "%20");
    vec![secret.to_string(), form, json, basic, pct20]
}

/// Random text to surround a spelling (mostly ASCII so that positions vary
/// around the 512-byte excerpt cut).
fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,600}",
        1 => ".{0,300}",
        1 => Just(String::new()),
    ]
}

fn json_text(s: &str) -> String {
    let j = serde_json::to_string(s).unwrap();
    j[1..j.len() - 1].to_string()
}

/// A body embedding spelling `sp` one of several ways.
fn embed(mode: u8, field: u8, sp: &str, pre: &str, post: &str, id: &str) -> Vec<u8> {
    let name = ["error", "error_description", "error_uri"][field as usize % 3];
    match mode % 6 {
        // Random text around the spelling.
        0 => format!("{pre}{sp}{post}").into_bytes(),
        // A JSON error whose field *value* contains the spelling.
        1 => {
            let mut obj = json!({"error": "invalid_client"});
            obj[name] = json!(format!("{pre}{sp}{post}"));
            obj.to_string().into_bytes()
        }
        // The same, spliced into the JSON text verbatim (may be invalid JSON).
        2 => format!(
            r#"{{"error":"invalid_client","{name}":"{}{sp}{}","x":1}}"#,
            json_text(pre),
            json_text(post)
        )
        .into_bytes(),
        // An echoed form body.
        3 => format!("{pre}grant_type=client_credentials&client_id={id}&client_secret={sp}{post}")
            .into_bytes(),
        // An echoed header.
        4 => format!("{pre}Authorization: Basic {sp}\r\n{post}").into_bytes(),
        // A non-OAuth JSON body (no `error` member).
        _ => json!({"message": format!("{pre}{sp}{post}"), "status": 500})
            .to_string()
            .into_bytes(),
    }
}

/// What the client does with a response: the body scrubbed before the
/// excerpt is cut, then every error text scrubbed again (`client.rs`).
fn client_error(status: u16, body: &[u8], complete: bool, id: &str, secret: &str) -> Option<Error> {
    let redactor = Redactor::for_secret(id, &Secret::new(secret));
    let scrub = |t| redactor.scrub_body(t, complete);
    parse_token_response_scrubbed(status, body, complete, &ResponseRules::default(), &scrub)
        .err()
        .map(|e| e.map_text(|t| redactor.scrub(t)))
}

fn leaks(err: &Error, spellings: &[String]) -> Option<String> {
    let display = format!("{err}");
    let debug = format!("{err:?}");
    for sp in spellings {
        if display.contains(sp.as_str()) {
            return Some(format!("Display {display:?} contains {sp:?}"));
        }
        // Debug prints strings escaped: look for the escaped spelling.
        let escaped: String = sp.escape_debug().collect();
        if debug.contains(&escaped) {
            return Some(format!("Debug {debug:?} contains {escaped:?}"));
        }
    }
    None
}

/// A long prefix of a spelling left at the end of an `http` excerpt: the
/// excerpt was cut in the middle of a secret before the secret was scrubbed.
fn cut_spelling(err: &Error, spellings: &[String]) -> Option<String> {
    let ErrorDetail::Http { body, .. } = err.detail() else {
        return None;
    };
    for sp in spellings {
        let min = sp.len().div_ceil(2);
        let min = min.max(4);
        for k in (min..sp.len()).rev() {
            if sp.is_char_boundary(k) && body.ends_with(&sp[..k]) {
                return Some(format!(
                    "http excerpt ends with {:?}, {k} of the {} bytes of {sp:?}",
                    &sp[..k],
                    sp.len()
                ));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn canary_no_spelling_survives_scrubbing(
        secret in secret(),
        id in client_id(),
        which in 0..5usize,
        mode in any::<u8>(),
        field in any::<u8>(),
        pre in filler(),
        post in filler(),
        status in status(),
        complete in complete(),
    ) {
        let spellings = spellings(&id, &secret);
        let body = embed(mode, field, &spellings[which], &pre, &post, &id);
        if let Some(err) = client_error(status, &body, complete, &id, &secret) {
            if let Some(leak) = leaks(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
            if let Some(leak) = cut_spelling(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
        }
    }

    /// Every spelling at once, several times, in one body.
    #[test]
    fn canary_all_spellings_at_once(
        secret in secret(),
        id in client_id(),
        pre in "[ -~]{0,100}",
        sep in "[ -~]{0,8}",
        status in status(),
        as_json in any::<bool>(),
    ) {
        let spellings = spellings(&id, &secret);
        let mut text = pre;
        for sp in spellings.iter().chain(spellings.iter().rev()) {
            text.push_str(sp);
            text.push_str(&sep);
        }
        let body = if as_json {
            json!({"error": text, "error_description": text, "error_uri": text}).to_string().into_bytes()
        } else {
            text.into_bytes()
        };
        if let Some(err) = client_error(status, &body, true, &id, &secret) {
            if let Some(leak) = leaks(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
        }
    }

    /// Scrubbing is complete even when the replacement `***` can join with
    /// its neighbours into a spelling (secrets over a tiny alphabet).
    #[test]
    fn canary_scrub_leaves_no_spelling(
        secret in "[a*]{4,8}",
        text in "[a*]{0,24}",
        pos in any::<prop::sample::Index>(),
    ) {
        let id = "client";
        let spellings = spellings(id, &secret);
        let at = pos.index(text.len() + 1);
        let body = format!("{}{}{}", &text[..at], secret, &text[at..]);
        let err = client_error(500, body.as_bytes(), true, id, &secret).unwrap();
        if let Some(leak) = leaks(&err, &spellings) {
            return Err(TestCaseError::fail(leak));
        }
    }
}
