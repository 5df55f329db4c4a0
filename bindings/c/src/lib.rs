//! # libm2m_auth — the C ABI of m2m-auth
//!
//! Thin glue over the core engine (`core/`, crate `m2m-auth`): every
//! behaviour (cache, single flight, refresh, retries, throttling, redaction,
//! token verification) is the core's; this crate only converts between C and Rust. The header
//! `include/m2m_auth.h` is generated from this crate by cbindgen
//! (`scripts/gen-header.sh`).
//!
//! Conventions (bindings/c/README.md says the same to C users):
//! - names `m2m_<object>_<verb>`; opaque handles with `_new`/`_free` pairs;
//!   `_free(NULL)` does nothing;
//! - every fallible function returns [`m2m_result`]; out-parameters come
//!   last, are named `*_out`, and are written only on success; an optional
//!   `m2m_error **err_out` receives the detail of a failure;
//! - `const` pointers are borrows the library only reads;
//! - every string the library hands out is borrowed from a handle and lives
//!   until that handle's `_free` (or is static): callers never `free()` it
//!   (a DPoP proof and a DPoP nonce excepted: the caller's, each with its
//!   own `_free`);
//! - every `extern "C"` function runs inside a panic boundary and checks its
//!   pointers;
//! - handles are thread-safe; calls that wait for the network block on the
//!   engine's per-process runtime (a forked child gets its own, in the
//!   engine);
//! - the public surface follows the engine's declaration
//!   (`m2m_auth::surface`, `tests/surface.json`): one setter per option and
//!   request parameter, one getter per stat, error field and token field,
//!   durations in milliseconds and instants in milliseconds since the Unix
//!   epoch everywhere (`tests/c/check_parity.py` checks the header).

#![allow(non_camel_case_types)]
// The C ABI takes raw pointers by design; each is checked before use.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
#![deny(unsafe_op_in_unsafe_fn)]

// cbindgen writes the header's items file by file, in this order.
mod api;
mod assertion_provider;
mod assertion_setters;
mod challenge;
mod claims;
mod client;
mod dpop;
mod dpop_setters;
mod error;
mod ffi;
mod headers;
mod logs;
mod mtls_setters;
mod option_cell;
mod option_setters;
mod options;
mod quota;
mod request;
mod result;
mod runtime;
mod stats;
mod token;
mod value;
mod verifier;
mod verifier_dpop_setters;
mod verifier_http;
mod verifier_option_setters;
mod verifier_options;

pub use api::*;
pub use assertion_setters::*;
pub use challenge::*;
pub use claims::*;
pub use client::*;
pub use dpop::*;
pub use error::*;
pub use headers::*;
pub use logs::*;
pub use option_setters::*;
pub use options::*;
pub use request::*;
pub use result::*;
pub use stats::*;
pub use token::*;
pub use verifier::*;
pub use verifier_dpop_setters::*;
pub use verifier_http::*;
pub use verifier_option_setters::*;
pub use verifier_options::*;

use std::ffi::c_char;

/// The library's version, e.g. `"0.1.0"` (static; never freed). Equal to
/// the header's `M2M_AUTH_VERSION` when header and library match.
#[no_mangle]
pub extern "C" fn m2m_version() -> *const c_char {
    ffi::guard_value(std::ptr::null(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

#[cfg(test)]
mod tests {
    /// Every `extern "C"` function runs inside a panic boundary: its body
    /// starts with a call to `guard`, `guard_void`, `guard_value`, or a
    /// helper whose own body starts with one of those.
    #[test]
    fn every_extern_function_has_a_panic_boundary() {
        let sources = [
            ("lib.rs", include_str!("lib.rs")),
            ("api.rs", include_str!("api.rs")),
            ("assertion_setters.rs", include_str!("assertion_setters.rs")),
            ("client.rs", include_str!("client.rs")),
            ("dpop.rs", include_str!("dpop.rs")),
            ("dpop_setters.rs", include_str!("dpop_setters.rs")),
            ("mtls_setters.rs", include_str!("mtls_setters.rs")),
            ("error.rs", include_str!("error.rs")),
            ("logs.rs", include_str!("logs.rs")),
            ("option_setters.rs", include_str!("option_setters.rs")),
            ("options.rs", include_str!("options.rs")),
            ("request.rs", include_str!("request.rs")),
            ("result.rs", include_str!("result.rs")),
            ("stats.rs", include_str!("stats.rs")),
            ("token.rs", include_str!("token.rs")),
            ("challenge.rs", include_str!("challenge.rs")),
            ("claims.rs", include_str!("claims.rs")),
            ("verifier.rs", include_str!("verifier.rs")),
            (
                "verifier_dpop_setters.rs",
                include_str!("verifier_dpop_setters.rs"),
            ),
            ("verifier_http.rs", include_str!("verifier_http.rs")),
            (
                "verifier_option_setters.rs",
                include_str!("verifier_option_setters.rs"),
            ),
            ("verifier_options.rs", include_str!("verifier_options.rs")),
        ];
        // (file, name, is extern "C", first call in its body)
        let mut fns = Vec::new();
        for (file, src) in sources {
            let lines: Vec<&str> = src.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let t = line.trim_start();
                let is_extern = t.starts_with("pub extern \"C\" fn ");
                let helper = t.starts_with("fn ") || t.starts_with("pub(crate) fn ");
                if !(is_extern || helper) || line.len() - t.len() > 0 {
                    continue; // only items at the top level of a module
                }
                let name: String = t[t.find("fn ").unwrap() + 3..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let rest = lines[i..].join("\n");
                let open = rest.find(" {\n").expect("body") + 3;
                let first: String = rest[open..]
                    .trim_start()
                    .trim_start_matches("ffi::")
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                fns.push((file, name, is_extern, first));
            }
        }
        let mut boundaries = vec![
            "guard".to_string(),
            "guard_void".into(),
            "guard_value".into(),
        ];
        let direct = boundaries.clone();
        for (_, name, is_extern, first) in &fns {
            if !is_extern && direct.contains(first) {
                boundaries.push(name.clone());
            }
        }
        let mut count = 0;
        for (file, name, is_extern, first) in &fns {
            if *is_extern {
                assert!(
                    boundaries.contains(first),
                    "{file}: {name} does not start with a panic boundary (starts with {first})"
                );
                count += 1;
            }
        }
        assert!(count > 50, "found only {count} extern functions");
    }

    #[test]
    fn version_is_the_package_version() {
        let v = unsafe { std::ffi::CStr::from_ptr(super::m2m_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
