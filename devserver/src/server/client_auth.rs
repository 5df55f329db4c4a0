//! Client authentication at the token endpoint: `client_secret_basic`
//! (RFC 6749 §2.3.1: the credentials are form-encoded before base64),
//! `client_secret_post`, a JWT client assertion ([`super::assertion`]:
//! `client_secret_jwt`, `private_key_jwt`), and a client certificate
//! ([`super::mtls_auth`]: `tls_client_auth`, `self_signed_tls_client_auth`)
//! when the body carries `client_id` and no other credential.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use hyper::header::{self, HeaderMap};
use hyper::StatusCode;

use super::assertion::verify_assertion;
use super::mtls_auth::certificate_client;
use super::reply::{oauth_error, Reply};
use super::state::{Client, Shared};
use crate::config::{CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, JWT_BEARER_ASSERTION_TYPE};
use crate::tls::Peer;

const BASIC_REALM: &str = r#"Basic realm="m2m-auth-devserver""#;

/// Authenticates the client of a token request (`params`: the form, empty
/// values already dropped). Returns the client or the error reply (boxed:
/// it is large and rare).
pub(super) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    peer: &Peer,
) -> Result<Arc<Client>, Box<Reply>> {
    let basic = basic_credentials(headers);
    let used_basic = !matches!(basic, BasicCreds::None);
    let invalid_client = |desc: &str| {
        let r = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", desc);
        Box::new(if used_basic {
            r.header(header::WWW_AUTHENTICATE, BASIC_REALM)
        } else {
            r
        })
    };
    let invalid_request = |desc: &str| {
        Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            desc,
        ))
    };

    let assertion = params.get("client_assertion");
    let assertion_type = params.get("client_assertion_type");
    if assertion.is_some() || assertion_type.is_some() {
        if used_basic || params.contains_key("client_secret") {
            return Err(invalid_request(
                "client authenticated with both a client assertion and client_secret or Basic credentials",
            ));
        }
        match assertion_type {
            None => {
                return Err(invalid_request(
                    "client_assertion without client_assertion_type",
                ))
            }
            Some(t) if t != JWT_BEARER_ASSERTION_TYPE => {
                return Err(invalid_request(&format!(
                    "client_assertion_type must be {JWT_BEARER_ASSERTION_TYPE}"
                )))
            }
            Some(_) => {}
        }
        let Some(assertion) = assertion else {
            return Err(invalid_request(
                "client_assertion_type without client_assertion",
            ));
        };
        return verify_assertion(
            shared,
            assertion,
            params.get("client_id").map(String::as_str),
        )
        .map_err(|desc| invalid_client(&desc));
    }

    let (client_id, secret, method) = match basic {
        BasicCreds::Malformed => return Err(invalid_client("malformed Basic credentials")),
        BasicCreds::Some(id, secret) => {
            if params.contains_key("client_secret") {
                return Err(invalid_request(
                    "client authenticated with both Basic and client_secret in the body",
                ));
            }
            if params
                .get("client_id")
                .is_some_and(|body_id| *body_id != id)
            {
                return Err(invalid_request(
                    "client_id in the body differs from the Basic credentials",
                ));
            }
            (id, secret, CLIENT_SECRET_BASIC)
        }
        BasicCreds::None => match (params.get("client_id"), params.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone(), CLIENT_SECRET_POST),
            (Some(id), None) => {
                return certificate_client(shared, id, peer).map_err(|desc| invalid_client(&desc))
            }
            _ => return Err(invalid_client("client authentication required")),
        },
    };
    let client = match shared.clients.read().get(&client_id) {
        Some(c) => c.clone(),
        None => return Err(invalid_client("unknown client or wrong secret")),
    };
    // An empty registered secret (a client that only has keys) matches nothing.
    if client.config.client_secret.is_empty() || client.config.client_secret != secret {
        return Err(invalid_client("unknown client or wrong secret"));
    }
    if !client.config.allows_method(method) {
        return Err(invalid_client(&format!("client may not use {method}")));
    }
    Ok(client)
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

enum BasicCreds {
    None,
    Malformed,
    Some(String, String),
}

fn basic_credentials(headers: &HeaderMap) -> BasicCreds {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BasicCreds::None;
    };
    let Ok(value) = value.to_str() else {
        return BasicCreds::None;
    };
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(' ') else {
        return BasicCreds::None;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicCreds::None;
    }
    let rest = rest.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(rest));
    let Ok(decoded) = decoded else {
        return BasicCreds::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return BasicCreds::Malformed;
    };
    let Some((id, secret)) = decoded.split_once(':') else {
        return BasicCreds::Malformed;
    };
    match (form_decode(id), form_decode(secret)) {
        (Some(id), Some(secret)) => BasicCreds::Some(id, secret),
        _ => BasicCreds::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decode_works() {
        assert_eq!(form_decode("a+b%3Ac").as_deref(), Some("a b:c"));
        assert_eq!(
            form_decode("p%2B%25%2F%3D%3A%C3%A9").as_deref(),
            Some("p+%/=:é")
        );
        assert_eq!(form_decode("100%").as_deref(), Some("100%"));
        assert_eq!(form_decode("%4").as_deref(), Some("%4"));
        assert_eq!(form_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(form_decode("%FF"), None);
    }
}
