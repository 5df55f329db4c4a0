//! Client authentication by HTTP Basic (RFC 6749 §2.3.1): the credentials
//! are form-encoded before base64.

use base64::Engine as _;
use hyper::header::{self, HeaderMap};

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

pub(super) enum BasicCreds {
    None,
    Malformed,
    Some(String, String),
}

pub(super) fn basic_credentials(headers: &HeaderMap) -> BasicCreds {
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
