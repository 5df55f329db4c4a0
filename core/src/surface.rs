//! The public surface, declared once (docs/design.md §9): every client
//! option, request parameter, stat, error field, token field and client
//! method, and the verifier's options, claims, methods and stats, with
//! their type, unit, default and doc line.
//!
//! The bindings and the CLI take options through this table (one extractor
//! each, driven by [`ValueType`]), the environment is read through it
//! ([`env_name`]), and `tests/surface.json` (its export, checked for drift by
//! `core/tests/surface.rs`) is what every language's parity test enumerates.
//! Adding an option means one row here and one arm in `options.rs`.

use serde::Serialize;

/// What a value is, and so how each language spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A string.
    Text,
    /// A string held in zeroizing memory, never printed.
    Secret,
    /// A boolean.
    Flag,
    /// A non-negative integer.
    Count,
    /// A duration: seconds (float) in Python, the CLI and the environment;
    /// milliseconds in JS and C.
    Duration,
    /// A number between 0 and 1.
    Fraction,
    /// One or more strings (a space-separated string is accepted too).
    List,
    /// Name/value string pairs.
    Map,
    /// PEM text (one or more certificates).
    Pem,
    /// A point in time: seconds since the epoch (float) in Python,
    /// milliseconds since the epoch in JS and C.
    Instant,
    /// Code the engine calls: a Rust closure, a Python callable, a JS
    /// function, a C callback with user data. No environment variable and
    /// no CLI flag: code cannot be given as text.
    Callback,
}

/// One item of the surface.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Item {
    /// The name in snake_case (Rust, Python, C); JS uses [`camel_case`].
    pub name: &'static str,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: ValueType,
    /// Its default, for people ("" when there is none).
    pub default: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

const fn item(name: &'static str, ty: ValueType, default: &'static str, doc: &'static str) -> Item {
    Item {
        name,
        ty,
        default,
        doc,
    }
}

use ValueType::*;

