//! The client-assertion options (`private_key_jwt`, `client_secret_jwt`),
//! one setter each like `option_setters.rs` (kept apart so that each file
//! stays short). Each only stores its value; `m2m_client_new` checks them.

use std::ffi::c_char;

use crate::options::{m2m_client_options, set_option};
use crate::result::m2m_result;
use crate::value::CValue;

/// The private key of `private_key_jwt`: PEM (PKCS#8, PKCS#1 RSA, SEC1
/// EC) or a private JWK as JSON. Copied into memory that is zeroed when the
/// options and the client are freed; never in an error or log record.
/// Setting a key makes `private_key_jwt` the default `auth_method`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_private_key(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "private_key", CValue::Str(value))
}

/// A file holding the private key of `private_key_jwt`, read by
/// `m2m_client_new` and again whenever it changes (checked on each token
/// request).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_private_key_file(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "private_key_file", CValue::Str(value))
}

/// The `kid` of signed client assertions [the JWK's `kid`, else none].
#[no_mangle]
pub extern "C" fn m2m_client_options_set_key_id(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "key_id", CValue::Str(value))
}

/// The `alg` of signed client assertions: `"RS256"` (the default for
/// RSA), `"PS256"`, `"ES256"` (P-256), `"ES384"` (P-384), `"EdDSA"`; for
/// `client_secret_jwt` `"HS256"` (its default), `"HS384"`, `"HS512"`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_signing_alg(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "signing_alg", CValue::Str(value))
}

/// A ready client assertion (a JWT) for `private_key_jwt`, sent as is.
/// Copied into memory that is zeroed when freed; never in an error or log.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_assertion(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_assertion", CValue::Str(value))
}

/// A file holding a client assertion for `private_key_jwt`, read again
/// whenever it changes (e.g. a Kubernetes projected service account token).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_assertion_file(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_assertion_file", CValue::Str(value))
}

/// The `aud` of signed client assertions: `"issuer"` [with an issuer, or
/// with a domain: `https://{domain}/`, as Auth0 requires],
/// `"token_endpoint"` [otherwise], or any string.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_assertion_audience(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "assertion_audience", CValue::Str(value))
}
