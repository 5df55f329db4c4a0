//! Discovery documents: the token endpoint an issuer's metadata names.
//!
//! Input: `ISSUER\nDOCUMENT`. Checks: no panic; an endpoint found passes
//! the https rule (`m2m_auth::check_url`), and an https issuer's endpoint
//! is https.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::discovery;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let Ok(issuer) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let body = parts.next().unwrap_or_default();
    if let Ok(endpoint) = discovery(issuer, body) {
        assert!(m2m_auth::check_url(endpoint.as_str()).is_ok(), "{endpoint}");
        if issuer.trim().to_ascii_lowercase().starts_with("https:") {
            assert_eq!(endpoint.scheme(), "https", "{issuer} named {endpoint}");
        }
    }
});