/// Every client option, in the order the docs list them. Each is also read
/// from the environment variable [`env_name`] by `from_env`.
#[rustfmt::skip]
pub const CLIENT_OPTIONS: &[Item] = &[
    item("token_url", Text, "", "The token endpoint URL (exactly one of token_url, domain, issuer)."),
    item("domain", Text, "", "An Auth0-style domain: the token endpoint is https://{domain}/oauth/token."),
    item("issuer", Text, "", "An issuer whose metadata (OpenID Connect Discovery, then RFC 8414) names the token endpoint."),
    item("client_id", Text, "", "The client id (required)."),
    item("client_secret", Secret, "", "The client secret (required by the secret methods and client_secret_jwt; held in zeroizing memory, never printed)."),
    item("auth_method", Text, "client_secret_post", "How the client authenticates: client_secret_post, client_secret_basic, client_secret_jwt, private_key_jwt (the default when a key or assertion is set), tls_client_auth (the default when only a client certificate is set) or self_signed_tls_client_auth."),
    item("private_key", Secret, "", "private_key_jwt: the private key, PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK (JSON); never printed."),
    item("private_key_file", Text, "", "private_key_jwt: a file holding the private key, re-read when it changes."),
    item("key_id", Text, "", "The kid of signed client assertions (default: the JWK's kid, else none)."),
    item("signing_alg", Text, "", "The alg of signed client assertions: RS256 (RSA default), PS256, ES256 (P-256), ES384 (P-384), EdDSA; HS256 (client_secret_jwt default), HS384, HS512."),
    item("client_assertion", Secret, "", "private_key_jwt: a ready client assertion (a JWT), sent as is; never printed."),
    item("client_assertion_file", Text, "", "private_key_jwt: a file holding a client assertion, re-read when it changes (e.g. a Kubernetes projected token)."),
    item("client_assertion_provider", Callback, "", "private_key_jwt: code returning a client assertion for each request attempt (sync or async), told client_id, audience and token_endpoint; its result is never printed."),
    item("assertion_audience", Text, "", "The aud of signed client assertions: issuer (default with an issuer, or with a domain: https://{domain}/, as Auth0 requires), token_endpoint (default otherwise) or any string."),
    item("client_certificate", Pem, "", "Mutual TLS (RFC 8705): the client certificate chain, PEM, leaf first; presented in every TLS handshake (token requests and call_api)."),
    item("client_certificate_file", Text, "", "Mutual TLS: a file holding the client certificate chain (PEM, leaf first); with client_key_file, both re-read when they change."),
    item("client_key", Secret, "", "Mutual TLS: the client certificate's private key, PEM (PKCS#8, PKCS#1 RSA, SEC1 EC); never printed."),
    item("client_key_file", Text, "", "Mutual TLS: a file holding the client certificate's private key; with client_certificate_file, both re-read when they change."),
    item("dpop", Flag, "false", "DPoP (RFC 9449): bind tokens to a key this client holds; every token request and call_api carries a proof. Without dpop_key or dpop_key_file, a P-256 key is generated per client."),
    item("dpop_key", Secret, "", "DPoP: the key, PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK (JSON): ES256 (P-256), ES384, EdDSA, RS256 (PS256 by the JWK's alg); never printed."),
    item("dpop_key_file", Text, "", "DPoP: a file holding the key, re-read when it changes (at the next token request); tokens then follow the new key."),
    item("dpop_accept_bearer", Flag, "false", "DPoP: accept a server that answers token_type Bearer (else an invalid_response error)."),
    item("audience", Text, "", "Default audience: the API the token is for."),
    item("scope", List, "", "Default scopes."),
    item("organization", Text, "", "Default Auth0 organization."),
    item("resource", List, "", "Default RFC 8707 resource indicators."),
    item("extra", Map, "", "Default extra form parameters."),
    item("timeout", Duration, "30 s", "Overall deadline of one token request, retries included."),
    item("connect_timeout", Duration, "10 s", "Deadline of one connection attempt."),
    item("max_response_bytes", Count, "1048576", "Largest response body read (at least 1024)."),
    item("ca_certs", Pem, "", "PEM certificates trusted in addition to the OS trust store, by HTTPS and by a rediss… cache."),
    item("proxy", Text, "", "Proxy URL for token requests (instead of HTTPS_PROXY and friends)."),
    item("no_proxy", Flag, "false", "Ignore the proxy environment variables."),
    item("leeway", Duration, "60 s", "A token is usable until its expiry minus this (at most half its lifetime)."),
    item("refresh_ratio", Fraction, "0.75", "Fraction of a token's lifetime after which it is refreshed in the background."),
    item("refresh_jitter", Fraction, "0", "Up to this fraction of a token's lifetime, at random per token, is taken off its refresh point (spreads a fleet's refreshes)."),
    item("default_expires_in", Duration, "600 s", "Lifetime assumed when a response has no expires_in."),
    item("max_attempts", Count, "3", "Attempts per token request, the first included."),
    item("retry_base_delay", Duration, "1 s", "Backoff before the second attempt; doubled for each later one."),
    item("retry_max_delay", Duration, "30 s", "Longest backoff between two attempts."),
    item("retry_jitter", Fraction, "0.1", "Random spread of each backoff, as a fraction."),
    item("default_throttle", Duration, "5 s", "How long a key is throttled after 429/5xx without Retry-After."),
    item("max_retry_after", Duration, "3600 s", "Cap on any Retry-After the server asks for."),
    item("cache", Text, "memory", "Token cache: memory, file:/dir, redis://host:port/db, redis+cluster://h1:p1,h2:p2, redis+sentinel://h1:p1,h2:p2/master or rediss…"),
    item("cache_strict", Flag, "false", "With a shared cache: fail with a cache error instead of degrading."),
    item("lease_ttl", Duration, "10 s", "With a shared cache: how long a key's fetch lease outlives a holder that died (a live holder renews it while its request runs)."),
    item("store_timeout", Duration, "0.5 s", "With a shared cache: deadline of one store operation."),
    item("max_cache_keys", Count, "10000", "Bound of the in-memory cache (a client with another bound gets its own)."),
];

