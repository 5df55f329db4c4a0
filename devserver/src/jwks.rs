//! Client public keys for `private_key_jwt` (RFC 7523): the `jwks` of a
//! client registration, parsed and checked once when the client is
//! registered, and the JWS algorithms the token endpoint accepts.
//!
//! Error messages name a key by its index and `kid`, never by its material.

use base64::Engine as _;
use ring::agreement;
use ring::rand::SystemRandom;
use serde_json::{Map, Value};

/// A JWS algorithm the token endpoint accepts for a client assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Alg {
    /// Every accepted algorithm, in the order discovery lists them.
    pub(crate) const ALL: [Alg; 12] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named exactly `s` (JWS names are case-sensitive).
    pub(crate) fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == s)
    }

    /// HS256/384/512: keyed with the client secret (`client_secret_jwt`).
    pub(crate) fn is_hmac(self) -> bool {
        matches!(self, Alg::HS256 | Alg::HS384 | Alg::HS512)
    }
}

/// An elliptic curve of an `EC` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// The material of a public key, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The uncompressed point `04 || x || y`.
    Ec { curve: Curve, point: Vec<u8> },
    /// The 32-byte public key.
    Ed25519(Vec<u8>),
}

/// One registered public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Jwk {
    pub(crate) kid: Option<String>,
    /// The JWK's own `alg`, if it names one: then only that algorithm.
    pub(crate) alg: Option<Alg>,
    pub(crate) key: PublicKey,
}

impl Jwk {
    /// Whether a JWS signed with `alg` may be checked with this key: the key
    /// type (and curve) must be the one `alg` is defined for, and the JWK's
    /// own `alg`, if any, must be `alg`.
    pub(crate) fn fits(&self, alg: Alg) -> bool {
        if self.alg.is_some_and(|a| a != alg) {
            return false;
        }
        match (&self.key, alg) {
            (
                PublicKey::Rsa { .. },
                Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512,
            ) => true,
            (PublicKey::Ec { curve, .. }, Alg::ES256) => *curve == Curve::P256,
            (PublicKey::Ec { curve, .. }, Alg::ES384) => *curve == Curve::P384,
            (PublicKey::Ed25519(_), Alg::EdDSA) => true,
            _ => false,
        }
    }

    /// Whether some asymmetric algorithm fits this key (used at registration).
    fn fits_some(&self) -> bool {
        Alg::ALL.into_iter().any(|a| !a.is_hmac() && self.fits(a))
    }
}

/// JWK members that hold private (or symmetric) key material.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Parses and checks a JWK Set `{"keys": [JWK...]}` of public signing keys:
/// RSA (2048 to 8192 bits), EC P-256 / P-384 (the point must be on the
/// curve), OKP Ed25519. Every key must be usable, kids must be unique, and
/// the set must hold at least one key.
pub(crate) fn parse_jwks(jwks: &Value) -> Result<Vec<Jwk>, String> {
    let keys = jwks
        .as_object()
        .and_then(|o| o.get("keys"))
        .and_then(Value::as_array)
        .ok_or("must be a JWK Set object {\"keys\": [...]}")?;
    if keys.is_empty() {
        return Err("has no keys".into());
    }
    let mut out: Vec<Jwk> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let label = match k.get("kid").and_then(Value::as_str) {
            Some(kid) => format!("key {i} (kid {kid:?})"),
            None => format!("key {i}"),
        };
        let jwk = parse_jwk(k).map_err(|e| format!("{label}: {e}"))?;
        if let Some(kid) = &jwk.kid {
            if let Some(j) = out.iter().position(|o| o.kid.as_ref() == Some(kid)) {
                return Err(format!("keys {j} and {i} have the same kid {kid:?}"));
            }
        }
        out.push(jwk);
    }
    Ok(out)
}

pub(crate) fn parse_jwk(v: &Value) -> Result<Jwk, String> {
    let o = v.as_object().ok_or("not a JSON object")?;
    if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| o.contains_key(**m)) {
        return Err(format!(
            "holds private or symmetric key material (member {m:?}); register public keys only"
        ));
    }
    let kid = match o.get("kid") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err("kid must be a non-empty string".into()),
    };
    match o.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err("use must be \"sig\"".into()),
    }
    if let Some(ops) = o.get("key_ops") {
        let verify = ops
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "verify"));
        if !verify {
            return Err("key_ops must include \"verify\"".into());
        }
    }
    let alg = match o.get("alg") {
        None => None,
        Some(Value::String(s)) => match Alg::parse(s) {
            Some(a) if !a.is_hmac() => Some(a),
            _ => return Err("alg is not a supported public-key JWS algorithm".into()),
        },
        Some(_) => return Err("alg must be a string".into()),
    };
    let key =
        match str_member(o, "kty")? {
            "RSA" => rsa_key(o)?,
            "EC" => ec_key(o)?,
            "OKP" => okp_key(o)?,
            "oct" => return Err(
                "symmetric (oct) keys are not accepted; client_secret_jwt uses the client_secret"
                    .into(),
            ),
            _ => return Err("unsupported kty (expected RSA, EC or OKP)".into()),
        };
    let jwk = Jwk { kid, alg, key };
    if !jwk.fits_some() {
        return Err("its alg does not fit its key type".into());
    }
    Ok(jwk)
}

fn str_member<'a>(o: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match o.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{name} must be a string")),
        None => Err(format!("missing {name}")),
    }
}

