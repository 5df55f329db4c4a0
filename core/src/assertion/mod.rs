//! Client authentication by a JWT client assertion (RFC 7523 §2.2, OpenID
//! Connect Core §9): `client_secret_jwt` (HMAC with the client secret) and
//! `private_key_jwt` (a private key, or a ready assertion, possibly from a
//! file that rotates). Checked when the client is built; a new assertion is
//! signed for every attempt, retries included, and never kept.

pub(crate) mod file;
pub(crate) mod keys;
mod options;
pub(crate) mod provider;
pub(crate) mod sign;

use url::Url;
use zeroize::Zeroizing;

use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::redact::{sha256_parts, Redactor};
use crate::secret::Secret;
use file::Watched;
use keys::PrivateKey;
pub(crate) use options::AssertionOptions;
use provider::{AssertionProvider, AssertionRequest};
use sign::{Claims, SignAlg, SigningKey};

/// The `client_assertion_type` of a JWT bearer assertion.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Where assertions come from.
enum Source {
    /// client_secret_jwt: HMAC with the client secret.
    Secret { secret: Secret, alg: SignAlg },
    /// private_key_jwt with `private_key`.
    Key {
        key: PrivateKey,
        alg: SignAlg,
        kid: Option<String>,
    },
    /// private_key_jwt with `private_key_file`: the key re-read when the
    /// file changes; the algorithm and kid follow each new key unless set.
    KeyFile {
        file: Watched<PrivateKey>,
        alg: Option<SignAlg>,
        kid: Option<String>,
        /// Digests of the key read at build (the cache key and the sealing
        /// secret stay the same for the client's life).
        public_sha256: [u8; 32],
        seal: Zeroizing<[u8; 32]>,
    },
    /// `client_assertion`: sent as is.
    Ready {
        assertion: Secret,
        seal: Zeroizing<[u8; 32]>,
    },
    /// `client_assertion_file`: sent as the file holds it now.
    ReadyFile(Watched<Secret>),
    /// `client_assertion_provider`: asked for each attempt.
    Provider(AssertionProvider),
}

/// What the `aud` claim names.
enum Audience {
    Issuer(String),
    TokenEndpoint,
    Fixed(String),
}

/// A client's assertion settings, checked.
pub(crate) struct Assertion {
    method: AuthMethod,
    source: Source,
    audience: Audience,
}

