//! Server nonces (RFC 9449 §8, §9): the latest `DPoP-Nonce` each origin
//! sent, bounded, so that the next proof to that server carries it.

use std::collections::HashMap;

use crate::process::Mutex;
use url::Url;

/// At most this many origins are remembered (a client talks to a few).
const MAX_ORIGINS: usize = 256;

/// The latest nonce per origin (`scheme://host:port`).
#[derive(Debug, Default)]
pub(crate) struct Nonces(Mutex<HashMap<String, String>>);

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl Nonces {
    /// The nonce `url`'s server sent last, if any.
    pub(crate) fn get(&self, url: &Url) -> Option<String> {
        self.0.lock().get(&origin(url)).cloned()
    }

    /// Remembers `nonce` for `url`'s server. A nonce is short printable
    /// text (RFC 9449 §8.1: NQCHAR); anything else is ignored.
    pub(crate) fn remember(&self, url: &Url, nonce: &str) {
        let ok = !nonce.is_empty()
            && nonce.len() <= 512
            && nonce
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if !ok {
            return;
        }
        let mut map = self.0.lock();
        if map.len() >= MAX_ORIGINS && !map.contains_key(&origin(url)) {
            // Forget an arbitrary one: a forgotten nonce costs one more
            // round trip, never a failure.
            if let Some(k) = map.keys().next().cloned() {
                map.remove(&k);
            }
        }
        map.insert(origin(url), nonce.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_origin_bounded_and_checked() {
        let n = Nonces::default();
        let a = Url::parse("https://a.example/token?x").unwrap();
        let a2 = Url::parse("https://a.example/api").unwrap();
        n.remember(&a, "n1");
        assert_eq!(n.get(&a2).as_deref(), Some("n1"));
        n.remember(&a2, "bad nonce");
        assert_eq!(n.get(&a).as_deref(), Some("n1"));
        for i in 0..1000 {
            n.remember(&Url::parse(&format!("https://h{i}.example/")).unwrap(), "x");
        }
        assert!(n.0.lock().len() <= MAX_ORIGINS);
    }
}
