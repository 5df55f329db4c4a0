//! Request handling, one file per job:
//!
//! - [`routing`]: the entry point (`handle`), dispatch by path, discovery and
//!   JWKS, reading bodies, recording token requests;
//! - [`token`]: the token endpoint (grant, scope, audience) and signing
//!   access tokens; [`client_auth`]: client authentication (Basic, post, or
//!   a client assertion, a client certificate); [`mtls_auth`]: the
//!   mutual-TLS methods; [`assertion`]: checking a JWT client assertion
//!   (`client_secret_jwt`, `private_key_jwt`); [`replay`]: the `jti`s of
//!   accepted assertions;
//! - [`quota`]: clients' token quotas (counted, reported, enforced);
//! - [`api`]: the protected `/api`;
//! - [`control`]: the control API (`/_control/...`); [`guard`]: who may use
//!   it (the `Host` check and the control token);
//! - [`fault_steps`]: applying a fault step to a reply;
//! - [`reply`]: the intermediate reply, before fault steps touch it;
//! - [`state`]: what the handlers share (clients, fault scripts, counters).

mod api;
mod assertion;
mod client_auth;
mod control;
mod dpop;
mod fault_steps;
mod guard;
mod mtls_auth;
mod quota;
mod replay;
mod reply;
mod routing;
mod state;
mod token;

pub(crate) use routing::handle;
pub(crate) use state::Shared;
