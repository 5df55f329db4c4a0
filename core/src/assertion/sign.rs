//! Signing one client assertion (RFC 7523 §3, OpenID Connect Core §9):
//! `iss` = `sub` = the client id, one `aud`, `iat`, `exp` 60 s later and a
//! random `jti`, in a JWS signed with a private key or the client secret.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{hmac, signature};
use zeroize::Zeroizing;

use super::keys::{Pair, PrivateKey};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// How long an assertion is valid: short, as it is a bearer credential.
const LIFETIME_SECS: u64 = 60;

/// A JWS algorithm the engine signs with (the engine's one table of names).
pub(crate) use crate::jose::Alg as SignAlg;

/// The algorithm called `name` (JOSE spelling, exact), or a `config` error.
pub(crate) fn parse_alg(name: &str) -> Result<SignAlg> {
    SignAlg::parse(name.trim()).ok_or_else(|| {
        Error::config(format!(
            "unknown signing_alg {name:?}: use RS256, RS384, RS512, PS256, PS384, \
             PS512, ES256, ES384, EdDSA (private_key_jwt) or HS256, HS384, HS512 \
             (client_secret_jwt)"
        ))
    })
}

impl SignAlg {
    /// The default algorithm for a key.
    pub(crate) fn default_for(pair: &Pair) -> SignAlg {
        match pair {
            Pair::Rsa(_) => SignAlg::Rs256,
            Pair::P256(_) => SignAlg::Es256,
            Pair::P384(_) => SignAlg::Es384,
            Pair::Ed25519(_) => SignAlg::EdDsa,
        }
    }

    /// A config error unless this algorithm signs with `pair`.
    pub(crate) fn check_fits(self, pair: &Pair) -> Result<()> {
        use SignAlg::*;
        let fits = match pair {
            Pair::Rsa(_) => matches!(self, Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512),
            Pair::P256(_) => self == Es256,
            Pair::P384(_) => self == Es384,
            Pair::Ed25519(_) => self == EdDsa,
        };
        if fits {
            Ok(())
        } else {
            Err(Error::config(format!(
                "signing_alg {} does not fit the private key ({})",
                self.name(),
                pair.family()
            )))
        }
    }
}

/// What signs: a private key, or the client secret (HMAC).
pub(crate) enum SigningKey<'a> {
    Private(&'a PrivateKey),
    Secret(&'a Secret),
}

/// The claims of one assertion.
pub(crate) struct Claims<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) audience: &'a str,
}

/// A new signed assertion: fresh `iat`, `exp` and `jti` every call, so a
/// retried attempt never repeats one (servers refuse a reused `jti`).
pub(crate) fn sign(
    key: SigningKey<'_>,
    alg: SignAlg,
    kid: Option<&str>,
    claims: &Claims<'_>,
) -> Result<Secret> {
    let rng = SystemRandom::new();
    let mut jti = [0u8; 16];
    rng.fill(&mut jti)
        .map_err(|_| Error::config("no system randomness for a client assertion jti"))?;
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut header = serde_json::json!({"alg": alg.name(), "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let payload = serde_json::json!({
        "iss": claims.client_id,
        "sub": claims.client_id,
        "aud": claims.audience,
        "iat": iat,
        "exp": iat + LIFETIME_SECS,
        "jti": URL_SAFE_NO_PAD.encode(jti),
    });
    let mut jws = Zeroizing::new(String::with_capacity(1024));
    URL_SAFE_NO_PAD.encode_string(header.to_string(), &mut jws);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(payload.to_string(), &mut jws);
    let signature = signature_of(key, alg, jws.as_bytes(), &rng)?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(Secret::new(std::mem::take(&mut *jws)))
}

pub(crate) fn signature_of(
    key: SigningKey<'_>,
    alg: SignAlg,
    input: &[u8],
    rng: &SystemRandom,
) -> Result<Vec<u8>> {
    use SignAlg::*;
    let failed = || {
        Error::config(format!(
            "signing the client assertion with {} failed",
            alg.name()
        ))
    };
    match key {
        SigningKey::Secret(secret) => {
            let h = match alg {
                Hs384 => hmac::HMAC_SHA384,
                Hs512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            let key = hmac::Key::new(h, secret.expose().as_bytes());
            Ok(hmac::sign(&key, input).as_ref().to_vec())
        }
        SigningKey::Private(k) => match &k.pair {
            Pair::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Rs384 => &signature::RSA_PKCS1_SHA384,
                    Rs512 => &signature::RSA_PKCS1_SHA512,
                    Ps256 => &signature::RSA_PSS_SHA256,
                    Ps384 => &signature::RSA_PSS_SHA384,
                    Ps512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, rng, input, &mut sig)
                    .map_err(|_| failed())?;
                Ok(sig)
            }
            Pair::P256(pair) | Pair::P384(pair) => pair
                .sign(rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed()),
            Pair::Ed25519(pair) => Ok(pair.sign(input).as_ref().to_vec()),
        },
    }
}
