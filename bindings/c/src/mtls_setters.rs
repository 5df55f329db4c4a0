//! The mutual-TLS options (RFC 8705: `tls_client_auth`,
//! `self_signed_tls_client_auth`, and certificate-bound tokens with any
//! method), one setter each like `option_setters.rs`. Each only stores its
//! value; `m2m_client_new` reads the files and checks the pair.

use std::ffi::c_char;

use crate::options::{m2m_client_options, set_option};
use crate::result::m2m_result;
use crate::value::CValue;

/// The client certificate chain, PEM, leaf first. Presented in every TLS
/// handshake of the client (token requests and `m2m_client_call_api`).
/// With no secret, key or assertion, `tls_client_auth` becomes the default
/// `auth_method`.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_certificate(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_certificate", CValue::Str(value))
}

/// A file holding the client certificate chain (PEM, leaf first), read by
/// `m2m_client_new`; with a key file too, both are read again when they
/// change (checked on each token request).
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_certificate_file(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_certificate_file", CValue::Str(value))
}

/// The client certificate's private key: PEM PKCS#8, PKCS#1 RSA or SEC1
/// EC. Copied into memory that is zeroed when the options and the client
/// are freed; never in an error or log record.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_key(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_key", CValue::Str(value))
}

/// A file holding the client certificate's private key, read by
/// `m2m_client_new`; with a certificate file too, both are read again when
/// they change.
#[no_mangle]
pub extern "C" fn m2m_client_options_set_client_key_file(
    options: *mut m2m_client_options,
    value: *const c_char,
) -> m2m_result {
    set_option(options, "client_key_file", CValue::Str(value))
}
