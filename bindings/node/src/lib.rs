//! The Node.js binding of m2m-auth: napi-rs glue between the engine
//! (`core/`) and the npm package in `node/`.
//!
//! This crate only translates: JS option objects into a
//! `TokenClientBuilder` and `TokenRequest`s through one extractor driven by
//! `m2m_auth::surface` (`options.rs`, over the raw value readers of
//! `js.rs`), engine values into plain JS objects (`out.rs`), engine errors
//! into tagged JS errors carrying every error field (`errors.rs`), engine
//! futures into Promises on a runtime started on first use (`promise.rs`,
//! used by `client.rs` and `verifier.rs`: verifier options go
//! through the same extractor, claims stay in the engine behind a handle), a client's cache epoch into shared
//! memory for the JS fast path (`epoch.rs`), and engine logs into calls of a
//! JS logger (`logs.rs`). Every decision about tokens (freshness, caching,
//! single flight, retries, the 401 renewal) and about access tokens
//! (every validation rule, the RFC 6750 challenge) is the engine's.
//!
//! The exported functions are internal (`node/index.js` is the public API)
//! and are left out of the generated `index.d.ts`, whose text is
//! `node/src/index.d.ts.head`.

#![deny(clippy::all)]

pub mod client;
mod deliver;
pub mod epoch;
mod errors;
mod js;
pub mod logs;
mod options;
pub mod out;
mod promise;
mod provider;
pub mod telemetry;
pub mod verifier;
