//! The server's signing key.
//!
//! **This is a published, dev-only key.** Its private half is committed to the
//! repository (`keys/dev-rsa.pem`, PKCS#8, RSA 2048) so that every run, every
//! language's tests and every benchmark see the same JWKS. Never trust a token
//! signed with it anywhere but in tests.
//!
//! `keys/dev-rsa.jwk.json` holds the matching public JWK (`n`/`e` computed once
//! from the PEM with openssl); the test `jwk_matches_private_key` checks they
//! belong together.

use std::sync::OnceLock;

use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::Value;

/// Key id advertised in the JWKS and in every token header.
pub const KID: &str = "m2m-auth-dev-1";

/// The dev RSA private key, PKCS#8 PEM. Published; dev-only.
pub const PRIVATE_KEY_PEM: &str = include_str!("../keys/dev-rsa.pem");

/// The public JWK matching [`PRIVATE_KEY_PEM`], as JSON text.
pub const PUBLIC_JWK_JSON: &str = include_str!("../keys/dev-rsa.jwk.json");

pub(crate) struct Keys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// `{"keys":[jwk]}` serialized.
    pub jwks_body: bytes::Bytes,
}

pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let encoding = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes())
            .expect("embedded dev RSA key must parse");
        let jwk: Value = serde_json::from_str(PUBLIC_JWK_JSON).expect("embedded JWK must parse");
        let n = jwk["n"].as_str().expect("jwk n");
        let e = jwk["e"].as_str().expect("jwk e");
        let decoding = DecodingKey::from_rsa_components(n, e).expect("embedded JWK must be valid");
        let jwks_body = serde_json::to_vec(&serde_json::json!({ "keys": [jwk] }))
            .expect("serialize jwks")
            .into();
        Keys {
            encoding,
            decoding,
            jwks_body,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_matches_private_key() {
        let k = keys();
        let h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let claims = serde_json::json!({"exp": 4_000_000_000u64});
        let t = jsonwebtoken::encode(&h, &claims, &k.encoding).unwrap();
        let v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        jsonwebtoken::decode::<Value>(&t, &k.decoding, &v).unwrap();
        let jwks: Value = serde_json::from_slice(&k.jwks_body).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], KID);
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
    }
}
