//! Verifying RFC 9068 access tokens (docs/design.md §10): the API side of
//! the flow. One set of rules for every language: an algorithm allowlist
//! (never `none`, never HMAC), keys only from the configured JWKS, exact
//! issuer, audience, typed and required time claims, size checked first.

mod builder;
mod cache;
mod challenge;
mod claims;
mod dpop;
mod json;
mod jwks;
mod jws;
mod keys;
mod presentation;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use builder::VerifierBuilder;
pub use challenge::{challenge, Challenge};
pub use claims::Claims;
pub use dpop::DpopMode;
pub use presentation::HttpRequest;

use crate::error::{Error, ErrorDetail, Result};
use cache::TokenCache;
use jwks::{Due, RemoteKeys, Snapshot};
use keys::{Alg, KeySet, Lookup};
use presentation::{presented, Scheme};

/// The stable `reason` codes of `invalid_token` errors.
pub mod reason;

/// A verifier's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifierStats {
    /// Tokens that verified (cache hits included; a token lacking a scope
    /// that `verify_request` requires counts here: the token is valid).
    pub verified: u64,
    /// Of those, answered from the verified-token cache.
    pub cache_hits: u64,
    /// JWKS requests made.
    pub jwks_fetches: u64,
    /// Verifications that failed (a missing or malformed `Authorization`
    /// header included).
    pub failures: u64,
}

impl VerifierStats {
    /// Every counter with its name, in the order of
    /// [`crate::surface::VERIFIER_STATS`].
    pub fn fields(&self) -> [(&'static str, u64); 4] {
        [
            ("verified", self.verified),
            ("cache_hits", self.cache_hits),
            ("jwks_fetches", self.jwks_fetches),
            ("failures", self.failures),
        ]
    }
}

/// Verifies RFC 9068 access tokens. Clone is cheap (an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.0.config.issuer)
            .field("audience", &self.0.config.audience)
            .finish_non_exhaustive()
    }
}

/// The checked options.
struct Config {
    issuer: String,
    audience: Vec<String>,
    algorithms: Vec<Alg>,
    /// Seconds.
    leeway: f64,
    strict_typ: bool,
    max_token_bytes: usize,
}

enum KeySource {
    Static(Arc<KeySet>),
    Remote(Box<RemoteKeys>),
}

struct Inner {
    config: Config,
    dpop: dpop::DpopVerifier,
    keys: KeySource,
    cache: TokenCache,
    headers: jws::HeaderMemo,
    verified: AtomicU64,
    cache_hits: AtomicU64,
    failures: AtomicU64,
}

