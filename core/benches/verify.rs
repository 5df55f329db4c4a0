//! Verifier benchmark (figures printed, never asserted; issue #13): tokens
//! verified per second for RS256 and ES256, uncached (`cache_size` 0) and
//! through the verified-token cache, next to raw ring signature checks (the
//! physical limit) and to the `jsonwebtoken` crate (the peer in Rust).
//!
//! `cargo bench -p m2m-auth --bench verify`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use m2m_auth::Verifier;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{json, Value};

const ISS: &str = "https://issuer.example";
const AUD: &str = "https://api.example";

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/verify_keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// Calls `f` for about a second; prints and returns the rate per second.
fn rate(label: &str, mut f: impl FnMut()) -> f64 {
    for _ in 0..100 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    println!("{label:<44} {per_s:>12.0} /s {:>10.0} ns", 1e9 / per_s);
    per_s
}

fn main() {
    let jwks: Value = serde_json::from_slice(&file("public_jwks.json")).unwrap();
    let (rsa, ec) = (&jwks["rsa2048"], &jwks["p256"]);
    let mut set = json!({"keys": [rsa.clone(), ec.clone()]});
    set["keys"][0]["kid"] = "rsa".into();
    set["keys"][1]["kid"] = "ec".into();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": ISS, "aud": AUD, "sub": "svc", "exp": now + 3600, "iat": now, "scope": "read"});
    let sign = |alg, kid: &str, key: &EncodingKey| {
        let mut h = Header::new(alg);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, &claims, key).unwrap()
    };
    let rs = sign(
        Algorithm::RS256,
        "rsa",
        &EncodingKey::from_rsa_pem(&file("rsa2048.pem")).unwrap(),
    );
    let es = sign(
        Algorithm::ES256,
        "ec",
        &EncodingKey::from_ec_pem(&file("p256.pem")).unwrap(),
    );
    let build = |cache| {
        Verifier::builder()
            .issuer(ISS)
            .audience(AUD)
            .jwks(set.to_string())
            .cache_size(cache)
            .build()
            .unwrap()
    };
    let (uncached, cached) = (build(0), build(10_000));
    let split = |t: &str| {
        let (input, sig) = t.rsplit_once('.').unwrap();
        (
            input.as_bytes().to_vec(),
            URL_SAFE_NO_PAD.decode(sig).unwrap(),
        )
    };
    let rsa_key = RsaPublicKeyComponents {
        n: b64(&rsa["n"]),
        e: b64(&rsa["e"]),
    };
    let mut point = vec![4u8];
    point.extend(b64(&ec["x"]));
    point.extend(b64(&ec["y"]));
    for (name, token, alg) in [
        ("RS256", &rs, Algorithm::RS256),
        ("ES256", &es, Algorithm::ES256),
    ] {
        println!("== {name}");
        let (input, sig) = split(token);
        let raw = rate("raw ring signature check", || {
            let ok = match alg {
                Algorithm::RS256 => rsa_key
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, &input, &sig)
                    .is_ok(),
                _ => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                    .verify(&input, &sig)
                    .is_ok(),
            };
            assert!(black_box(ok));
        });
        let ours = rate("m2m-auth Verifier, uncached", || {
            assert!(black_box(uncached.verify_now(token)).unwrap().is_ok());
        });
        rate("m2m-auth Verifier, verified-token cache", || {
            assert!(black_box(cached.verify_now(token)).unwrap().is_ok());
        });
        let key = match alg {
            Algorithm::RS256 => DecodingKey::from_rsa_components(
                rsa["n"].as_str().unwrap(),
                rsa["e"].as_str().unwrap(),
            )
            .unwrap(),
            _ => DecodingKey::from_ec_components(
                ec["x"].as_str().unwrap(),
                ec["y"].as_str().unwrap(),
            )
            .unwrap(),
        };
        let mut v = Validation::new(alg);
        v.set_issuer(&[ISS]);
        v.set_audience(&[AUD]);
        rate("jsonwebtoken crate decode (peer)", || {
            assert!(black_box(jsonwebtoken::decode::<Value>(token, &key, &v)).is_ok());
        });
        println!("uncached / raw ring: {:.2}", ours / raw);
    }
}
