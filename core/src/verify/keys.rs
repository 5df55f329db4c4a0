//! JWKs turned into verification-ready keys (docs/design.md §10): the
//! key's type must match the token's `alg`, and the JWK's own `alg`/`use`
//! when present; RSA keys below 2048 bits are refused as `weak_key`;
//! symmetric (`oct`) and unknown keys are never used.
//!
//! RSA keys are parsed once and kept parsed (aws-lc-rs `ParsedPublicKey`):
//! a key's Montgomery constants are computed on its first use, not on every
//! verification as ring's per-call key API does (a third of an RS256
//! check). EC and Ed25519 keys are checked with ring, whose per-call point
//! decoding is cheap and whose P-256 verification measured faster here.

use std::sync::OnceLock;

use aws_lc_rs::signature as lc;
use aws_lc_rs::signature::{ParsedPublicKey, RsaParameters, VerificationAlgorithm};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self as s, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::reason;
use crate::error::{Error, Result};

pub(crate) use crate::jose::Alg;

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    P256,
    P384,
    Ed25519,
}

/// The key family `alg` verifies with; none for HMAC, which the verifier
/// never uses (a public key is no HMAC secret: algorithm confusion).
fn family(alg: Alg) -> Option<Family> {
    match alg {
        Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
            Some(Family::Rsa)
        }
        Alg::Es256 => Some(Family::P256),
        Alg::Es384 => Some(Family::P384),
        Alg::EdDsa => Some(Family::Ed25519),
        Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => None,
    }
}

/// A public key, parsed for verification.
enum PublicKey {
    /// An RSA key: its DER `RSAPublicKey`, parsed once per algorithm it is
    /// used with (a parsed key is bound to one algorithm), on first use.
    Rsa {
        der: Vec<u8>,
        parsed: Box<[OnceLock<Option<ParsedPublicKey>>; RSA_ALGS.len()]>,
    },
    /// An uncompressed SEC1 point (P-256 or P-384).
    Ec(Vec<u8>),
    Ed25519(Vec<u8>),
}

/// The RSA algorithms, in the order of `PublicKey::Rsa::parsed`.
const RSA_ALGS: [(Alg, &RsaParameters); 6] = [
    (Alg::Rs256, &lc::RSA_PKCS1_2048_8192_SHA256),
    (Alg::Rs384, &lc::RSA_PKCS1_2048_8192_SHA384),
    (Alg::Rs512, &lc::RSA_PKCS1_2048_8192_SHA512),
    (Alg::Ps256, &lc::RSA_PSS_2048_8192_SHA256),
    (Alg::Ps384, &lc::RSA_PSS_2048_8192_SHA384),
    (Alg::Ps512, &lc::RSA_PSS_2048_8192_SHA512),
];

/// One signing key of a JWKS.
struct Jwk {
    kid: Option<String>,
    family: Family,
    /// The JWK's own `alg`, when it names one.
    alg: Option<String>,
    /// The key, or the reason code it is refused with (`weak_key`).
    key: std::result::Result<PublicKey, &'static str>,
}

/// The signing keys of one JWKS.
pub(crate) struct KeySet {
    keys: Vec<Jwk>,
}

