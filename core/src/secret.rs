//! Secrets: zeroized when dropped, never printed.

use std::fmt;
use zeroize::Zeroizing;

/// A secret string (client secret, assertion, access token copy).
///
/// The bytes are wiped when the last owner drops it, and `Debug`/`Display`
/// print `***`, so a secret cannot leak through logging or error formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a string as a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call only where it is sent on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Bytes built from secret parts (a form body, a Basic header, a spelling
/// of the secret). Growing never leaves a copy behind: a `Vec` that
/// reallocates frees its old block without wiping it, so this allocates a
/// bigger buffer itself, copies, and wipes the old one.
#[derive(Default)]
pub(crate) struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// An empty buffer that holds `capacity` bytes before it must grow.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SecretBytes(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    /// Room for `more` bytes, moving to a bigger buffer (and wiping the old
    /// one) if needed.
    fn reserve(&mut self, more: usize) {
        let needed = self.0.len() + more;
        if needed > self.0.capacity() {
            let mut bigger = Vec::with_capacity(needed.max(2 * self.0.capacity()).max(64));
            bigger.extend_from_slice(&self.0);
            // The old buffer is wiped as it drops.
            self.0 = Zeroizing::new(bigger);
        }
    }

    /// Appends `bytes`.
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// Appends `n` zero bytes and returns them, to be written in place.
    pub(crate) fn extend_zeroed(&mut self, n: usize) -> &mut [u8] {
        self.reserve(n);
        let start = self.0.len();
        self.0.resize(start + n, 0);
        &mut self.0[start..]
    }

    /// Appends `value` form-urlencoded (`application/x-www-form-urlencoded`,
    /// as `form_urlencoded::Serializer` writes it).
    pub(crate) fn extend_form_encoded(&mut self, value: &str) {
        for piece in form_urlencoded::byte_serialize(value.as_bytes()) {
            self.extend(piece.as_bytes());
        }
    }

    /// Appends `name=value` to a form body, with `&` before it if needed.
    pub(crate) fn append_pair(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.extend(b"&");
        }
        self.extend_form_encoded(name);
        self.extend(b"=");
        self.extend_form_encoded(value);
    }

    /// The bytes so far.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as a [`Secret`] (moved, not copied); invalid UTF-8, which
    /// the engine never writes, gives an empty secret.
    pub(crate) fn into_secret(mut self) -> Secret {
        match String::from_utf8(std::mem::take(&mut *self.0)) {
            Ok(text) => Secret::new(text),
            Err(e) => {
                drop(Zeroizing::new(e.into_bytes()));
                Secret::new(String::new())
            }
        }
    }

    /// The bytes as `Bytes` that wipe them when the last reference drops
    /// (what the HTTP stack is handed).
    pub(crate) fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from_owner(self.0)
    }
}

impl std::io::Write for SecretBytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for SecretBytes {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.extend(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_body_is_what_form_urlencoded_writes_and_survives_growth() {
        let pairs = [
            ("grant_type", "client_credentials"),
            ("client_secret", "a b+c/d&e=f%g\u{e9}\u{1F512}"),
            ("scope", "read:x write:y"),
        ];
        let mut expected = form_urlencoded::Serializer::new(String::new());
        // Starting small makes it move to bigger buffers several times.
        let mut ours = SecretBytes::with_capacity(1);
        for (k, v) in pairs {
            expected.append_pair(k, v);
            ours.append_pair(k, v);
        }
        assert_eq!(ours.into_secret().expose(), expected.finish());
    }
}
