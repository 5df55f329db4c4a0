//! The access-token verifier (issue #13): `Verifier::verify_now` with a
//! static JWKS (the conformance vectors' public `jwks`), so nothing is
//! fetched.
//!
//! Input: a mode byte, then
//! - mode 0: the token text (lossy UTF-8), verified as is;
//! - mode 1: an `Authorization` header, through `verify_request_now`;
//! - modes 2, 3: bytes driving a builder (`arbitrary::Unstructured`) that
//!   picks header and claim values (right, wrong, of the wrong type, or
//!   free text), base64url-encodes them and, when the header names EdDSA
//!   or ES256, signs them with the vectors' TEST-ONLY private keys, so that
//!   the fuzzer gets past the parser and the signature to the claim rules.
//!
//! The mode byte's high bit picks one of two verifiers: the defaults
//! (strict `typ`, the verified-token cache on) or a lenient one (`typ` not
//! strict, ES384 and RS512 allowed, no leeway, a 16-entry cache).
//!
//! Checks: no panic; a static verifier never asks for a fetch; an accepted
//! token has our issuer, one of our audiences and is not past `exp`; every
//! error is `invalid_token` (or `insufficient_scope` for a request) with a
//! reason of `m2m_auth::verify::reason`, a bounded message that holds no
//! segment of the token longer than the 64 bytes a scrubbed header value
//! may show, and no claim text of the structured payload; verifying again
//! (now through the cache) never turns a refusal into an acceptance nor
//! changes its reason, except for the clock's (`expired`/`not_yet_valid`).
//! Memory stays bounded by libFuzzer's `-rss_limit_mb` (scripts/fuzz.sh).
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use m2m_auth::verify::reason;
use m2m_auth::{Claims, ErrorDetail, Verifier};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Map, Value};

const VECTORS: &str = include_str!("../../tests/verify/vectors.json");
const ED25519: &str = include_str!("../../tests/verify/keys/ed25519.json");
const P256: &str = include_str!("../../tests/verify/keys/ec-p256.json");
const ISSUER: &str = "https://issuer.example/";
const AUDIENCE: &str = "https://api.example/";
/// The scope a request must carry (mode 1).
const SCOPE: &str = "read:things";
/// Every reason an `invalid_token` may give.
const REASONS: &[&str] = &[
    reason::MISSING,
    reason::MALFORMED,
    reason::TOO_LARGE,
    reason::DISALLOWED_ALGORITHM,
    reason::UNKNOWN_KEY,
    reason::WEAK_KEY,
    reason::BAD_SIGNATURE,
    reason::BAD_TYP,
    reason::CRIT,
    reason::WRONG_ISSUER,
    reason::WRONG_AUDIENCE,
    reason::EXPIRED,
    reason::NOT_YET_VALID,
    reason::MISSING_CLAIM,
    reason::BAD_CLAIM_TYPE,
];
/// A message's longest allowed length: fixed text plus scrubbed values.
const MAX_MESSAGE: usize = 256;
/// The most a scrubbed header value (`alg`, `kid`, `typ`) shows.
const SCRUBBED: usize = 64;

struct Setup {
    strict: Verifier,
    lenient: Verifier,
    ed25519: Ed25519KeyPair,
    p256: EcdsaKeyPair,
    rng: SystemRandom,
}

fn b64(field: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(field.as_str().expect("a base64url field"))
        .expect("base64url")
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let vectors: Value = serde_json::from_str(VECTORS).expect("vectors.json");
        let jwks = vectors["jwks"].to_string();
        let strict = Verifier::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .jwks(jwks.clone())
            .build()
            .expect("the default verifier builds");
        let lenient = Verifier::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .audience("https://other.example/")
            .jwks(jwks)
            .algorithms(["RS256", "RS512", "PS256", "ES256", "ES384", "EdDSA"])
            .strict_typ(false)
            .leeway(Duration::ZERO)
            .cache_size(16)
            .build()
            .expect("the lenient verifier builds");
        let ed: Value = serde_json::from_str(ED25519).expect("ed25519.json");
        let ed25519 = Ed25519KeyPair::from_seed_and_public_key(&b64(&ed["d"]), &b64(&ed["x"]))
            .expect("the Ed25519 test key");
        let ec: Value = serde_json::from_str(P256).expect("ec-p256.json");
        let public = [&[4u8][..], &b64(&ec["x"]), &b64(&ec["y"])].concat();
        let rng = SystemRandom::new();
        let p256 = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &b64(&ec["d"]),
            &public,
            &rng,
        )
        .expect("the P-256 test key");
        Setup {
            strict,
            lenient,
            ed25519,
            p256,
            rng,
        }
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One of `fixed`, or (the last choice) free text from the input.
fn text(u: &mut Unstructured, fixed: &[&str]) -> ArbResult<String> {
    let i = u.choose_index(fixed.len() + 1)?;
    Ok(match fixed.get(i) {
        Some(s) => (*s).to_string(),
        None => u.arbitrary::<String>()?,
    })
}

