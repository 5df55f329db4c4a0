//! Keeping secrets out of the recorded token requests (`/_control/requests`).
//!
//! The control API hands recorded requests to any test that asks, and tests
//! print them on failure, so a secret is never stored in clear: each
//! secret-bearing value is replaced by its *fingerprint*, which tests compare
//! with the fingerprint of the secret they expect (see PROTOCOL.md).

use ring::digest::{digest, SHA256};

/// Form fields (body or query) whose values are secrets.
const SECRET_FIELDS: [&str; 4] = [
    "client_secret",
    "client_assertion",
    "password",
    "refresh_token",
];

/// Headers whose values carry credentials.
const SECRET_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// The fingerprint of a secret as recorded: `sha256:` followed by the first
/// 16 hex digits (8 bytes) of the SHA-256 of `value`'s bytes.
///
/// Enough to tell the expected secret from any other in a test, too short to
/// serve as a password hash worth attacking (the dev server only ever sees
/// test secrets).
pub fn secret_fingerprint(value: &str) -> String {
    let d = digest(&SHA256, value.as_bytes());
    let mut out = String::with_capacity(23);
    out.push_str("sha256:");
    for b in &d.as_ref()[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// An `application/x-www-form-urlencoded` text with the value of every
/// secret field replaced by the fingerprint of its decoded value; every other
/// byte is kept as sent, so tests still see the exact encoding of the rest.
/// Empty values stay empty (they carry no secret, and the server treats them
/// as absent).
pub(crate) fn redact_form(raw: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    for (i, piece) in raw.split(|&b| b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        match secret_value(piece) {
            Some((name_end, value)) if !value.is_empty() => {
                out.extend_from_slice(&piece[..=name_end]);
                out.extend_from_slice(secret_fingerprint(&value).as_bytes());
            }
            _ => out.extend_from_slice(piece),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// For a `name=value` piece whose decoded name is a secret field: the index
/// of the `=` and the decoded value.
fn secret_value(piece: &[u8]) -> Option<(usize, String)> {
    let eq = piece.iter().position(|&b| b == b'=')?;
    let (name, value) = form_urlencoded::parse(piece).next()?;
    SECRET_FIELDS
        .contains(&name.as_ref())
        .then(|| (eq, value.into_owned()))
}

/// A request target with its query redacted like a form body.
pub(crate) fn redact_target(target: &str) -> String {
    match target.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_form(query.as_bytes())),
        None => target.to_owned(),
    }
}

/// A header value as recorded: credentials headers keep their scheme
/// (`Basic`, `Bearer`, ...) and get the fingerprint of the rest exactly as
/// sent (for Basic, the base64 text); other headers are kept as they are.
pub(crate) fn redact_header(name: &str, value: &str) -> String {
    if !SECRET_HEADERS.contains(&name) {
        return value.to_owned();
    }
    match value.split_once(' ') {
        Some((scheme, rest)) if name != "cookie" => {
            format!("{scheme} {}", secret_fingerprint(rest))
        }
        _ => secret_fingerprint(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_prefix() {
        // printf %s demo-secret | sha256sum
        assert_eq!(secret_fingerprint("demo-secret").len(), 23);
        assert!(secret_fingerprint("").starts_with("sha256:e3b0c44298fc1c14"));
    }

    #[test]
    fn form_keeps_everything_but_secret_values() {
        let fp = secret_fingerprint("a b&c");
        assert_eq!(
            redact_form(b"grant_type=x&client_secret=a+b%26c&client_id=i&client_secret="),
            format!("grant_type=x&client_secret={fp}&client_id=i&client_secret=")
        );
        assert_eq!(
            redact_form(b"client%5Fsecret=s"),
            format!("client%5Fsecret={}", secret_fingerprint("s"))
        );
        assert_eq!(redact_form(b"client_secret"), "client_secret");
        assert_eq!(
            redact_target("/oauth/token?password=p"),
            format!("/oauth/token?password={}", secret_fingerprint("p"))
        );
        assert_eq!(redact_target("/oauth/token"), "/oauth/token");
    }

    #[test]
    fn credentials_headers_keep_their_scheme() {
        assert_eq!(
            redact_header("authorization", "Basic abc="),
            format!("Basic {}", secret_fingerprint("abc="))
        );
        assert_eq!(
            redact_header("authorization", "abc"),
            secret_fingerprint("abc")
        );
        assert_eq!(
            redact_header("cookie", "a=b; c=d"),
            secret_fingerprint("a=b; c=d")
        );
        assert_eq!(redact_header("accept", "a b"), "a b");
    }
}
