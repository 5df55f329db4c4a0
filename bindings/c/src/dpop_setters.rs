//! The DPoP options (RFC 9449: sender-constrained tokens), one setter each
//! like `option_setters.rs`. Each only stores its value; `m2m_client_new`
//! reads the key (or generates one) and checks the combination.

use std::ffi::c_char;

use crate::options::{m2m_client_options, set_option};
use crate::result::m2m_result;
use crate::value::CValue;

/// DPoP on or off (default off): tokens are bound to a key the client
/// holds, and every token request and `m2m_client_call_api` carries a proof.
/// Without a key option, a P-256 key is generated for the client.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_dpop(
    options: *mut m2m_client_options,
    value: bool,
) -> m2m_result {
    set_option(options, "dpop", CValue::Flag(value))
}

/// The DPoP key: PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK.
/// Copied into memory that is zeroed when the options and the client are
/// freed; never in an error or log record.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_dpop_key(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "dpop_key", CValue::Str(value))
}

/// A file holding the DPoP key, read by `m2m_client_new`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_dpop_key_file(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "dpop_key_file", CValue::Str(value))
}

/// With DPoP on, accept a server answering `token_type` `Bearer` (default
/// off: such an answer is an `invalid_response` error).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_dpop_accept_bearer(
    options: *mut m2m_client_options,
    value: bool,
) -> m2m_result {
    set_option(options, "dpop_accept_bearer", CValue::Flag(value))
}
