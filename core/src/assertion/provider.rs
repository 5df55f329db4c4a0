//! `client_assertion_provider`: user code that supplies the client assertion
//! of `private_key_jwt` (a workload-identity SDK, a KMS or HSM signer, a
//! vault), called for every token request attempt, retries included. What
//! it returns is never kept, logged, or put in an error; a failure is a
//! `config` error naming only the failure's type, with the failure itself as
//! the error's `source()` (the bindings chain the original exception).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The largest assertion a provider may return (bytes): a JWT larger than
/// this is no client assertion (the verifier's `max_token_bytes` default).
pub const MAX_PROVIDED_ASSERTION_BYTES: usize = 16 * 1024;

/// What the assertion a provider returns must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionRequest {
    /// `iss` and `sub`: the client id.
    pub client_id: String,
    /// `aud`: the assertion audience (`assertion_audience`: the issuer, the
    /// token endpoint, or the configured string).
    pub audience: String,
    /// The token endpoint the assertion is sent to.
    pub token_endpoint: String,
}

/// How a provider failed: the name of its error's type (the only part of
/// it the engine's message shows) and the error itself, kept as the
/// `source()` of the engine's error.
#[derive(Clone)]
pub struct ProviderError {
    type_name: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl ProviderError {
    /// A failure of type `type_name` (e.g. a Python exception's class
    /// name), with `source` as the engine error's `source()`.
    pub fn new(
        type_name: impl Into<String>,
        source: Option<Arc<dyn StdError + Send + Sync>>,
    ) -> ProviderError {
        ProviderError {
            type_name: type_name.into(),
            source,
        }
    }

    /// A failure whose only description is `message` (a binding's own,
    /// e.g. "returned int, not str"): never the provider's value.
    pub fn invalid(message: impl Into<String>) -> ProviderError {
        ProviderError::new(message, None)
    }

    fn into_error(self) -> Error {
        let e = Error::config(format!(
            "client_assertion_provider failed: {}",
            self.type_name
        ));
        match self.source {
            Some(s) => e.with_source(s),
            None => e,
        }
    }
}

impl fmt::Debug for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderError")
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

/// The future a provider returns.
pub type ProviderFuture =
    Pin<Box<dyn Future<Output = std::result::Result<Secret, ProviderError>> + Send>>;

type ProviderFn = dyn Fn(AssertionRequest) -> ProviderFuture + Send + Sync;

/// A `client_assertion_provider`: cloned cheaply; clients built with the
/// same one (clones included) share cached tokens, clients with another
/// provider never do (its identity in the cache key is a number unique in
/// the process).
#[derive(Clone)]
pub struct AssertionProvider {
    call: Arc<ProviderFn>,
    id: u64,
}

/// A user error shown by its `Display` through `source()` only.
struct Displayed<E>(E);

impl<E: fmt::Display> fmt::Display for Displayed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: fmt::Display> fmt::Debug for Displayed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: fmt::Display> StdError for Displayed<E> {}

impl AssertionProvider {
    /// A provider from a function returning a [`ProviderFuture`] (for the
    /// bindings, which name their errors' types themselves).
    pub fn from_fn(f: impl Fn(AssertionRequest) -> ProviderFuture + Send + Sync + 'static) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        AssertionProvider {
            call: Arc::new(f),
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// A provider from an async closure returning the assertion or an error
    /// (named in the engine's message by its type, kept as its `source()`).
    pub fn new<F, Fut, S, E>(f: F) -> Self
    where
        F: Fn(AssertionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<S, E>> + Send + 'static,
        S: Into<Secret>,
        E: fmt::Display + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        AssertionProvider::from_fn(move |request| {
            let fut = f(request);
            Box::pin(async move { fut.await.map(Into::into).map_err(provider_error) })
        })
    }

    /// A provider from a blocking closure: run on the runtime's blocking
    /// threads (it may wait on a KMS or a vault without stalling others).
    pub fn blocking<F, S, E>(f: F) -> Self
    where
        F: Fn(AssertionRequest) -> std::result::Result<S, E> + Send + Sync + 'static,
        S: Into<Secret>,
        E: fmt::Display + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        AssertionProvider::from_fn(move |request| {
            let f = f.clone();
            Box::pin(async move {
                let call = move || f(request).map(Into::into).map_err(provider_error);
                match tokio::task::spawn_blocking(call).await {
                    Ok(r) => r,
                    Err(e) if e.is_panic() => Err(ProviderError::new("panic", None)),
                    Err(_) => Err(ProviderError::new("cancelled", None)),
                }
            })
        })
    }

    /// The number that identifies this provider in the process.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Calls the provider and checks what it returns: a `config` error if it
    /// failed, or returned an empty, oversized or malformed assertion
    /// (never quoting it).
    pub(crate) async fn call(&self, request: AssertionRequest) -> Result<Secret> {
        let assertion = (self.call)(request)
            .await
            .map_err(ProviderError::into_error)?;
        if assertion.expose().trim().is_empty() {
            return Err(Error::config(
                "client_assertion_provider returned an empty assertion",
            ));
        }
        if assertion.expose().len() > MAX_PROVIDED_ASSERTION_BYTES {
            return Err(Error::config(format!(
                "client_assertion_provider returned more than {MAX_PROVIDED_ASSERTION_BYTES} bytes"
            )));
        }
        super::check_ready(assertion.expose(), "client_assertion_provider's assertion")
    }
}

fn provider_error<E: fmt::Display + Send + Sync + 'static>(e: E) -> ProviderError {
    ProviderError::new(std::any::type_name::<E>(), Some(Arc::new(Displayed(e))))
}

impl fmt::Debug for AssertionProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssertionProvider(#{})", self.id)
    }
}