/// The options that stand in for a client secret: with one of them set (and
/// no `auth_method` saying otherwise), no client secret is required, as
/// the credential is a key, an assertion or a client certificate
/// (`private_key_jwt` or `tls_client_auth` by default). Front ends that
/// check for a missing secret early (the CLI) use this list, so they never
/// disagree with the engine; `client_assertion_provider` is code, set only
/// through a language's API, so it is not here.
pub const SECRET_STAND_INS: &[&str] = &[
    "private_key",
    "private_key_file",
    "client_assertion",
    "client_assertion_file",
    "client_certificate",
    "client_certificate_file",
];

/// The per-call request parameters (each also a client option: its default).
#[rustfmt::skip]
pub const REQUEST_PARAMETERS: &[Item] = &[
    item("audience", Text, "", "The API the token is for."),
    item("scope", List, "", "Scopes."),
    item("organization", Text, "", "Auth0 organization id or name."),
    item("resource", List, "", "RFC 8707 resource indicators."),
    item("extra", Map, "", "Further form parameters."),
];

/// A client's counters ([`crate::Stats`]).
#[rustfmt::skip]
pub const STATS: &[Item] = &[
    item("hits", Count, "", "Calls answered from the cache."),
    item("misses", Count, "", "Calls that waited for a token request."),
    item("fetches", Count, "", "Token requests this client made."),
    item("refreshes", Count, "", "Of those, background refreshes of a still-usable token."),
    item("failures", Count, "", "Token requests that ended in an error."),
    item("shared_hits", Count, "", "Tokens taken from the shared cache."),
    item("store_errors", Count, "", "Shared cache operations that failed."),
    item("throttles", Count, "", "Calls refused as throttled without a request (Retry-After, rate limit or exhausted quota)."),
    item("quota_remaining", Count, "", "The lowest remaining token quota over the current buckets (absent when the server reports none)."),
];

/// The fields of an error ([`crate::Error::field`]); absent ones are null.
#[rustfmt::skip]
pub const ERROR_FIELDS: &[Item] = &[
    item("code", Text, "", "The error code: config, oauth, http, transport, invalid_response, throttled, cache, invalid_token, insufficient_scope."),
    item("message", Text, "", "A description for people, free of secrets."),
    item("error", Text, "", "oauth: the server's error code, e.g. invalid_client."),
    item("error_description", Text, "", "oauth: the server's error_description."),
    item("error_uri", Text, "", "oauth: the server's error_uri."),
    item("status", Count, "", "oauth, http: the HTTP status."),
    item("body", Text, "", "http: the first bytes of the body (at most 512)."),
    item("kind", Text, "", "transport: connect, timeout, reset, tls or io."),
    item("reason", Text, "", "invalid_response, invalid_token: what is wrong (invalid_token: a reason code of docs/design.md §10)."),
    item("required_scope", Text, "", "insufficient_scope: every scope the request requires, space-separated."),
    item("retry_after", Duration, "", "throttled: how long until a request may be sent."),
];

/// The fields of a token ([`crate::Token`]).
#[rustfmt::skip]
pub const TOKEN_FIELDS: &[Item] = &[
    item("access_token", Secret, "", "The access token."),
    item("token_type", Text, "", "Its type (Bearer)."),
    item("expires_in", Duration, "", "Time left until it expires."),
    item("expires_at", Instant, "", "When it expires."),
    item("refresh_at", Instant, "", "When the engine starts refreshing it."),
    item("scope", Text, "", "The granted scope (the requested one when the server names none)."),
    item("fingerprint", Text, "", "A short non-reversible id, safe to log."),
    item("extra", Map, "", "Other fields of the token response (JSON)."),
    item("authorization_header", Secret, "", "The Authorization header value."),
];

