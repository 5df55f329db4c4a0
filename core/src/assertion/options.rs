//! The client-assertion options of the builder: their typed setters (the
//! Rust API) and how the builder holds them until `build()` checks them.

use std::fmt;

use super::provider::{AssertionProvider, AssertionRequest};
use crate::builder::TokenClientBuilder;
use crate::secret::Secret;

/// The assertion options as given (checked by `build()`).
#[derive(Clone, Default)]
pub(crate) struct AssertionOptions {
    pub(crate) private_key: Option<Secret>,
    pub(crate) private_key_file: Option<String>,
    pub(crate) key_id: Option<String>,
    pub(crate) signing_alg: Option<String>,
    pub(crate) client_assertion: Option<Secret>,
    pub(crate) client_assertion_file: Option<String>,
    pub(crate) assertion_audience: Option<String>,
    pub(crate) client_assertion_provider: Option<AssertionProvider>,
}

impl AssertionOptions {
    /// The options with blank values dropped: an empty key, path or name is
    /// not given (as an empty client secret is missing).
    pub(crate) fn given(&self) -> AssertionOptions {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let secret = |v: &Option<Secret>| v.clone().filter(|s| !s.expose().trim().is_empty());
        AssertionOptions {
            private_key: secret(&self.private_key),
            private_key_file: text(&self.private_key_file),
            key_id: text(&self.key_id),
            signing_alg: text(&self.signing_alg),
            client_assertion: secret(&self.client_assertion),
            client_assertion_file: text(&self.client_assertion_file),
            assertion_audience: text(&self.assertion_audience),
            client_assertion_provider: self.client_assertion_provider.clone(),
        }
    }

    /// True when a key or an assertion is given: then `auth_method`
    /// defaults to private_key_jwt.
    pub(crate) fn has_credential(&self) -> bool {
        self.private_key.is_some()
            || self.private_key_file.is_some()
            || self.client_assertion.is_some()
            || self.client_assertion_file.is_some()
            || self.client_assertion_provider.is_some()
    }

    /// The first option set that only an assertion method uses.
    pub(crate) fn first_set(&self) -> Option<&'static str> {
        [
            ("private_key", self.private_key.is_some()),
            ("private_key_file", self.private_key_file.is_some()),
            ("key_id", self.key_id.is_some()),
            ("signing_alg", self.signing_alg.is_some()),
            ("client_assertion", self.client_assertion.is_some()),
            (
                "client_assertion_file",
                self.client_assertion_file.is_some(),
            ),
            ("assertion_audience", self.assertion_audience.is_some()),
            (
                "client_assertion_provider",
                self.client_assertion_provider.is_some(),
            ),
        ]
        .into_iter()
        .find_map(|(name, set)| set.then_some(name))
    }
}

impl fmt::Debug for AssertionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key material and assertions print as `***`; paths and names as is.
        let hidden = |s: &Option<Secret>| s.as_ref().map(|_| "***");
        f.debug_struct("AssertionOptions")
            .field("private_key", &hidden(&self.private_key))
            .field("private_key_file", &self.private_key_file)
            .field("key_id", &self.key_id)
            .field("signing_alg", &self.signing_alg)
            .field("client_assertion", &hidden(&self.client_assertion))
            .field("client_assertion_file", &self.client_assertion_file)
            .field("assertion_audience", &self.assertion_audience)
            .field("client_assertion_provider", &self.client_assertion_provider)
            .finish()
    }
}

impl TokenClientBuilder {
    /// The private key of `private_key_jwt` (held in zeroizing memory): PEM
    /// (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK as JSON. Sets
    /// `auth_method` to private_key_jwt unless it is set.
    pub fn private_key(mut self, key: impl Into<Secret>) -> Self {
        self.assertion.private_key = Some(key.into());
        self
    }

    /// A file holding the private key of `private_key_jwt`, re-read when it
    /// changes (checked on each token request).
    pub fn private_key_file(mut self, path: impl Into<String>) -> Self {
        self.assertion.private_key_file = Some(path.into());
        self
    }

    /// The JWS `kid` of signed assertions [the JWK's `kid`, else none].
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.assertion.key_id = Some(kid.into());
        self
    }

    /// The JWS algorithm of signed assertions [RS256 for RSA, ES256 for
    /// P-256, ES384 for P-384, EdDSA for Ed25519, HS256 for
    /// client_secret_jwt].
    pub fn signing_alg(mut self, alg: impl Into<String>) -> Self {
        self.assertion.signing_alg = Some(alg.into());
        self
    }

    /// A ready client assertion (a JWT), sent as is with every request.
    pub fn client_assertion(mut self, assertion: impl Into<Secret>) -> Self {
        self.assertion.client_assertion = Some(assertion.into());
        self
    }

    /// A file holding a client assertion, re-read when it changes (e.g. a
    /// Kubernetes projected service account token).
    pub fn client_assertion_file(mut self, path: impl Into<String>) -> Self {
        self.assertion.client_assertion_file = Some(path.into());
        self
    }

    /// Code that supplies the client assertion of private_key_jwt, asked
    /// for each token request attempt (retries included) with what the
    /// assertion must carry; its answer is never cached, logged or put in an
    /// error. An `Err` fails the request with a `config` error naming the
    /// error's type (the error itself is the `source()`), before any
    /// request is sent; so does an empty, malformed or oversized (over 16
    /// KiB) assertion. A provider that never answers is cut off by
    /// `timeout`. Sets `auth_method` to private_key_jwt unless it is set;
    /// such a client cannot use a shared cache (no stable sealing secret).
    ///
    /// ```no_run
    /// # async fn sign(aud: &str) -> Result<String, std::io::Error> { Ok(String::new()) }
    /// let client = m2m_auth::TokenClient::builder()
    ///     .token_url("https://auth.example.com/oauth/token")
    ///     .client_id("svc")
    ///     .client_assertion_provider(|r| async move { sign(&r.audience).await })
    ///     .build();
    /// ```
    pub fn client_assertion_provider<F, Fut, S, E>(mut self, f: F) -> Self
    where
        F: Fn(AssertionRequest) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<S, E>> + Send + 'static,
        S: Into<Secret>,
        E: fmt::Display + Send + Sync + 'static,
    {
        self.assertion.client_assertion_provider = Some(AssertionProvider::new(f));
        self
    }

    /// [`TokenClientBuilder::client_assertion_provider`] with a blocking
    /// function, run on the runtime's blocking threads.
    pub fn client_assertion_provider_fn<F, S, E>(mut self, f: F) -> Self
    where
        F: Fn(AssertionRequest) -> Result<S, E> + Send + Sync + 'static,
        S: Into<Secret>,
        E: fmt::Display + Send + Sync + 'static,
    {
        self.assertion.client_assertion_provider = Some(AssertionProvider::blocking(f));
        self
    }

    /// A ready-made [`AssertionProvider`] (e.g. one shared by several
    /// clients, which then share their tokens).
    pub fn assertion_provider(mut self, provider: AssertionProvider) -> Self {
        self.assertion.client_assertion_provider = Some(provider);
        self
    }

    /// The `aud` of signed assertions: `issuer`, `token_endpoint`, or any
    /// string [issuer when an issuer is configured, else token_endpoint].
    pub fn assertion_audience(mut self, audience: impl Into<String>) -> Self {
        self.assertion.assertion_audience = Some(audience.into());
        self
    }
}
