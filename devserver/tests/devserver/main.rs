//! End-to-end tests of the dev/fault server over real TCP, with a tiny raw
//! HTTP/1.1 client (no TLS stack needed, and it can observe resets, stalls
//! and endless bodies byte by byte).
//!
//! One test binary, one module per topic:
//! - `token`: the token endpoint (client authentication, grant and content
//!   type, scopes, audiences, organization);
//! - `endpoints`: discovery, JWKS and the protected `/api`;
//! - `faults`: fault scripts on the token endpoint;
//! - `control`: the control API over HTTP;
//! - `control_access`: the control token, the `Host` check, redacted recordings;
//! - `lifecycle`: configuration, 2,000 concurrent clients, shutdown;
//! - `support`: the raw HTTP/1.1 client and helpers.

mod control;
mod control_access;
mod endpoints;
mod faults;
mod lifecycle;
mod support;
mod token;
