//! Verifier benchmark (figures printed, never asserted; issue #13): tokens
//! verified per second for RS256 and ES256, uncached (`cache_size` 0) and
//! through the verified-token cache, next to raw ring signature checks (the
//! physical limit) and to the `jsonwebtoken` crate (the peer in Rust), in
//! interleaved rounds (best of 7 each). For figures that do not move with
//! the machine's load, count instructions instead: `valgrind --tool=callgrind`.
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

/// Rounds of measurement; each contender's best round is kept. The rounds
/// interleave the contenders, so a burst of other work on the machine slows
/// one round of each rather than all the rounds of one.
const ROUNDS: usize = 7;
/// The length of one contender's round.
const ROUND: Duration = Duration::from_millis(250);

/// A contender: its label and one verification.
type Contender<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Calls `f` for one round; the rate per second.
fn round(f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        for _ in 0..20 {
            f();
        }
        n += 20;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Measures the contenders in interleaved rounds; prints and returns each
/// one's best rate per second.
fn rates(contenders: &mut [Contender<'_>]) -> Vec<f64> {
    for (_, f) in contenders.iter_mut() {
        for _ in 0..100 {
            f();
        }
    }
    let mut best = vec![0f64; contenders.len()];
    for _ in 0..ROUNDS {
        for (i, (_, f)) in contenders.iter_mut().enumerate() {
            best[i] = best[i].max(round(f.as_mut()));
        }
    }
    for ((label, _), per_s) in contenders.iter().zip(&best) {
        println!("{label:<44} {per_s:>12.0} /s {:>10.0} ns", 1e9 / per_s);
    }
    best
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
        let best = rates(&mut [
            (
                "raw ring signature check",
                Box::new(|| {
                    let ok = match alg {
                        Algorithm::RS256 => rsa_key
                            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, &input, &sig)
                            .is_ok(),
                        _ => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                            .verify(&input, &sig)
                            .is_ok(),
                    };
                    assert!(black_box(ok));
                }),
            ),
            (
                "m2m-auth Verifier, uncached",
                Box::new(|| assert!(black_box(uncached.verify_now(token)).unwrap().is_ok())),
            ),
            (
                "m2m-auth Verifier, verified-token cache",
                Box::new(|| assert!(black_box(cached.verify_now(token)).unwrap().is_ok())),
            ),
            (
                "jsonwebtoken crate decode (peer)",
                Box::new(|| {
                    assert!(black_box(jsonwebtoken::decode::<Value>(token, &key, &v)).is_ok())
                }),
            ),
        ]);
        let (raw, ours, peer) = (best[0], best[1], best[3]);
        println!("uncached / jsonwebtoken: {:.2}", ours / peer);
        println!("uncached / raw ring: {:.2}", ours / raw);
    }
}
