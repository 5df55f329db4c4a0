//! Who may use the control API: a request must name this server in `Host`
//! (so a web page that rebinds its DNS name to 127.0.0.1 is refused) and
//! carry the control token printed at start (so another local user or
//! process that merely finds the port is refused).

use hyper::header::{self, HeaderMap};
use hyper::StatusCode;
use ring::rand::{SecureRandom, SystemRandom};

use super::reply::{plain_error, Reply};

/// A fresh control token: 32 bytes from the system CSPRNG, as 64 hex digits.
pub(crate) fn new_control_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `None` if the request may use the control API, else the refusal:
/// 403 for a `Host` other than `127.0.0.1:PORT`, `localhost:PORT` or
/// `[::1]:PORT`; 401 (with `WWW-Authenticate: Bearer`) without
/// `Authorization: Bearer <control token>`. Neither echoes what was sent.
pub(super) fn refuse(headers: &HeaderMap, port: u16, token: &str) -> Option<Reply> {
    if !host_is_loopback(headers, port) {
        return Some(plain_error(
            StatusCode::FORBIDDEN,
            format!("control API: Host must be 127.0.0.1:{port}, localhost:{port} or [::1]:{port}"),
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => None,
        _ => Some(
            plain_error(
                StatusCode::UNAUTHORIZED,
                "control API: needs Authorization: Bearer <control_token from the startup line>",
            )
            .header(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"m2m-auth-devserver control\"",
            ),
        ),
    }
}

/// Exactly one `Host` header naming a loopback address and this port
/// (ASCII case-insensitive; without a port only when the port is 80).
fn host_is_loopback(headers: &HeaderMap, port: u16) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}") || (port == 80 && host == *name))
}

/// Compares without an early exit, so timing does not reveal how much of a
/// guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(host: &str, auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn token_is_random_hex() {
        let (a, b) = (new_control_token(), new_control_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn host_and_token_are_both_required() {
        let ok = |h: &str, a: Option<&str>| refuse(&headers(h, a), 8080, "tok").map(|r| r.status);
        assert_eq!(ok("127.0.0.1:8080", Some("Bearer tok")), None);
        assert_eq!(ok("LOCALHOST:8080", Some("bearer tok")), None);
        assert_eq!(ok("[::1]:8080", Some("Bearer tok")), None);
        assert_eq!(ok("127.0.0.1:8080", None), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(
            ok("127.0.0.1:8080", Some("Bearer to")),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            ok("127.0.0.1:8080", Some("Basic tok")),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            ok("127.0.0.1", Some("Bearer tok")),
            Some(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            ok("evil.example:8080", Some("Bearer tok")),
            Some(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            ok("127.0.0.1:8081", Some("Bearer tok")),
            Some(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            refuse(&HeaderMap::new(), 8080, "tok").map(|r| r.status),
            Some(StatusCode::FORBIDDEN)
        );
    }
}
