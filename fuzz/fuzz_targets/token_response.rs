//! The token response parser on the fetch path: status, `Retry-After`
//! and body, as `exchange.rs` reads them.
//!
//! Input: `STATUS[ cut]\nRETRY-AFTER\nBODY` (a status that does not parse
//! is 200; ` cut` marks a body cut at the size limit; an empty second line
//! is no header). Checks: no panic; a token is non-empty, at most 32 KiB,
//! `Bearer`, with a lifetime of at most a year; an error never holds the
//! client secret and bounds what the server sent to 512 bytes a field; a
//! wait is at most the `Retry-After` cap (1 h).
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::{token_response, SECRET};
use m2m_auth::ErrorDetail;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let head = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let retry_after = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let status = head
        .split(' ')
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(200);
    let complete = !head.ends_with(" cut");
    let header = (!retry_after.is_empty()).then_some(&*retry_after);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);

    let (parsed, wait, _verdict) = token_response(status, header, body, complete, now);
    if let Some(w) = wait {
        assert!(w <= Duration::from_secs(3600), "Retry-After wait {w:?}");
    }
    match parsed {
        Ok(t) => {
            assert_eq!(status, 200);
            assert!(!t.access_token.is_empty() && t.access_token.len() <= 32 * 1024);
            assert_eq!(t.token_type, "Bearer");
            assert!(t.expires_in <= Duration::from_secs(365 * 24 * 3600));
        }
        Err(e) => {
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains(SECRET), "the secret is in {text:?}");
            }
            match e.detail() {
                ErrorDetail::OAuth {
                    error,
                    error_description,
                    error_uri,
                    ..
                } => {
                    for field in [Some(error), error_description.as_ref(), error_uri.as_ref()] {
                        assert!(field.map_or(0, String::len) <= 512);
                    }
                }
                ErrorDetail::Http { body, .. } => assert!(body.len() <= 512),
                _ => {}
            }
        }
    }
});
