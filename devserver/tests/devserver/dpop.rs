//! DPoP (RFC 9449): proofs at the token endpoint (bound tokens, every
//! refusal), server nonces (token endpoint and `/api`, the control API),
//! and `/api` with DPoP-bound tokens. Proofs are made here with
//! `jsonwebtoken`, independently of the server's checker.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use m2m_auth_devserver::DevServer;
use ring::digest::{digest, SHA256};
use serde_json::{json, Value};

use crate::assertion_support::{now, public_jwk, signing_key};
use crate::support::{control, http, jwt_parts, start, Resp, FORM};

const DEMO_FORM: &str =
    "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The public JWK of test key `name`, without a kid.
fn jwk(name: &str) -> Value {
    let mut j = public_jwk(name, "x");
    j.as_object_mut().unwrap().remove("kid");
    j
}

/// RFC 7638, computed here from the required members.
fn thumbprint(jwk: &Value) -> String {
    let text = match jwk["kty"].as_str().unwrap() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["crv"].as_str().unwrap(),
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        ),
        "OKP" => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            jwk["crv"].as_str().unwrap(),
            jwk["x"].as_str().unwrap()
        ),
        _ => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            jwk["e"].as_str().unwrap(),
            jwk["n"].as_str().unwrap()
        ),
    };
    b64(digest(&SHA256, text.as_bytes()).as_ref())
}

/// A JWS with exactly this header and these claims, signed by test key `key`.
fn jws(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg).unwrap();
    format!("{msg}.{sig}")
}

fn alg_of(name: &str) -> Algorithm {
    match name {
        "p256" => Algorithm::ES256,
        "p384" => Algorithm::ES384,
        "ed25519" => Algorithm::EdDSA,
        _ => Algorithm::RS256,
    }
}

