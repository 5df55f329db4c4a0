//! Verifier benchmark (figures printed, never asserted; issue #13): tokens
//! verified per second for RS256 and ES256, uncached (`cache_size` 0) and
//! through the verified-token cache, next to raw ring signature checks (the
//! physical limit) and to the `jsonwebtoken` crate (the peer in Rust), in
//! interleaved rounds (best of 7 each). For figures that do not move with
//! the machine's load, count instructions instead (below).
//!
//! `cargo bench -p m2m-auth --bench verify`
//!
//! Instructions per verification: `M2M_VERIFY_CALLGRIND=ALG,CONTENDER,N`
//! (ALG `RS256` or `ES256`; CONTENDER `ring`, `uncached`, `cached` or
//! `jsonwebtoken`) runs only that contender, N times, untimed and printing
//! nothing, over 100 tokens taken in turn (ECDSA verification time varies
//! with the signature). Under `valgrind --tool=callgrind`, the instruction
//! count with N = 2000 minus the count with N = 0, divided by 2000, is the
//! cost of one verification (`scripts/verify-instructions.sh` does all
//! eight).

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

/// A contender: its label and one verification (of the token with this
/// index).
type Contender<'a> = (&'a str, Box<dyn FnMut(usize) + 'a>);

/// Calls `f` for one round; the rate per second.
fn round(f: &mut dyn FnMut(usize)) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        for _ in 0..20 {
            f(0);
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
            f(0);
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

/// Tokens per algorithm when counting instructions.
const TOKENS: usize = 100;

/// The contenders' short names for `M2M_VERIFY_CALLGRIND`, in order.
const SHORT: [&str; 4] = ["ring", "uncached", "cached", "jsonwebtoken"];

fn contender_index(short: &str) -> usize {
    SHORT
        .iter()
        .position(|s| *s == short)
        .unwrap_or_else(|| panic!("CONTENDER is one of {SHORT:?}"))
}

/// `M2M_VERIFY_CALLGRIND=ALG,CONTENDER,N`, when set.
fn only() -> Option<(String, String, u64)> {
    let spec = std::env::var("M2M_VERIFY_CALLGRIND").ok()?;
    let parts: Vec<&str> = spec.split(',').collect();
    let [alg, contender, n] = parts[..] else {
        panic!("M2M_VERIFY_CALLGRIND is ALG,CONTENDER,N");
    };
    contender_index(contender);
    Some((
        alg.into(),
        contender.into(),
        n.parse().expect("N is a count"),
    ))
}

fn main() {
    let only = only();
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
    // Counting instructions: many tokens, taken in turn. An ECDSA signature
    // is random, and the time to verify one varies with it (ring's base
    // point multiplication is variable-time): one token would give a figure
    // that moves by thousands from one run to the next.
    let count = if only.is_some() { TOKENS } else { 1 };
    let (rsa_pem, ec_pem) = (file("rsa2048.pem"), file("p256.pem"));
    let rs: Vec<String> = (0..count)
        .map(|_| {
            let key = EncodingKey::from_rsa_pem(&rsa_pem).unwrap();
            sign(Algorithm::RS256, "rsa", &key)
        })
        .collect();
    let es: Vec<String> = (0..count)
        .map(|_| {
            sign(
                Algorithm::ES256,
                "ec",
                &EncodingKey::from_ec_pem(&ec_pem).unwrap(),
            )
        })
        .collect();
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
    for (name, tokens, alg) in [
        ("RS256", &rs, Algorithm::RS256),
        ("ES256", &es, Algorithm::ES256),
    ] {
        let parts: Vec<_> = tokens.iter().map(|t| split(t)).collect();
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
        let mut contenders: [Contender<'_>; 4] = [
            (
                "raw ring signature check",
                Box::new(|i| {
                    let (input, sig) = &parts[i];
                    let ok = match alg {
                        Algorithm::RS256 => rsa_key
                            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, sig)
                            .is_ok(),
                        _ => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                            .verify(input, sig)
                            .is_ok(),
                    };
                    assert!(black_box(ok));
                }),
            ),
            (
                "m2m-auth Verifier, uncached",
                Box::new(|i| assert!(black_box(uncached.verify_now(&tokens[i])).unwrap().is_ok())),
            ),
            (
                "m2m-auth Verifier, verified-token cache",
                Box::new(|i| assert!(black_box(cached.verify_now(&tokens[i])).unwrap().is_ok())),
            ),
            (
                "jsonwebtoken crate decode (peer)",
                Box::new(|i| {
                    let decoded = jsonwebtoken::decode::<Value>(&tokens[i], &key, &v);
                    assert!(black_box(decoded).is_ok())
                }),
            ),
        ];
        if let Some((want, contender, n)) = &only {
            if want == name {
                let f = &mut contenders[contender_index(contender)].1;
                // One call per token outside the count, so that N = 0
                // includes what a first call sets up (the cached token, a
                // parsed RSA key).
                for i in 0..TOKENS {
                    f(i);
                }
                for i in 0..*n {
                    f(i as usize % TOKENS);
                }
                return;
            }
            continue;
        }
        println!("== {name}");
        let best = rates(&mut contenders);
        let (raw, ours, peer) = (best[0], best[1], best[3]);
        println!("uncached / jsonwebtoken: {:.2}", ours / peer);
        println!("uncached / raw ring: {:.2}", ours / raw);
    }
}
