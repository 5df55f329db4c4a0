//! # m2m-auth
//!
//! The OAuth 2.0 Client Credentials grant (RFC 6749 §4.4) for machine-to-machine
//! apps: request a token for an API, cache it, refresh it before it expires,
//! never stampede the token endpoint, survive its outages, never leak a secret.
//! The same engine backs the Python, Node and C packages; `docs/design.md` is the
//! behaviour contract all of them honour.
//!
//! ```no_run
//! use m2m_auth::{TokenClient, TokenRequest};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = TokenClient::builder()
//!     .domain("your-tenant.auth0.com")
//!     .client_id("YOUR_CLIENT_ID")
//!     .client_secret(std::env::var("CLIENT_SECRET")?)
//!     .audience("https://api.example.com")
//!     .build()?;
//! let token = client.get_token(&TokenRequest::default()).await?;
//! // Call the API with `Authorization: Bearer <token>`.
//! println!("{}", token.authorization_header().len());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod api;
mod assertion;
mod auth;
mod builder;
mod cache;
mod client;
mod clock;
mod config;
mod deferred;
mod discovery;
mod dpop;
mod epoch;
mod error;
mod error_field;
mod exchange;
mod fetch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod headers;
mod http;
mod jose;
mod key;
mod lifetime;
pub mod logs;
mod mtls;
mod options;
mod process;
#[cfg(test)]
mod proptests;
mod quota;
mod redact;
mod request;
mod response;
mod retry;
mod secret;
mod shared;
mod slots;
mod stats;
mod store;
pub mod surface;
pub mod telemetry;
mod token;
pub mod verify;

pub use api::{ApiResponse, MAX_API_RESPONSE_BYTES};
pub use assertion::provider::{
    AssertionProvider, AssertionRequest, ProviderError, ProviderFuture,
    MAX_PROVIDED_ASSERTION_BYTES,
};
pub use builder::TokenClientBuilder;
pub use cache::{CacheEpoch, MemoryCache, DEFAULT_MAX_KEYS};
pub use client::{GetToken, TokenClient};
pub use config::AuthMethod;
pub use error::{Error, ErrorDetail, ErrorKind, Result, TransportKind};
pub use error_field::FieldValue;
pub use headers::RequestHeaders;
pub use options::{duration_from_millis, duration_from_secs, OptionValue};
pub use process::runtime;
pub use quota::QuotaBucket;
pub use redact::fingerprint;
pub use request::TokenRequest;
pub use response::{
    parse_expires_in, parse_retry_after, parse_token_response, ResponseRules, TokenResponse,
};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use stats::Stats;
pub use token::Token;
pub use verify::{
    challenge, Challenge, Claims, DpopMode, HttpRequest, Verifier, VerifierBuilder, VerifierStats,
};

/// Checks the rule docs/design.md §1 sets for any URL that will carry credentials or
/// a token: `https://`, or `http://` only to a loopback host (127.0.0.0/8,
/// ::1, `localhost`). A `config` error otherwise. For API helpers in the
/// bindings, so that they refuse what [`TokenClient::call_api`] refuses.
///
/// Adapters call it on every request, so the common spellings
/// (`https://host/...`, `http://127.0.0.1:port/...`) are accepted without
/// parsing the URL; anything else gets the full check.
pub fn check_url(url: &str) -> Result<()> {
    if config::plainly_allowed(url) {
        return Ok(());
    }
    config::check_url(url, "URL").map(|_| ())
}

/// Whether a redirect from `first` to `next` may carry the token's headers
/// (docs/design.md §4, redirects): only to the first request's origin
/// (scheme, host and port, the default port made explicit; RFC 6454). False
/// when either is not an absolute URL. For the bindings' HTTP adapters, so
/// that every language draws the line in the same place.
pub fn same_origin(first: &str, next: &str) -> bool {
    match (url::Url::parse(first), url::Url::parse(next)) {
        (Ok(a), Ok(b)) => {
            let (a, b) = (a.origin(), b.origin());
            a.is_tuple() && a == b
        }
        _ => false,
    }
}