fn b64_member(o: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(str_member(o, name)?)
        .map_err(|_| format!("{name} is not unpadded base64url"))
}

fn rsa_key(o: &Map<String, Value>) -> Result<PublicKey, String> {
    let n = b64_member(o, "n")?;
    let e = b64_member(o, "e")?;
    if n.first().is_none_or(|b| *b == 0) || e.first().is_none_or(|b| *b == 0) {
        return Err("n and e must be non-empty and have no leading zero octet".into());
    }
    let bits = n.len() * 8 - n[0].leading_zeros() as usize;
    if !(2048..=8192).contains(&bits) {
        return Err(format!(
            "RSA modulus has {bits} bits (2048 to 8192 accepted)"
        ));
    }
    let e_value = if e.len() <= 4 {
        e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    } else {
        0
    };
    if e_value < 3 || e_value % 2 == 0 {
        return Err("RSA exponent must be odd, at least 3 and at most 32 bits".into());
    }
    Ok(PublicKey::Rsa { n, e })
}

fn ec_key(o: &Map<String, Value>) -> Result<PublicKey, String> {
    let (curve, ecdh) = match str_member(o, "crv")? {
        "P-256" => (Curve::P256, &agreement::ECDH_P256),
        "P-384" => (Curve::P384, &agreement::ECDH_P384),
        _ => return Err("unsupported EC crv (expected P-256 or P-384)".into()),
    };
    let x = b64_member(o, "x")?;
    let y = b64_member(o, "y")?;
    let len = curve.coordinate_len();
    if x.len() != len || y.len() != len {
        return Err(format!("x and y must be {len} octets each for this crv"));
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // ring checks a peer's point when it agrees a key with it: an ECDH with
    // a throw-away key tells whether the point is on the curve.
    let rng = SystemRandom::new();
    let mine = agreement::EphemeralPrivateKey::generate(ecdh, &rng)
        .map_err(|_| "could not check the point (random number generator failed)")?;
    agreement::agree_ephemeral(
        mine,
        &agreement::UnparsedPublicKey::new(ecdh, &point),
        |_| (),
    )
    .map_err(|_| "x, y is not a point on the curve")?;
    Ok(PublicKey::Ec { curve, point })
}

fn okp_key(o: &Map<String, Value>) -> Result<PublicKey, String> {
    if str_member(o, "crv")? != "Ed25519" {
        return Err("unsupported OKP crv (expected Ed25519)".into());
    }
    let x = b64_member(o, "x")?;
    if x.len() != 32 {
        return Err("x must be 32 octets for Ed25519".into());
    }
    Ok(PublicKey::Ed25519(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P256_X: &str = "6ODTJSTHR_x9zPRll1X946dUCEgvfI5Fr333r8VrEWk";
    const P256_Y: &str = "gQU7LQIzx4t32TKCH8iG0kc98xfdk27DFT6wH_w7uIo";
    const ED_X: &str = "LC0WrMFQ-TZlpCApEZwOcI-94crys1q5YLLT3HcPy2Y";

    fn err(v: Value) -> String {
        parse_jwks(&v).unwrap_err()
    }

    #[test]
    fn alg_names_round_trip() {
        for a in Alg::ALL {
            assert_eq!(Alg::parse(a.name()), Some(a));
        }
        assert_eq!(Alg::parse("none"), None);
        assert_eq!(Alg::parse("hs256"), None);
    }

    #[test]
    fn keys_fit_their_algorithms_only() {
        let keys = parse_jwks(&json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y, "kid": "ec"},
            {"kty": "OKP", "crv": "Ed25519", "x": ED_X, "alg": "EdDSA"},
        ]}))
        .unwrap();
        assert!(keys[0].fits(Alg::ES256));
        assert!(!keys[0].fits(Alg::ES384) && !keys[0].fits(Alg::HS256));
        assert!(keys[1].fits(Alg::EdDSA) && !keys[1].fits(Alg::RS256));
    }

    #[test]
    fn unusable_keys_are_refused_without_their_material() {
        let bad_y = "A".repeat(43);
        let cases = [
            (json!([]), "must be a JWK Set"),
            (json!({"keys": []}), "has no keys"),
            (
                json!({"keys": [{"kty": "EC", "crv": "P-256", "x": P256_X, "y": bad_y}]}),
                "not a point",
            ),
            (
                json!({"keys": [{"kty": "EC", "crv": "P-521", "x": P256_X, "y": P256_Y}]}),
                "crv",
            ),
            (
                json!({"keys": [{"kty": "EC", "crv": "P-384", "x": P256_X, "y": P256_Y}]}),
                "48 octets",
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X, "d": ED_X}]}),
                "private",
            ),
            (json!({"keys": [{"kty": "oct", "k": ED_X}]}), "private"),
            (
                json!({"keys": [{"kty": "RSA", "n": ED_X, "e": "AQAB"}]}),
                "2048 to 8192",
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X, "alg": "ES256"}]}),
                "does not fit",
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X, "alg": "HS256"}]}),
                "alg is not",
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X, "use": "enc"}]}),
                "use",
            ),
            (
                json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "a"},
                             {"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y, "kid": "a"}]}),
                "same kid",
            ),
        ];
        for (v, want) in cases {
            let e = err(v);
            assert!(e.contains(want), "{e:?} should say {want:?}");
            assert!(
                !e.contains(P256_X) && !e.contains(ED_X),
                "{e:?} echoes key material"
            );
        }
    }
}