/// A client's methods.
#[rustfmt::skip]
pub const CLIENT_METHODS: &[Item] = &[
    item("get_token", Text, "", "A usable token: cached, or requested once for all callers."),
    item("fetch_token", Text, "", "A new token from the endpoint, updating the cache."),
    item("invalidate", Text, "", "Drops the cached token for a request."),
    item("invalidate_rejected", Text, "", "Drops the cached token only if it is the one an API refused."),
    item("call_api", Text, "", "Calls an API with the token; one renewal on 401."),
    item("request_headers", Text, "", "The headers that send a token with one HTTP request: Authorization and, for a DPoP token only, a new DPoP proof; the URL rule checked."),
    item("dpop_proof", Text, "", "A DPoP proof (RFC 9449) for one HTTP request: method, URL and, for an API call, the access token (its ath)."),
    item("dpop_response", Text, "", "Reads an API's answer to a request sent with a token: for a DPoP token, remembers its DPoP-Nonce and is true when it asks for one retry with that nonce; false for Bearer."),
    item("dpop_thumbprint", Text, "", "The RFC 7638 thumbprint of the DPoP key in use (the cnf.jkt of the tokens); none with dpop off."),
    item("stats", Text, "", "The client's counters."),
    item("quota", Text, "", "The token quota the endpoint last reported (Auth0's quota headers): buckets with scope, bucket, quota, remaining, reset_at."),
    item("client_id", Text, "", "The client id."),
    item("auth_method", Text, "", "The authentication method."),
];

/// Every verifier option ([`crate::VerifierBuilder::set`]); not read from
/// the environment.
#[rustfmt::skip]
pub const VERIFIER_OPTIONS: &[Item] = &[
    item("issuer", Text, "", "The issuer: iss must equal it exactly; its metadata names the jwks_uri when neither jwks_uri nor jwks is given (required)."),
    item("jwks_uri", Text, "", "The JWKS URL (https, or http to loopback)."),
    item("jwks", Text, "", "A static JWKS (JSON text) instead of fetching one."),
    item("audience", List, "", "Accepted audiences: aud must name one (required)."),
    item("algorithms", List, "RS256 PS256 ES256 EdDSA", "Allowed algorithms (also RS384 RS512 PS384 PS512 ES384); none and HS* are refused."),
    item("leeway", Duration, "30 s", "Clock leeway for exp, nbf and iat."),
    item("strict_typ", Flag, "true", "typ must be at+jwt; false also accepts JWT or no typ."),
    item("max_token_bytes", Count, "16384", "Largest token accepted, checked before any parsing."),
    item("jwks_cache_ttl", Duration, "300 s", "How long fetched keys are used; the server's Cache-Control max-age shortens it."),
    item("jwks_refetch_interval", Duration, "60 s", "Least time between two JWKS refetches on an unknown kid."),
    item("timeout", Duration, "10 s", "Deadline of one JWKS or discovery fetch."),
    item("ca_certs", Pem, "", "PEM certificates trusted in addition to the OS trust store."),
    item("cache_size", Count, "10000", "Verified-token cache entries; 0 disables the cache."),
    item("dpop", Text, "allowed", "DPoP (RFC 9449): allowed (Bearer tokens, and DPoP-bound ones with a proof), required (DPoP only) or off."),
    item("dpop_algorithms", List, "ES256 ES384 EdDSA RS256 PS256", "Algorithms a DPoP proof may be signed with; none and HS* are refused."),
    item("dpop_max_age", Duration, "60 s", "How old a DPoP proof's iat may be (plus leeway)."),
    item("dpop_replay_cache_size", Count, "100000", "Recent DPoP proofs remembered to refuse a replay; the oldest leave first."),
    item("dpop_nonce", Flag, "false", "DPoP proofs must carry a nonce this API gave (use_dpop_nonce otherwise)."),
    item("dpop_nonce_secret", Secret, "", "The secret DPoP nonces are made with (at least 32 bytes; the same in every process of the API)."),
];

/// The fields of verified claims ([`crate::Claims`]).
#[rustfmt::skip]
pub const CLAIMS_FIELDS: &[Item] = &[
    item("issuer", Text, "", "iss."),
    item("subject", Text, "", "sub, when present."),
    item("audience", List, "", "aud (a string aud gives one entry)."),
    item("client_id", Text, "", "client_id, when present."),
    item("scopes", List, "", "scope (space-separated) or scp (an array)."),
    item("expires_at", Instant, "", "exp."),
    item("issued_at", Instant, "", "iat, when present."),
    item("not_before", Instant, "", "nbf, when present."),
    item("jwt_id", Text, "", "jti, when present."),
];