/// A value for a string claim or header: absent, a pick of `fixed`, or of
/// another JSON type.
fn string_value(u: &mut Unstructured, fixed: &[&str]) -> ArbResult<Option<Value>> {
    Ok(match u.choose_index(5)? {
        0 => None,
        1 => Some(json!(u.arbitrary::<i64>()?)),
        2 => Some(json!([text(u, fixed)?])),
        3 => Some(Value::Null),
        _ => Some(json!(text(u, fixed)?)),
    })
}

/// A numeric date: near now, extreme, or of the wrong type.
fn date_value(u: &mut Unstructured) -> ArbResult<Option<Value>> {
    let t = now();
    Ok(match u.choose_index(12)? {
        0 => None,
        1 => Some(json!(t + 3600)),
        2 => Some(json!(t - 3600)),
        3 => Some(json!(t + i64::from(u.int_in_range(-120i8..=120)?))),
        4 => Some(json!(u.arbitrary::<i64>()?)),
        5 => Some(json!(u.arbitrary::<u64>()?)),
        6 => Some(json!(u.arbitrary::<f64>()?)),
        7 => Some(json!(1e308)),
        8 => Some(json!(-1e308)),
        9 => Some(json!((t + 3600).to_string())),
        10 => Some(json!(u.arbitrary::<bool>()?)),
        _ => Some(json!({})),
    })
}

fn put(map: &mut Map<String, Value>, name: &str, v: Option<Value>) {
    if let Some(v) = v {
        map.insert(name.into(), v);
    }
}

/// Free JSON text from the input, when it parses.
fn free_json(u: &mut Unstructured) -> ArbResult<Option<Value>> {
    Ok(serde_json::from_str(&u.arbitrary::<String>()?).ok())
}

/// A token built from the input, and the claim texts its payload holds.
fn structured(u: &mut Unstructured) -> ArbResult<(String, Vec<String>)> {
    let s = setup();
    let mut header = Map::new();
    let algs = [
        "EdDSA", "ES256", "RS256", "PS256", "ES384", "RS512", "none", "HS256", "Ed25519",
    ];
    put(
        &mut header,
        "alg",
        string_value(u, &algs)?.or(Some(json!("EdDSA"))),
    );
    let typs = ["at+jwt", "application/at+jwt", "JWT", "AT+JWT", "dpop+jwt"];
    put(&mut header, "typ", string_value(u, &typs)?);
    let kids = ["ed25519", "ec-p256", "rsa-2048", "ec-p384", "unknown"];
    put(&mut header, "kid", string_value(u, &kids)?);
    if u.ratio(1, 8)? {
        header.insert("crit".into(), json!(["exp"]));
    }
    if u.ratio(1, 8)? {
        let name = text(u, &["jwk", "jku", "x5u", "x5c", "b64", "zip"])?;
        header.insert(
            name,
            free_json(u)?.unwrap_or(json!("https://attacker.example/")),
        );
    }

    let mut claims = Map::new();
    let mut texts = Vec::new();
    let payload = if u.ratio(1, 8)? {
        // Not built: raw bytes, for the payload's own JSON parsing.
        u.arbitrary::<Vec<u8>>()?
    } else {
        put(
            &mut claims,
            "iss",
            string_value(
                u,
                &[ISSUER, "https://issuer.example", "https://issuer.example/x"],
            )?,
        );
        let aud = match u.choose_index(4)? {
            0 => Some(json!([AUDIENCE, text(u, &["https://other.example/"])?])),
            1 => Some(json!([])),
            2 => Some(json!([AUDIENCE, 1])),
            _ => string_value(
                u,
                &[AUDIENCE, "https://api.example", "https://other.example/"],
            )?,
        };
        put(&mut claims, "aud", aud);
        for name in ["exp", "nbf", "iat"] {
            put(&mut claims, name, date_value(u)?);
        }
        put(
            &mut claims,
            "scope",
            string_value(u, &[SCOPE, "read:things write:things", ""])?,
        );
        if u.ratio(1, 4)? {
            let scp = free_json(u)?.unwrap_or(json!([SCOPE]));
            claims.insert("scp".into(), scp);
        }
        for name in ["sub", "client_id", "jti"] {
            put(&mut claims, name, string_value(u, &["client-123"])?);
        }
        // A claim that no message may ever quote.
        // Its `é` is one no scrubbed header value can show.
        let marker = format!("payload-marker-é-{}", u.arbitrary::<u64>()?);
        claims.insert("secret_note".into(), json!(marker));
        texts.push(marker);
        if u.ratio(1, 4)? {
            let name = u.arbitrary::<String>()?;
            put(&mut claims, &name, free_json(u)?);
        }
        serde_json::to_vec(&claims).expect("JSON serializes")
    };

    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("JSON serializes")),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = match (header.get("alg").and_then(Value::as_str), u.ratio(7, 8)?) {
        (Some("EdDSA"), true) => s.ed25519.sign(input.as_bytes()).as_ref().to_vec(),
        (Some("ES256"), true) => s
            .p256
            .sign(&s.rng, input.as_bytes())
            .expect("P-256 signs")
            .as_ref()
            .to_vec(),
        _ => u.arbitrary::<Vec<u8>>()?,
    };
    let mut token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
    if u.ratio(1, 16)? {
        // A segment too many, or a stray byte.
        token.push_str(&text(u, &[".", ".e30", "=", " "])?);
    }
    Ok((token, texts))
}

