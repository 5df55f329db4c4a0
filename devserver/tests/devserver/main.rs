//! End-to-end tests of the dev/fault server over real TCP, with a tiny raw
//! HTTP/1.1 client (no TLS stack needed, and it can observe resets, stalls
//! and endless bodies byte by byte).
//!
//! One test binary, one module per topic:
//! - `token`: the token endpoint (client authentication, grant and content
//!   type, scopes, audiences, organization);
//! - `client_assertion`: client assertions accepted (`private_key_jwt` with
//!   every algorithm, `client_secret_jwt`), discovery metadata, recordings;
//! - `client_assertion_refusals`: every check an assertion can fail;
//! - `client_registration`: `jwks` and the JWT methods in client registrations;
//! - `endpoints`: discovery, JWKS and the protected `/api`;
//! - `faults`: fault scripts on the token endpoint;
//! - `control`: the control API over HTTP;
//! - `control_access`: the control token, the `Host` check, redacted recordings;
//! - `dpop`: DPoP proofs, bound tokens, nonces, `/api` with DPoP tokens;
//! - `lifecycle`: configuration, 2,000 concurrent clients, shutdown;
//! - `support`: the raw HTTP/1.1 client and helpers; `assertion_support`:
//!   building client assertions with the test keys of `core/tests/verify_keys`.

mod assertion_support;
mod client_assertion;
mod client_assertion_refusals;
mod client_registration;
mod control;
mod control_access;
mod dpop;
mod endpoints;
mod faults;
mod lifecycle;
mod support;
mod token;