/// One step of a verification: done, or a JWKS fetch needed first.
enum Step {
    Done(Result<Claims>),
    Fetch(Due),
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Inner {
    fn new(config: Config, dpop: dpop::DpopVerifier, keys: KeySource, cache_size: usize) -> Self {
        Inner {
            config,
            dpop,
            keys,
            cache: TokenCache::new(cache_size),
            headers: jws::HeaderMemo::default(),
            verified: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    fn count(&self, r: Result<Claims>) -> Result<Claims> {
        match &r {
            Ok(_) => self.verified.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.failures.fetch_add(1, Ordering::Relaxed),
        };
        r
    }

    /// Verifies `token` with the keys held; `after_fetch` when a fetch was
    /// just made (so no other is asked for).
    fn step(&self, token: &str, after_fetch: bool) -> Step {
        let c = &self.config;
        if token.len() > c.max_token_bytes {
            return Step::Done(Err(Error::invalid_token(
                reason::TOO_LARGE,
                format!("the token is longer than {} bytes", c.max_token_bytes),
            )));
        }
        let now = now_secs();
        if let Some(hit) = self.cache.get(token, now, c.leeway) {
            if hit.is_ok() {
                self.cache_hits.fetch_add(1, Ordering::Relaxed);
            }
            return Step::Done(hit);
        }
        self.step_uncached(token, now, after_fetch)
    }

    /// [`Inner::step`] for a token not in the verified-token cache (its own
    /// function: the decoding buffers stay off the cached path).
    #[inline(never)]
    fn step_uncached(&self, token: &str, now: f64, after_fetch: bool) -> Step {
        let c = &self.config;
        let rules = jws::HeaderRules {
            algorithms: &c.algorithms,
            strict_typ: c.strict_typ,
            memo: &self.headers,
        };
        let mut scratch = jws::Scratch::new();
        let jws = match jws::parse(token, &rules, &mut scratch) {
            Ok(j) => j,
            Err(e) => return Step::Done(Err(e)),
        };
        let kid = jws.kid.as_deref();
        let checked = match &self.keys {
            KeySource::Static(set) => set.verify(kid, jws.alg, jws.signing_input, jws.signature),
            KeySource::Remote(remote) => {
                let set = match remote.snapshot(after_fetch) {
                    Snapshot::Keys(set) => set,
                    Snapshot::Fetch(due) => return Step::Fetch(due),
                    Snapshot::Failed(e) => return Step::Done(Err(e)),
                };
                match set.verify(kid, jws.alg, jws.signing_input, jws.signature) {
                    Err(Lookup::Unknown) if !after_fetch => match remote.may_refetch() {
                        Some(due) => return Step::Fetch(due),
                        None => Err(Lookup::Unknown),
                    },
                    other => other,
                }
            }
        };
        let result = match checked {
            Ok(true) => {
                let rules = claims::ClaimRules {
                    issuer: &c.issuer,
                    audience: &c.audience,
                    leeway: c.leeway,
                };
                claims::validate(jws.payload, &rules, now)
            }
            Ok(false) => Err(Error::invalid_token(
                reason::BAD_SIGNATURE,
                format!("the {} signature does not verify", jws.alg.name()),
            )),
            Err(Lookup::Unknown) => Err(Error::invalid_token(
                reason::UNKNOWN_KEY,
                match kid {
                    Some(k) => format!("no key {:?} in the JWKS", jws::scrub(k)),
                    None => {
                        "the token names no kid and the JWKS has not exactly one key for its alg"
                            .into()
                    }
                },
            )),
            Err(Lookup::Refused(e)) => Err(e),
        };
        if let Ok(claims) = &result {
            self.cache.put(token, claims);
        }
        Step::Done(result)
    }
}

impl Verifier {
    /// A builder with every option at its default.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies a bare token (the compact JWS).
    pub async fn verify(&self, token: &str) -> Result<Claims> {
        let inner = &self.0;
        let r = match inner.step(token, false) {
            Step::Done(r) => r,
            Step::Fetch(due) => {
                if let KeySource::Remote(remote) = &inner.keys {
                    remote.refresh(due).await;
                }
                match inner.step(token, true) {
                    Step::Done(r) => r,
                    // Not reached: after a fetch no other is asked for.
                    Step::Fetch(_) => Err(Error::invalid_response("the JWKS could not be loaded")),
                }
            }
        };
        inner.count(r)
    }

    /// [`Verifier::verify`] without awaiting, when no I/O is needed (keys
    /// held, or a verified-token cache hit): `None` means a JWKS fetch is
    /// due; call `verify`. For bindings' synchronous fast path.
    pub fn verify_now(&self, token: &str) -> Option<Result<Claims>> {
        match self.0.step(token, false) {
            Step::Done(r) => Some(self.0.count(r)),
            Step::Fetch(_) => None,
        }
    }

    /// Verifies the `Authorization` header as it arrived (`Bearer <token>`,
    /// scheme case-insensitive, one space or more; none, another scheme or
    /// an empty token → `invalid_token` reason `missing`), then requires
    /// every scope in `scopes` (a missing one → `insufficient_scope`). A
    /// DPoP-bound token is refused (`dpop_bound`): its proof needs the
    /// request, which [`Verifier::verify_http_request`] takes.
    pub async fn verify_request(
        &self,
        authorization: Option<&str>,
        scopes: &[&str],
    ) -> Result<Claims> {
        let token = match bearer(authorization) {
            Ok(t) => t,
            Err(e) => return self.0.count(Err(e)),
        };
        let claims = self.verify(token).await?;
        self.0
            .presented_as_bearer(claims)
            .and_then(|c| require(c, scopes))
    }

    /// [`Verifier::verify_request`] without awaiting; `None` as for
    /// [`Verifier::verify_now`].
    pub fn verify_request_now(
        &self,
        authorization: Option<&str>,
        scopes: &[&str],
    ) -> Option<Result<Claims>> {
        let token = match bearer(authorization) {
            Ok(t) => t,
            Err(e) => return Some(self.0.count(Err(e))),
        };
        let claims = self.verify_now(token)?;
        Some(
            claims
                .and_then(|c| self.0.presented_as_bearer(c))
                .and_then(|c| require(c, scopes)),
        )
    }

    /// Verifies a request as it arrived, `Bearer` or `DPoP` (RFC 9449 §7):
    /// a `DPoP` token must be bound to a key (`cnf.jkt`) and come with one
    /// proof of this request (method, URL, the token's hash) signed by
    /// that key, recent, never used before, carrying this API's nonce in
    /// nonce mode; a bound token as `Bearer` is refused; then every scope
    /// of `scopes` is required. The `dpop` option decides which schemes
    /// are taken. Errors as for [`Verifier::verify_request`], with the
    /// DPoP reasons; [`Verifier::challenge`] gives the answer.
    pub async fn verify_http_request(
        &self,
        request: &HttpRequest<'_>,
        scopes: &[&str],
    ) -> Result<Claims> {
        let (scheme, token) = match presented(request.authorization, self.0.dpop.mode) {
            Ok(p) => p,
            Err(e) => return self.0.count(Err(e)),
        };
        let claims = self.verify(token).await?;
        self.0
            .presented(scheme, token, claims, request)
            .and_then(|c| require(c, scopes))
    }

    /// [`Verifier::verify_http_request`] without awaiting; `None` as for
    /// [`Verifier::verify_now`].
    pub fn verify_http_request_now(
        &self,
        request: &HttpRequest<'_>,
        scopes: &[&str],
    ) -> Option<Result<Claims>> {
        let (scheme, token) = match presented(request.authorization, self.0.dpop.mode) {
            Ok(p) => p,
            Err(e) => return Some(self.0.count(Err(e))),
        };
        let claims = self.verify_now(token)?;
        Some(
            claims
                .and_then(|c| self.0.presented(scheme, token, c, request))
                .and_then(|c| require(c, scopes)),
        )
    }

    /// The answer to a failed verification of `request` (see
    /// [`challenge`]), with this verifier's DPoP options: a DPoP
    /// presentation or a DPoP reason gets a `DPoP` challenge with `algs`
    /// (`invalid_dpop_proof`, `use_dpop_nonce`, `invalid_token`), a request
    /// without a token is offered every scheme taken, and in nonce mode a
    /// 401 carries the nonce to use.
    pub fn challenge(
        &self,
        error: &Error,
        authorization: Option<&str>,
        realm: Option<&str>,
    ) -> Challenge {
        let d = &self.0.dpop;
        let schemes = challenge::Schemes {
            presented_dpop: matches!(presented(authorization, d.mode), Ok((Scheme::Dpop, _))),
            mode: d.mode,
            algs: &d.algs,
            nonce: d.nonce(now_secs()),
        };
        challenge::answer(error, realm, &schemes)
    }

    /// The DPoP nonce to send now (`DPoP-Nonce`), in nonce mode.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.0.dpop.nonce(now_secs())
    }

    /// The counters.
    pub fn stats(&self) -> VerifierStats {
        let i = &self.0;
        VerifierStats {
            verified: i.verified.load(Ordering::Relaxed),
            cache_hits: i.cache_hits.load(Ordering::Relaxed),
            jwks_fetches: match &i.keys {
                KeySource::Remote(r) => r.fetches(),
                KeySource::Static(_) => 0,
            },
            failures: i.failures.load(Ordering::Relaxed),
        }
    }
}

/// The token of a `Bearer` authorization header.
fn bearer(authorization: Option<&str>) -> Result<&str> {
    let missing = || Error::invalid_token(reason::MISSING, "no bearer token in the request");
    let header = authorization.ok_or_else(missing)?;
    let (scheme, rest) = header.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let token = rest.trim_start_matches(' ').trim_end();
    if token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

fn require(claims: Claims, scopes: &[&str]) -> Result<Claims> {
    if scopes.iter().all(|s| claims.has_scope(s)) {
        return Ok(claims);
    }
    Err(ErrorDetail::InsufficientScope {
        required_scope: scopes.join(" "),
    }
    .into())
}