/// Why no key verifies a token.
pub(crate) enum Lookup {
    /// No key with this `kid` (or, without a `kid`, not exactly one
    /// candidate): a refetch may find it.
    Unknown,
    /// A key was found but may not be used with this token.
    Refused(Error),
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`). Keys that are not for
    /// signatures, symmetric, of an unknown type or malformed are left out.
    pub(crate) fn parse(json: &[u8]) -> Result<KeySet> {
        let doc: Value = serde_json::from_slice(json)
            .map_err(|_| Error::invalid_response("the JWKS is not JSON"))?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::invalid_response("the JWKS has no \"keys\" array"))?;
        let keys = list
            .iter()
            .filter_map(Value::as_object)
            .filter_map(jwk)
            .collect();
        Ok(KeySet { keys })
    }

    /// How many signing keys it holds (refused ones included).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Verifies `signature` over `input` with the key named `kid` for `alg`.
    /// `Ok(false)` when the signature does not match.
    pub(crate) fn verify(
        &self,
        kid: Option<&str>,
        alg: Alg,
        input: &[u8],
        signature: &[u8],
    ) -> std::result::Result<bool, Lookup> {
        let key = self.find(kid, alg)?;
        Ok(verify_with(key, alg, input, signature))
    }

    fn find(&self, kid: Option<&str>, alg: Alg) -> std::result::Result<&PublicKey, Lookup> {
        let fits = |k: &Jwk| {
            Some(k.family) == family(alg) && k.alg.as_deref().is_none_or(|a| a == alg.name())
        };
        let chosen = match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(Lookup::Unknown);
                }
                match named.find(|k| fits(k)) {
                    Some(k) => k,
                    None => {
                        return Err(Lookup::Refused(Error::invalid_token(
                            reason::DISALLOWED_ALGORITHM,
                            format!(
                                "key {:?} may not be used with {}",
                                super::jws::scrub(kid),
                                alg.name()
                            ),
                        )))
                    }
                }
            }
            // Without a kid, only an unambiguous key is used.
            None => {
                let mut fitting = self.keys.iter().filter(|k| fits(k));
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => k,
                    _ => return Err(Lookup::Unknown),
                }
            }
        };
        chosen.key.as_ref().map_err(|r| {
            Lookup::Refused(Error::invalid_token(
                r,
                "the key is an RSA key shorter than 2048 bits",
            ))
        })
    }
}

fn verify_with(key: &PublicKey, alg: Alg, input: &[u8], sig: &[u8]) -> bool {
    match key {
        PublicKey::Rsa { der, parsed } => {
            let Some(at) = RSA_ALGS.iter().position(|(a, _)| *a == alg) else {
                return false;
            };
            let params: &'static dyn VerificationAlgorithm = RSA_ALGS[at].1;
            parsed[at]
                .get_or_init(|| ParsedPublicKey::new(params, der).ok())
                .as_ref()
                .is_some_and(|k| k.verify_sig(input, sig).is_ok())
        }
        PublicKey::Ec(point) => {
            let a: &'static dyn s::VerificationAlgorithm = match alg {
                Alg::Es256 => &s::ECDSA_P256_SHA256_FIXED,
                Alg::Es384 => &s::ECDSA_P384_SHA384_FIXED,
                _ => return false,
            };
            UnparsedPublicKey::new(a, point).verify(input, sig).is_ok()
        }
        PublicKey::Ed25519(x) => {
            alg == Alg::EdDsa
                && UnparsedPublicKey::new(&s::ED25519, x)
                    .verify(input, sig)
                    .is_ok()
        }
    }
}

fn b64(v: Option<&Value>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(v?.as_str()?).ok()
}

/// One JWK as a signing key, or `None` when it is not one we may use.
fn jwk(o: &Map<String, Value>) -> Option<Jwk> {
    let text = |name: &str| match o.get(name) {
        None => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None, // a member of the wrong type: the key is malformed
    };
    let kid = text("kid")?;
    let alg = text("alg")?;
    // `use` other than `sig` (e.g. `enc`) is not a signing key.
    if text("use")?.is_some_and(|u| u != "sig") {
        return None;
    }
    let (family, key) = match (
        o.get("kty")?.as_str()?,
        o.get("crv").and_then(Value::as_str),
    ) {
        ("RSA", _) => (Family::Rsa, rsa(b64(o.get("n"))?, b64(o.get("e"))?)?),
        ("EC", Some("P-256")) => (Family::P256, Ok(ec(o, 32)?)),
        ("EC", Some("P-384")) => (Family::P384, Ok(ec(o, 48)?)),
        ("OKP", Some("Ed25519")) => {
            let x = b64(o.get("x"))?;
            (x.len() == 32).then_some(())?;
            (Family::Ed25519, Ok(PublicKey::Ed25519(x)))
        }
        _ => return None,
    };
    Some(Jwk {
        kid,
        family,
        alg,
        key,
    })
}

/// An RSA key; under 2048 bits it is kept as refused (`weak_key`), over
/// 8192 bits (beyond the algorithms' limit) it is left out.
fn rsa(n: Vec<u8>, e: Vec<u8>) -> Option<std::result::Result<PublicKey, &'static str>> {
    let first = n.iter().position(|b| *b != 0)?;
    let n = &n[first..];
    let bits = n.len() * 8 - n[0].leading_zeros() as usize;
    if bits > 8192 || e.is_empty() || e.len() > 8 {
        return None;
    }
    if bits < 2048 {
        return Some(Err(reason::WEAK_KEY));
    }
    Some(Ok(PublicKey::Rsa {
        der: rsa_public_key_der(n, &e),
        parsed: Default::default(),
    }))
}

/// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// (RFC 8017 §A.1.1) of big-endian unsigned `n` and `e`.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, v: &[u8]) {
        let first = v.iter().position(|b| *b != 0).unwrap_or(v.len() - 1);
        let v = &v[first..];
        let pad = v[0] & 0x80 != 0; // a positive INTEGER starts below 0x80
        header(out, 0x02, v.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
    }
    fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
        out.push(tag);
        match len {
            0..=0x7f => out.push(len as u8),
            0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
            _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        }
    }
    let mut body = Vec::with_capacity(n.len() + e.len() + 16);
    integer(&mut body, n);
    integer(&mut body, e);
    let mut der = Vec::with_capacity(body.len() + 4);
    header(&mut der, 0x30, body.len());
    der.extend_from_slice(&body);
    der
}

/// An EC key: the JWK's coordinates as an uncompressed SEC1 point.
fn ec(o: &Map<String, Value>, size: usize) -> Option<PublicKey> {
    let (x, y) = (b64(o.get("x"))?, b64(o.get("y"))?);
    (x.len() == size && y.len() == size).then_some(())?;
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Some(PublicKey::Ec(point))
}

/// Verifies `signature` with a key given inline (a DPoP proof's `jwk`,
/// RFC 9449 §4.2): `Ok(false)` when the signature does not match; an error
/// text when the JWK is not a public signing key fit for `alg` (the same
/// rules as a JWKS key: type, curve, its own `alg`/`use`, RSA ≥ 2048 bits).
pub(crate) fn verify_inline(
    o: &Map<String, Value>,
    alg: Alg,
    input: &[u8],
    signature: &[u8],
) -> std::result::Result<bool, &'static str> {
    let k = jwk(o).ok_or("the jwk is not a usable public key")?;
    if Some(k.family) != family(alg) || k.alg.as_deref().is_some_and(|a| a != alg.name()) {
        return Err("the jwk does not fit the proof's alg");
    }
    let key = k
        .key
        .map_err(|_| "the jwk is an RSA key shorter than 2048 bits")?;
    Ok(verify_with(&key, alg, input, signature))
}