impl Assertion {
    /// Checks the options for `method` (client_secret_jwt or
    /// private_key_jwt): a `config` error naming what is wrong, never
    /// quoting a key.
    pub(crate) fn new(
        method: AuthMethod,
        o: &AssertionOptions,
        secret: Option<&Secret>,
        issuer: Option<&str>,
    ) -> Result<Assertion> {
        let alg = o.signing_alg.as_deref().map(sign::parse_alg).transpose()?;
        let kid = o.key_id.clone().filter(|k| !k.trim().is_empty());
        let ready = o.client_assertion.is_some()
            || o.client_assertion_file.is_some()
            || o.client_assertion_provider.is_some();
        let keyed = o.private_key.is_some() || o.private_key_file.is_some();
        let source = if method == AuthMethod::ClientSecretJwt {
            if keyed || ready {
                return Err(Error::config(
                    "client_secret_jwt signs with client_secret: private_key, private_key_file, \
                     client_assertion, client_assertion_file and client_assertion_provider are \
                     for private_key_jwt",
                ));
            }
            let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
                Error::config("client_secret_jwt needs client_secret (or M2M_AUTH_CLIENT_SECRET)")
            })?;
            let alg = alg.unwrap_or(SignAlg::Hs256);
            if !alg.is_hmac() {
                return Err(Error::config(format!(
                    "signing_alg {} does not fit client_secret_jwt: use HS256, HS384 or HS512",
                    alg.name()
                )));
            }
            Source::Secret {
                secret: secret.clone(),
                alg,
            }
        } else {
            private_key_source(o, alg, kid.clone(), keyed, ready)?
        };
        let audience = match o.assertion_audience.as_deref().map(str::trim) {
            Some("issuer") | None if issuer.is_some() => {
                Audience::Issuer(issuer.unwrap_or_default().trim().to_string())
            }
            Some("issuer") => {
                return Err(Error::config(
                    "assertion_audience issuer needs the issuer option",
                ))
            }
            None | Some("token_endpoint") | Some("") => Audience::TokenEndpoint,
            Some(other) => Audience::Fixed(other.to_string()),
        };
        // A provider is told the audience; a ready assertion has its own.
        if let (Source::Ready { .. } | Source::ReadyFile(_), Some(_)) =
            (&source, &o.assertion_audience)
        {
            return Err(Error::config(
                "assertion_audience applies to assertions m2m-auth signs, not to a ready \
                 client_assertion",
            ));
        }
        Ok(Assertion {
            method,
            source,
            audience,
        })
    }

    /// client_secret_jwt or private_key_jwt.
    pub(crate) fn method(&self) -> AuthMethod {
        self.method
    }

    /// The assertion for one attempt to `token_url`: newly signed (or the
    /// ready one, the file's current content, the provider's answer). A
    /// `config` error if a file cannot be read or parsed now, or the
    /// provider fails.
    pub(crate) async fn obtain(&self, client_id: &str, token_url: &Url) -> Result<Secret> {
        match &self.source {
            Source::Provider(p) => {
                let request = AssertionRequest {
                    client_id: client_id.to_string(),
                    audience: self.audience(token_url).to_string(),
                    token_endpoint: token_url.to_string(),
                };
                p.call(request).await
            }
            _ => self.create(client_id, token_url),
        }
    }

    /// The `aud` of assertions sent to `token_url`.
    fn audience<'a>(&'a self, token_url: &'a Url) -> &'a str {
        match &self.audience {
            Audience::Issuer(s) | Audience::Fixed(s) => s.as_str(),
            Audience::TokenEndpoint => token_url.as_str(),
        }
    }

    /// The assertion this client makes itself for one attempt.
    fn create(&self, client_id: &str, token_url: &Url) -> Result<Secret> {
        let audience = self.audience(token_url);
        let claims = Claims {
            client_id,
            audience,
        };
        match &self.source {
            Source::Secret { secret, alg } => {
                sign::sign(SigningKey::Secret(secret), *alg, None, &claims)
            }
            Source::Key { key, alg, kid } => {
                sign::sign(SigningKey::Private(key), *alg, kid.as_deref(), &claims)
            }
            Source::KeyFile { file, alg, kid, .. } => {
                let key = file.current()?;
                let (alg, kid) = choose(&key, *alg, kid.clone())?;
                sign::sign(SigningKey::Private(&key), alg, kid.as_deref(), &claims)
            }
            Source::Ready { assertion, .. } => Ok(assertion.clone()),
            Source::ReadyFile(file) => Ok((*file.current()?).clone()),
            Source::Provider(_) => Err(Error::config(
                "client_assertion_provider is asked asynchronously",
            )),
        }
    }

    /// What identifies the credential in the cache key: a digest of the
    /// secret, of the public key, of the ready assertion, or the path of
    /// the assertion file (its content rotates); never the credential.
    pub(crate) fn credential_id(&self) -> [u8; 32] {
        let alg = |a: &SignAlg| a.name().as_bytes();
        match &self.source {
            Source::Secret { secret, alg: a } => {
                sha256_parts([b"secret".as_slice(), alg(a), secret.expose().as_bytes()])
            }
            Source::Key { key, alg: a, kid } => sha256_parts([
                b"key".as_slice(),
                alg(a),
                kid.as_deref().unwrap_or_default().as_bytes(),
                &key.public_sha256,
            ]),
            Source::KeyFile {
                public_sha256, kid, ..
            } => sha256_parts([
                b"key-file".as_slice(),
                kid.as_deref().unwrap_or_default().as_bytes(),
                public_sha256,
            ]),
            Source::Ready { seal, .. } => sha256_parts([b"assertion".as_slice(), &seal[..]]),
            Source::ReadyFile(f) => sha256_parts([
                b"assertion-file".as_slice(),
                f.path().as_os_str().as_encoded_bytes(),
            ]),
            // A provider is code, with no content to digest: its number in
            // this process. Clients sharing one provider share tokens; no
            // other client (or process: a provider has no sealing secret,
            // so no shared store) can land on its key.
            Source::Provider(p) => sha256_parts([
                b"assertion-provider".as_slice(),
                &std::process::id().to_le_bytes(),
                &p.id().to_le_bytes(),
            ]),
        }
    }

    /// The key a shared cache seals tokens with: derived from the private
    /// key's material, the secret, or the ready assertion. `None` for an
    /// assertion file or a provider, whose assertions rotate and so give no
    /// stable secret (and a path is no secret): such a client cannot use a
    /// shared cache.
    pub(crate) fn sealing_secret(&self) -> Option<&[u8]> {
        match &self.source {
            Source::Secret { secret, .. } => Some(secret.expose().as_bytes()),
            Source::Key { key, .. } => Some(&key.seal[..]),
            Source::KeyFile { seal, .. } | Source::Ready { seal, .. } => Some(&seal[..]),
            Source::ReadyFile(_) | Source::Provider(_) => None,
        }
    }

    /// A scrubber for what is known at build (the secret, a ready
    /// assertion); each signed assertion is scrubbed per attempt.
    pub(crate) fn redactor(&self, client_id: &str) -> Redactor {
        match &self.source {
            Source::Secret { secret, .. } => Redactor::for_secret(client_id, secret),
            Source::Ready { assertion, .. } => Redactor::for_secret(client_id, assertion),
            _ => Redactor::default(),
        }
    }
}