/// The checks on one outcome.
fn check(token: &str, texts: &[String], outcome: &m2m_auth::Result<Claims>, request: bool) {
    match outcome {
        Ok(c) => {
            assert_eq!(c.issuer(), ISSUER);
            assert!(c
                .audience()
                .iter()
                .any(|a| a == AUDIENCE || a == "https://other.example/"));
            // With at most the 30 s leeway (and a second for the clock).
            assert!(c.expires_at() + Duration::from_secs(31) > SystemTime::now());
            if request {
                assert!(c.has_scope(SCOPE));
            }
        }
        Err(e) => {
            let message = match e.detail() {
                ErrorDetail::InvalidToken { reason, message } => {
                    assert!(REASONS.contains(&reason.as_str()), "reason {reason:?}");
                    message
                }
                ErrorDetail::InsufficientScope { required_scope } if request => {
                    assert_eq!(required_scope, SCOPE);
                    return;
                }
                other => panic!("not invalid_token: {other:?}"),
            };
            assert!(
                message.len() <= MAX_MESSAGE,
                "a {}-byte message",
                message.len()
            );
            let shown = [message.clone(), e.to_string(), format!("{e:?}")];
            // A base64url run longer than a scrubbed value cannot come
            // from one (the message's own words are short, between spaces
            // and quotes), so it would be the token's.
            let b64url = |s: &&str| {
                s.len() > SCRUBBED
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            for segment in token.split(['.', ' ']).filter(b64url) {
                for m in &shown {
                    assert!(!m.contains(segment), "{m:?} quotes the token");
                }
            }
            for t in texts {
                for m in &shown {
                    assert!(!m.contains(t.as_str()), "{m:?} quotes a claim");
                }
            }
        }
    }
}

/// Outcomes a second verification may give after `first`.
fn consistent(first: &m2m_auth::Result<Claims>, again: &m2m_auth::Result<Claims>) -> bool {
    let reason = |r: &m2m_auth::Result<Claims>| match r {
        Ok(_) => None,
        Err(e) => Some(match e.detail() {
            ErrorDetail::InvalidToken { reason, .. } => reason.clone(),
            other => format!("{other:?}"),
        }),
    };
    let clock = |r: &Option<String>| {
        r.as_deref()
            .is_none_or(|r| r == reason::EXPIRED || r == reason::NOT_YET_VALID)
    };
    let (a, b) = (reason(first), reason(again));
    a == b || (clock(&a) && clock(&b))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let s = setup();
    let v = if mode & 0x80 == 0 {
        &s.strict
    } else {
        &s.lenient
    };
    let (token, texts, request) = match mode % 4 {
        0 => (
            String::from_utf8_lossy(rest).into_owned(),
            Vec::new(),
            false,
        ),
        1 => (String::from_utf8_lossy(rest).into_owned(), Vec::new(), true),
        _ => match structured(&mut Unstructured::new(rest)) {
            Ok((token, texts)) => (token, texts, false),
            Err(_) => return,
        },
    };
    let run = || {
        if request {
            v.verify_request_now(Some(&token), &[SCOPE])
        } else {
            v.verify_now(&token)
        }
        .expect("a static JWKS never needs a fetch")
    };
    let first = run();
    check(&token, &texts, &first, request);
    let again = run();
    check(&token, &texts, &again, request);
    assert!(consistent(&first, &again), "{first:?} then {again:?}");
});
