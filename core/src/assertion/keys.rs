//! Private keys for `private_key_jwt`, turned into ring key pairs once:
//! PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK (RFC 7517). Errors
//! say what is wrong with a key and never carry any of its text.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::redact::sha256_parts;

/// A key pair ring signs with.
pub(crate) enum Pair {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    P384(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A parsed private key: the pair, the JWK's `kid` and `alg` if it was a
/// JWK, and two digests computed once (so that nothing holds a second copy
/// of the key): of the public key (the cache key) and of the private
/// material (the shared-cache sealing secret).
pub(crate) struct PrivateKey {
    pub(crate) pair: Pair,
    pub(crate) jwk_kid: Option<String>,
    pub(crate) jwk_alg: Option<String>,
    pub(crate) public_sha256: [u8; 32],
    pub(crate) seal: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

impl Pair {
    /// The family, for messages and algorithm checks.
    pub(crate) fn family(&self) -> &'static str {
        match self {
            Pair::Rsa(_) => "RSA",
            Pair::P256(_) => "EC P-256",
            Pair::P384(_) => "EC P-384",
            Pair::Ed25519(_) => "Ed25519",
        }
    }

    fn public_bytes(&self) -> &[u8] {
        match self {
            Pair::Rsa(k) => k.public_key().as_ref(),
            Pair::P256(k) | Pair::P384(k) => k.public_key().as_ref(),
            Pair::Ed25519(k) => k.public_key().as_ref(),
        }
    }
}

const HELP: &str = "use a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) or a private JWK (JSON)";

/// Parses `text` (what the option `what` holds: `private_key` or a file's
/// name) into a key pair.
pub(crate) fn parse(text: &str, what: &str) -> Result<PrivateKey> {
    let trimmed = text.trim_start();
    let (pair, material, jwk) = if trimmed.starts_with('{') {
        let (pair, material, kid, alg) = from_jwk(trimmed, what)?;
        (pair, material, Some((kid, alg)))
    } else if trimmed.starts_with("-----BEGIN") {
        let (pair, material) = from_pem(trimmed, what)?;
        (pair, material, None)
    } else {
        return Err(Error::config(format!(
            "{what} is not PEM nor a JWK: {HELP}"
        )));
    };
    let public_sha256 = sha256_parts([b"m2m-auth/public-key/v1".as_slice(), pair.public_bytes()]);
    // The sealing secret comes from the private material itself, so a
    // shared cache is sealed as strongly as with a client secret.
    let seal = Zeroizing::new(sha256_parts([
        b"m2m-auth/seal/private-key/v1".as_slice(),
        &material,
    ]));
    let (jwk_kid, jwk_alg) = jwk.unwrap_or_default();
    Ok(PrivateKey {
        pair,
        jwk_kid,
        jwk_alg,
        public_sha256,
        seal,
    })
}

type Material = Zeroizing<Vec<u8>>;

fn from_pem(text: &str, what: &str) -> Result<(Pair, Material)> {
    if text.contains("ENCRYPTED") {
        return Err(Error::config(format!(
            "{what}: encrypted private keys are not supported; {HELP}"
        )));
    }
    let der = PrivateKeyDer::from_pem_slice(text.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| Error::config(format!("{what} holds no PEM private key: {HELP}")))?;
    let rejected = |e: ring::error::KeyRejected| rejected(what, e);
    let pair = match &*der {
        PrivateKeyDer::Pkcs1(k) => {
            Pair::Rsa(RsaKeyPair::from_der(k.secret_pkcs1_der()).map_err(rejected)?)
        }
        PrivateKeyDer::Sec1(k) => from_sec1(k.secret_sec1_der(), what)?,
        PrivateKeyDer::Pkcs8(k) => from_pkcs8(k.secret_pkcs8_der(), what)?,
        _ => {
            return Err(Error::config(format!(
                "{what}: unsupported key type; {HELP}"
            )))
        }
    };
    Ok((pair, Zeroizing::new(der.secret_der().to_vec())))
}

/// RSA, then each curve, then Ed25519: ring says which one a PKCS#8
/// document is by refusing the others with `WrongAlgorithm`.
fn from_pkcs8(der: &[u8], what: &str) -> Result<Pair> {
    let rng = SystemRandom::new();
    match RsaKeyPair::from_pkcs8(der) {
        Ok(k) => return Ok(Pair::Rsa(k)),
        Err(e) if e.to_string() != "WrongAlgorithm" => return Err(rejected(what, e)),
        Err(_) => {}
    }
    for (alg, p384) in [
        (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, false),
        (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, true),
    ] {
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, der, &rng) {
            return Ok(if p384 { Pair::P384(k) } else { Pair::P256(k) });
        }
    }
    // OpenSSL writes PKCS#8 v1 Ed25519 keys, without the public key.
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map(Pair::Ed25519)
        .map_err(|_| {
            Error::config(format!(
                "{what}: unsupported key type (RSA of 2048 bits or more, EC P-256 or P-384, \
                 Ed25519 are supported)"
            ))
        })
}

/// A SEC1 `ECPrivateKey`, wrapped in the PKCS#8 envelope ring reads, for
/// each curve in turn (ring checks the curve named inside, if any).
fn from_sec1(sec1: &[u8], what: &str) -> Result<Pair> {
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    let rng = SystemRandom::new();
    let curves: [(&'static EcdsaSigningAlgorithm, &[u8], bool); 2] = [
        (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, P256, false),
        (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, P384, true),
    ];
    for (alg, oid, p384) in curves {
        let alg_id = der_tlv(0x30, &[EC_PUBLIC_KEY, oid].concat());
        let octets = Zeroizing::new(der_tlv(0x04, sec1));
        let body = Zeroizing::new([&[0x02, 0x01, 0x00][..], &alg_id, &octets].concat());
        let pkcs8 = Zeroizing::new(der_tlv(0x30, &body));
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng) {
            return Ok(if p384 { Pair::P384(k) } else { Pair::P256(k) });
        }
    }
    Err(Error::config(format!(
        "{what}: not a usable SEC1 EC key (P-256 or P-384, with its public key)"
    )))
}

/// One DER tag-length-value (definite length).
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn rejected(what: &str, e: ring::error::KeyRejected) -> Error {
    Error::config(match e.to_string().as_str() {
        "TooSmall" => format!("{what}: RSA key under 2048 bits"),
        "TooLarge" => format!("{what}: RSA key over 8192 bits"),
        other => format!("{what}: key rejected ({other}); {HELP}"),
    })
}

type JwkParts = (Pair, Material, Option<String>, Option<String>);

/// A private JWK: RSA (`n e d p q dp dq qi`), EC P-256/P-384 (`x y d`) or
/// OKP Ed25519 (`x d`).
fn from_jwk(text: &str, what: &str) -> Result<JwkParts> {
    let bad = |m: &str| Error::config(format!("{what}: {m}"));
    let jwk: Map<String, Value> =
        serde_json::from_str(text).map_err(|_| bad("not a JSON object (a private JWK)"))?;
    let text_member = |name: &str| -> Result<Option<String>> {
        match jwk.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(bad(&format!("JWK {name} must be a non-empty string"))),
        }
    };
    let bytes = |name: &str| -> Result<Material> {
        let s = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&format!("JWK has no {name} (a private JWK is needed)")))?;
        URL_SAFE_NO_PAD
            .decode(s)
            .map(Zeroizing::new)
            .map_err(|_| bad(&format!("JWK {name} is not base64url")))
    };
    let kid = text_member("kid")?;
    let alg = text_member("alg")?;
    let rng = SystemRandom::new();
    let kty = text_member("kty")?.unwrap_or_default();
    let crv = text_member("crv")?.unwrap_or_default();
    let (pair, material) = match (kty.as_str(), crv.as_str()) {
        ("RSA", _) => {
            let (n, e, d) = (bytes("n")?, bytes("e")?, bytes("d")?);
            let (p, q) = (bytes("p")?, bytes("q")?);
            let (dp, dq, qi) = (bytes("dp")?, bytes("dq")?, bytes("qi")?);
            let components = ring::rsa::KeyPairComponents {
                public_key: ring::rsa::PublicKeyComponents {
                    n: &n[..],
                    e: &e[..],
                },
                d: &d[..],
                p: &p[..],
                q: &q[..],
                dP: &dp[..],
                dQ: &dq[..],
                qInv: &qi[..],
            };
            let k = RsaKeyPair::from_components(&components).map_err(|e| rejected(what, e))?;
            (Pair::Rsa(k), d)
        }
        ("EC", "P-256" | "P-384") => {
            let p384 = crv == "P-384";
            let alg = if p384 {
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
            } else {
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
            };
            let (x, y, d) = (bytes("x")?, bytes("y")?, bytes("d")?);
            let point = [&[0x04][..], &x, &y].concat();
            let k = EcdsaKeyPair::from_private_key_and_public_key(alg, &d, &point, &rng)
                .map_err(|_| bad("JWK EC members do not form a key pair"))?;
            (if p384 { Pair::P384(k) } else { Pair::P256(k) }, d)
        }
        ("OKP", "Ed25519") => {
            let (x, d) = (bytes("x")?, bytes("d")?);
            let k = Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                .map_err(|_| bad("JWK OKP members do not form an Ed25519 key pair"))?;
            (Pair::Ed25519(k), d)
        }
        _ => {
            return Err(bad(
                "unsupported JWK key type (RSA, EC P-256 or P-384, OKP Ed25519 are supported)",
            ))
        }
    };
    Ok((pair, material, kid, alg))
}