/// The private-key source of private_key_jwt: exactly one key or one ready
/// assertion.
fn private_key_source(
    o: &AssertionOptions,
    alg: Option<SignAlg>,
    kid: Option<String>,
    keyed: bool,
    ready: bool,
) -> Result<Source> {
    if keyed && ready {
        return Err(Error::config(
            "private_key_jwt takes a private key or a client assertion, not both",
        ));
    }
    if o.private_key.is_some() && o.private_key_file.is_some() {
        return Err(Error::config(
            "set private_key or private_key_file, not both",
        ));
    }
    let sources = [
        o.client_assertion.is_some(),
        o.client_assertion_file.is_some(),
        o.client_assertion_provider.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(Error::config(
            "set one of client_assertion, client_assertion_file or client_assertion_provider",
        ));
    }
    if ready && (alg.is_some() || kid.is_some()) {
        return Err(Error::config(
            "signing_alg and key_id apply to a private key, not to a ready client_assertion",
        ));
    }
    if let Some(text) = &o.private_key {
        let key = keys::parse(text.expose(), "private_key")?;
        let (alg, kid) = choose(&key, alg, kid)?;
        return Ok(Source::Key { key, alg, kid });
    }
    if let Some(path) = &o.private_key_file {
        let file = Watched::open(path, "private_key_file", keys::parse)?;
        let key = file.current()?;
        choose(&key, alg, kid.clone())?;
        return Ok(Source::KeyFile {
            public_sha256: key.public_sha256,
            seal: key.seal.clone(),
            file,
            alg,
            kid,
        });
    }
    if let Some(assertion) = &o.client_assertion {
        let assertion = check_ready(assertion.expose(), "client_assertion")?;
        let seal = Zeroizing::new(sha256_parts([
            b"m2m-auth/seal/assertion/v1".as_slice(),
            assertion.expose().as_bytes(),
        ]));
        return Ok(Source::Ready { assertion, seal });
    }
    if let Some(path) = &o.client_assertion_file {
        return Ok(Source::ReadyFile(Watched::open(
            path,
            "client_assertion_file",
            check_ready,
        )?));
    }
    if let Some(p) = &o.client_assertion_provider {
        return Ok(Source::Provider(p.clone()));
    }
    Err(Error::config(
        "private_key_jwt needs private_key, private_key_file, client_assertion, \
         client_assertion_file or client_assertion_provider",
    ))
}

/// The algorithm and kid for `key`: as set, else the JWK's own, else the
/// key's default algorithm and no kid.
fn choose(
    key: &PrivateKey,
    alg: Option<SignAlg>,
    kid: Option<String>,
) -> Result<(SignAlg, Option<String>)> {
    let alg = match (alg, &key.jwk_alg) {
        (Some(a), _) => a,
        (None, Some(a)) => sign::parse_alg(a)?,
        (None, None) => SignAlg::default_for(&key.pair),
    };
    alg.check_fits(&key.pair)?;
    Ok((alg, kid.or_else(|| key.jwk_kid.clone())))
}

/// A ready assertion: a JWS in compact serialization (three non-empty
/// base64url parts), without surrounding white space. Never quoted.
fn check_ready(text: &str, what: &str) -> Result<Secret> {
    let jws = text.trim();
    let parts: Vec<&str> = jws.split('.').collect();
    let base64url = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.len() != 3 || !parts.iter().all(base64url) {
        return Err(Error::config(format!(
            "{what} is not a JWS in compact serialization (header.payload.signature)"
        )));
    }
    Ok(Secret::new(jws))
}

#[cfg(test)]
mod tests;
