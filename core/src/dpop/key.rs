//! The DPoP key (RFC 9449 §4.1): a PEM or private JWK read as for
//! private_key_jwt (`assertion/keys.rs`), or one P-256 key generated per
//! client; its public JWK and its RFC 7638 thumbprint, computed once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::assertion::keys::{self, Pair, PrivateKey};
use crate::assertion::sign::SignAlg;
use crate::error::{Error, Result};
use crate::redact::sha256_parts;

/// The algorithms a DPoP proof is signed with (what servers accept:
/// asymmetric only).
const ALGS: [SignAlg; 5] = [
    SignAlg::Es256,
    SignAlg::Es384,
    SignAlg::EdDsa,
    SignAlg::Rs256,
    SignAlg::Ps256,
];

/// A DPoP key pair, its algorithm, its public JWK (the proofs' `jwk`
/// header) and its thumbprint (`cnf.jkt` of the tokens bound to it).
pub(crate) struct DpopKey {
    pub(crate) key: PrivateKey,
    pub(crate) alg: SignAlg,
    pub(crate) public_jwk: Value,
    pub(crate) thumbprint: String,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The thumbprint is public (it is in every bound token).
        f.debug_struct("DpopKey")
            .field("alg", &self.alg.name())
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A key from `text` (PEM or private JWK; `what` names the option).
    pub(crate) fn parse(text: &str, what: &str) -> Result<DpopKey> {
        let key = keys::parse(text, what)?;
        let alg = match key.jwk_alg.as_deref() {
            Some(name) => {
                let alg = SignAlg::parse(name)
                    .filter(|a| ALGS.contains(a))
                    .ok_or_else(|| {
                        Error::config(format!(
                            "{what}: JWK alg {name:?} is not a DPoP algorithm (ES256, ES384, \
                             EdDSA, RS256, PS256)"
                        ))
                    })?;
                alg.check_fits(&key.pair)?;
                alg
            }
            None => SignAlg::default_for(&key.pair),
        };
        DpopKey::new(key, alg)
    }

    /// A new P-256 key (ES256), held only in this process's memory.
    pub(crate) fn generate() -> Result<DpopKey> {
        let rng = SystemRandom::new();
        let failed = || Error::config("could not generate a DPoP key (no system randomness)");
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| failed())?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| failed())?;
        let public_sha256 = sha256_parts([
            b"m2m-auth/public-key/v1".as_slice(),
            pair.public_key().as_ref(),
        ]);
        let seal = Zeroizing::new(sha256_parts([
            b"m2m-auth/seal/private-key/v1".as_slice(),
            &pkcs8,
        ]));
        let key = PrivateKey {
            pair: Pair::P256(pair),
            jwk_kid: None,
            jwk_alg: None,
            public_sha256,
            seal,
        };
        DpopKey::new(key, SignAlg::Es256)
    }

    fn new(key: PrivateKey, alg: SignAlg) -> Result<DpopKey> {
        if !ALGS.contains(&alg) {
            return Err(Error::config(format!(
                "dpop_key: a {} key signs with {}, which DPoP servers do not accept (use EC \
                 P-256, EC P-384, Ed25519 or RSA)",
                key.pair.family(),
                alg.name()
            )));
        }
        let public_jwk = public_jwk(&key.pair);
        let thumbprint = thumbprint(&public_jwk);
        Ok(DpopKey {
            key,
            alg,
            public_jwk,
            thumbprint,
        })
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The public JWK of a key pair (only its required members).
fn public_jwk(pair: &Pair) -> Value {
    match pair {
        Pair::P256(k) | Pair::P384(k) => {
            let point = &k.public_key().as_ref()[1..];
            let (x, y) = point.split_at(point.len() / 2);
            let crv = if matches!(pair, Pair::P256(_)) {
                "P-256"
            } else {
                "P-384"
            };
            json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)})
        }
        Pair::Ed25519(k) => {
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key().as_ref())})
        }
        Pair::Rsa(k) => {
            let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public());
            let strip = |b: &[u8]| {
                b.iter()
                    .skip_while(|x| **x == 0)
                    .copied()
                    .collect::<Vec<_>>()
            };
            json!({"kty": "RSA", "n": b64(&strip(&c.n)), "e": b64(&strip(&c.e))})
        }
    }
}

/// RFC 7638: SHA-256 over the required members in lexicographic order,
/// no whitespace, base64url.
pub(crate) fn thumbprint(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str() {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        _ => &["e", "kty", "n"],
    };
    let body: Vec<String> = members
        .iter()
        .map(|m| format!("\"{m}\":{}", jwk[*m]))
        .collect();
    let text = format!("{{{}}}", body.join(","));
    b64(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example() {
        let jwk = json!({"kty": "RSA", "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn generated_keys_differ_and_print_no_secret() {
        let a = DpopKey::generate().unwrap();
        let b = DpopKey::generate().unwrap();
        assert_ne!(a.thumbprint, b.thumbprint);
        assert_eq!(a.alg, SignAlg::Es256);
        assert!(a.public_jwk.get("d").is_none());
        assert!(!format!("{a:?}").contains("PrivateKey"));
    }
}