/// A valid proof by test key `name` for `htm htu`, `extra` claims merged over.
fn proof(name: &str, htm: &str, htu: &str, extra: Value) -> String {
    let alg = alg_of(name);
    let header = json!({"typ": "dpop+jwt", "alg": format!("{alg:?}"), "jwk": jwk(name)});
    let mut claims = json!({
        "htm": htm, "htu": htu, "iat": now(),
        "jti": format!("{:032x}", fastrand::u128(..)),
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    jws(&header, &claims, &signing_key(name), alg)
}

async fn token_with(srv: &DevServer, proofs: &[&str]) -> Resp {
    let mut headers = vec![FORM];
    headers.extend(proofs.iter().map(|p| ("DPoP", *p)));
    http(
        srv.local_addr(),
        "POST",
        "/oauth/token",
        &headers,
        DEMO_FORM.as_bytes(),
    )
    .await
    .unwrap()
}

async fn api_with(srv: &DevServer, authorization: &str, proof: Option<&str>) -> Resp {
    let mut headers = vec![("Authorization", authorization)];
    if let Some(p) = proof {
        headers.push(("DPoP", p));
    }
    http(srv.local_addr(), "GET", "/api", &headers, b"")
        .await
        .unwrap()
}

fn ath(token: &str) -> String {
    b64(digest(&SHA256, token.as_bytes()).as_ref())
}

#[tokio::test]
async fn a_proof_binds_the_token_to_its_key_for_every_algorithm() {
    let srv = start().await;
    for name in ["p256", "p384", "ed25519", "rsa2048"] {
        let r = token_with(&srv, &[&proof(name, "POST", &srv.token_url(), json!({}))]).await;
        assert_eq!(r.status, 200, "{name}: {:?}", r.json());
        let body = r.json();
        assert_eq!(body["token_type"], "DPoP", "{name}");
        let (_, claims) = jwt_parts(body["access_token"].as_str().unwrap());
        assert_eq!(claims["cnf"]["jkt"], thumbprint(&jwk(name)), "{name}");
    }
    let stats = srv.stats();
    assert_eq!(
        (stats.dpop_token_requests, stats.dpop_nonce_token_requests),
        (4, 0)
    );
    let r = token_with(&srv, &[]).await;
    assert_eq!(r.json()["token_type"], "Bearer", "no proof, a Bearer token");
    let meta = http(
        srv.local_addr(),
        "GET",
        "/.well-known/openid-configuration",
        &[],
        b"",
    )
    .await
    .unwrap()
    .json();
    assert_eq!(
        meta["dpop_signing_alg_values_supported"],
        json!(["ES256", "ES384", "EdDSA", "RS256", "PS256"])
    );
}

#[tokio::test]
async fn bad_proofs_are_refused() {
    let srv = start().await;
    let url = srv.token_url();
    let good_claims = || json!({"htm": "POST", "htu": url, "iat": now(), "jti": format!("{:x}", fastrand::u128(..))});
    let es = |h: Value, c: Value| jws(&h, &c, &signing_key("p256"), Algorithm::ES256);
    let header = |typ: &str, jwk: Value| json!({"typ": typ, "alg": "ES256", "jwk": jwk});
    let mut private = jwk("p256");
    private["d"] = "AAAA".into();
    let hmac = jws(
        &json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk("p256")}),
        &good_claims(),
        &EncodingKey::from_secret(b"secret"),
        Algorithm::HS256,
    );
    let replayed = proof("p256", "POST", &url, json!({}));
    assert_eq!(token_with(&srv, &[&replayed]).await.status, 200);
    let mut wrong_sig = proof("p256", "POST", &url, json!({}));
    wrong_sig.truncate(wrong_sig.len() - 4);
    wrong_sig.push_str("AAAA");
    let cases: Vec<(String, &str)> = vec![
        (es(header("JWT", jwk("p256")), good_claims()), "typ"),
        (hmac, "alg"),
        (es(header("dpop+jwt", private), good_claims()), "private"),
        (
            es(header("dpop+jwt", jwk("ed25519")), good_claims()),
            "does not fit",
        ),
        (
            es(json!({"typ": "dpop+jwt", "alg": "ES256"}), good_claims()),
            "no jwk",
        ),
        (wrong_sig, "signature"),
        (proof("p256", "GET", &url, json!({})), "htm"),
        (proof("p256", "POST", &format!("{url}x"), json!({})), "htu"),
        (
            proof("p256", "POST", &url, json!({"iat": now() - 300})),
            "iat",
        ),
        (proof("p256", "POST", &url, json!({"jti": ""})), "jti"),
        (proof("p256", "POST", &url, json!({"ath": "x"})), "ath"),
        (replayed.clone(), "seen before"),
        ("not.a.jws.at.all".into(), "compact"),
    ];
    for (p, want) in cases {
        let r = token_with(&srv, &[&p]).await;
        assert_eq!(r.status, 400, "{want}");
        let body = r.json();
        assert_eq!(body["error"], "invalid_dpop_proof", "{want}: {body}");
        let desc = body["error_description"].as_str().unwrap();
        assert!(desc.contains(want), "{desc:?} should say {want:?}");
        assert!(!desc.contains(&p), "the description echoes the proof");
    }
    let p1 = proof("p256", "POST", &url, json!({}));
    let p2 = proof("p256", "POST", &url, json!({}));
    let r = token_with(&srv, &[&p1, &p2]).await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // Query and fragment of htu are ignored.
    let r = token_with(
        &srv,
        &[&proof("p256", "POST", &format!("{url}?a=b#c"), json!({}))],
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn the_token_endpoint_demands_the_current_nonce() {
    let srv = start().await;
    let url = srv.token_url();
    let set = control(&srv, "POST", "/_control/dpop", r#"{"nonce_token": true}"#).await;
    assert_eq!(set.status, 200);
    let nonce = set.json()["nonce"].as_str().unwrap().to_owned();
    assert_eq!(nonce, srv.dpop_nonce());

    let r = token_with(&srv, &[&proof("p256", "POST", &url, json!({}))]).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (400, json!("use_dpop_nonce"))
    );
    assert_eq!(r.header("dpop-nonce"), Some(nonce.as_str()));
    let r = token_with(
        &srv,
        &[&proof("p256", "POST", &url, json!({"nonce": "stale"}))],
    )
    .await;
    assert_eq!(r.json()["error"], "use_dpop_nonce");

    let r = token_with(
        &srv,
        &[&proof("p256", "POST", &url, json!({"nonce": nonce}))],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.header("dpop-nonce"),
        Some(nonce.as_str()),
        "every answer carries it"
    );
    assert_eq!(srv.stats().dpop_nonce_token_requests, 1);

    let rotated = control(&srv, "POST", "/_control/dpop", r#"{"rotate": true}"#)
        .await
        .json();
    let fresh = rotated["nonce"].as_str().unwrap();
    assert_ne!(fresh, nonce);
    let r = token_with(
        &srv,
        &[&proof("p256", "POST", &url, json!({"nonce": nonce}))],
    )
    .await;
    assert_eq!(r.json()["error"], "use_dpop_nonce");
    assert_eq!(r.header("dpop-nonce"), Some(fresh));

    srv.set_dpop_nonce(false, false);
    let r = token_with(&srv, &[&proof("p256", "POST", &url, json!({}))]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("dpop-nonce"), None);
    let state = control(&srv, "GET", "/_control/dpop", "").await.json();
    assert_eq!(
        (state["nonce_token"].clone(), state["nonce_api"].clone()),
        (json!(false), json!(false))
    );
}

#[tokio::test]
async fn the_api_checks_dpop_bound_tokens() {
    let srv = start().await;
    let api = srv.api_url();
    let r = token_with(
        &srv,
        &[&proof("ed25519", "POST", &srv.token_url(), json!({}))],
    )
    .await;
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let auth = format!("DPoP {token}");
    let good = |extra: Value| {
        let mut c = json!({"ath": ath(&token)});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        proof("ed25519", "GET", &api, c)
    };

    let r = api_with(&srv, &auth, Some(&good(json!({})))).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["cnf"]["jkt"], thumbprint(&jwk("ed25519")));

    let refusals: Vec<(String, Option<String>, &str, &str)> = vec![
        (
            format!("Bearer {token}"),
            None,
            "invalid_token",
            "DPoP scheme",
        ),
        (
            auth.clone(),
            None,
            "invalid_dpop_proof",
            "needs a DPoP proof",
        ),
        (
            auth.clone(),
            Some(good(json!({"ath": "AAAA"}))),
            "invalid_dpop_proof",
            "ath",
        ),
        (
            auth.clone(),
            Some(good(json!({"htm": "POST"}))),
            "invalid_dpop_proof",
            "htm",
        ),
        (
            auth.clone(),
            Some(proof("p256", "GET", &api, json!({"ath": ath(&token)}))),
            "invalid_dpop_proof",
            "bound to",
        ),
    ];
    for (authorization, p, error, want) in refusals {
        let r = api_with(&srv, &authorization, p.as_deref()).await;
        assert_eq!(r.status, 401, "{want}");
        let challenge = r.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with(&format!(r#"DPoP error="{error}""#)),
            "{challenge}"
        );
        assert!(
            challenge.contains(r#"algs="ES256 ES384 EdDSA RS256 PS256""#),
            "{challenge}"
        );
        let desc = r.json()["error_description"].as_str().unwrap().to_owned();
        assert!(desc.contains(want), "{desc:?} should say {want:?}");
    }
    // A Bearer token presented as DPoP is refused too.
    let bearer = token_with(&srv, &[]).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api_with(&srv, &format!("DPoP {bearer}"), Some(&good(json!({})))).await;
    assert_eq!(r.status, 401);
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("not DPoP-bound"));
    assert_eq!(srv.stats().dpop_api_requests, 5);

    // Nonce mode for /api only.
    srv.set_dpop_nonce(false, true);
    let r = api_with(&srv, &auth, Some(&good(json!({})))).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with(r#"DPoP error="use_dpop_nonce""#));
    let nonce = r.header("dpop-nonce").unwrap().to_owned();
    let r = api_with(&srv, &auth, Some(&good(json!({"nonce": nonce})))).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.header("dpop-nonce"), Some(nonce.as_str()));
    let r = token_with(&srv, &[&proof("p256", "POST", &srv.token_url(), json!({}))]).await;
    assert_eq!(
        (r.status, r.header("dpop-nonce")),
        (200, None),
        "the token endpoint does not demand one"
    );
}