/// A verifier's methods.
#[rustfmt::skip]
pub const VERIFIER_METHODS: &[Item] = &[
    item("verify", Text, "", "Verifies a bare access token; returns its claims."),
    item("verify_request", Text, "", "Verifies an Authorization header and requires scopes."),
    item("verify_http_request", Text, "", "Verifies a request as it arrived (method, URL, Authorization and DPoP headers), Bearer or DPoP, and requires scopes."),
    item("challenge", Text, "", "The HTTP answer to a failed verification: status, WWW-Authenticate and DPoP-Nonce."),
    item("dpop_nonce", Text, "", "The DPoP nonce to send now (with dpop_nonce on), none otherwise."),
    item("stats", Text, "", "The verifier's counters: verified, cache_hits, jwks_fetches, failures."),
];

/// A verifier's counters ([`crate::VerifierStats`]); they count tokens,
/// not requests.
#[rustfmt::skip]
pub const VERIFIER_STATS: &[Item] = &[
    item("verified", Count, "", "Tokens that verified (cache hits included; a token lacking a required scope counts here)."),
    item("cache_hits", Count, "", "Of those, answered from the verified-token cache."),
    item("jwks_fetches", Count, "", "JWKS requests made."),
    item("failures", Count, "", "Verifications that failed (a missing or malformed Authorization header included)."),
];

/// The verifier option called `name`.
pub fn verifier_option(name: &str) -> Option<&'static Item> {
    VERIFIER_OPTIONS.iter().find(|i| i.name == name)
}

/// The client option called `name`.
pub fn client_option(name: &str) -> Option<&'static Item> {
    CLIENT_OPTIONS.iter().find(|i| i.name == name)
}

/// Whether an item can be given as text (an environment variable, a CLI
/// flag): every type but [`ValueType::Callback`].
pub fn is_text(item: &Item) -> bool {
    item.ty != ValueType::Callback
}

/// The environment variable of a client option: `M2M_AUTH_` + its name in
/// upper case (none is read for a [`ValueType::Callback`]).
pub fn env_name(name: &str) -> String {
    format!("M2M_AUTH_{}", name.to_ascii_uppercase())
}

/// The JS spelling of a snake_case name: the same words in camelCase.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The whole surface as JSON (what `tests/surface.json` holds).
pub fn to_json() -> String {
    #[derive(Serialize)]
    struct Surface {
        client_options: Vec<Entry>,
        request_parameters: Vec<Entry>,
        stats: Vec<Entry>,
        error_fields: Vec<Entry>,
        token_fields: Vec<Entry>,
        client_methods: Vec<Entry>,
        verifier_options: Vec<Entry>,
        claims_fields: Vec<Entry>,
        verifier_methods: Vec<Entry>,
        verifier_stats: Vec<Entry>,
        telemetry: &'static crate::telemetry::names::Names,
    }
    #[derive(Serialize)]
    struct Entry {
        #[serde(flatten)]
        item: Item,
        js: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        env: Option<String>,
    }
    let entries = |items: &[Item], env: bool| {
        items
            .iter()
            .map(|i| Entry {
                item: *i,
                js: camel_case(i.name),
                env: (env && is_text(i)).then(|| env_name(i.name)),
            })
            .collect()
    };
    let surface = Surface {
        client_options: entries(CLIENT_OPTIONS, true),
        request_parameters: entries(REQUEST_PARAMETERS, false),
        stats: entries(STATS, false),
        error_fields: entries(ERROR_FIELDS, false),
        token_fields: entries(TOKEN_FIELDS, false),
        client_methods: entries(CLIENT_METHODS, false),
        verifier_options: entries(VERIFIER_OPTIONS, false),
        claims_fields: entries(CLAIMS_FIELDS, false),
        verifier_methods: entries(VERIFIER_METHODS, false),
        verifier_stats: entries(VERIFIER_STATS, false),
        telemetry: &crate::telemetry::names::NAMES,
    };
    let mut json = serde_json::to_string_pretty(&surface).expect("the surface serializes");
    json.push('\n');
    json
}
