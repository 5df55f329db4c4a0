//! Discovery documents: the token endpoint an issuer's metadata names.
//!
//! Input: `ISSUER\nDOCUMENT`. Checks: no panic; an endpoint found passes
//! the https rule (`m2m_auth::check_url`), and an https issuer's endpoint
//! is https; an error quotes at most a bounded part of the document; the
//! URL rule's fast path (`config::plainly_allowed`) allows no issuer that
//! its full check refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::{discovery, url_rule};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let Ok(issuer) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let body = parts.next().unwrap_or_default();
    // The URL rule's fast path never allows what its full check refuses.
    let (plainly, allowed) = url_rule(issuer);
    assert!(allowed || !plainly, "{issuer:?} passes the fast path only");
    match discovery(issuer, body) {
        Ok(endpoint) => {
            assert!(m2m_auth::check_url(endpoint.as_str()).is_ok(), "{endpoint}");
            if issuer.trim().to_ascii_lowercase().starts_with("https:") {
                assert_eq!(endpoint.scheme(), "https", "{issuer} named {endpoint}");
            }
        }
        // An error may quote the issuer (configuration; Debug-escaped, so
        // up to 6 bytes a byte) but only a part of what the document says.
        Err(e) => {
            let len = e.to_string().len();
            assert!(len <= 8 * issuer.len() + 2048, "a {len}-byte message");
        }
    }
});
