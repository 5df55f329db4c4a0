//! Scrubbing credentials out of text that came from elsewhere (a server's
//! error body can echo what we sent), and fingerprints for logging tokens.

use base64::Engine as _;
use ring::digest;

use zeroize::Zeroizing;

use crate::secret::{Secret, SecretBytes};

/// Replaces every spelling of a client's credentials with `***`.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    needles: Vec<Secret>,
    /// What replaces a secret: `***`, unless a spelling of the secret uses
    /// `*`, in which case a mask none of whose characters any spelling uses
    /// (so a mask and its neighbours can never re-form a spelling).
    mask: &'static str,
}

impl Redactor {
    /// Covers the secret as sent in a form body, in a Basic header, in JSON,
    /// and raw. Every spelling is built in a wiped buffer: none leaves a
    /// copy of the secret in freed memory (docs/design.md §7).
    pub(crate) fn for_secret(client_id: &str, secret: &Secret) -> Self {
        let raw = secret.expose();
        if raw.is_empty() {
            return Redactor::default();
        }
        let mut form = SecretBytes::with_capacity(3 * raw.len());
        form.extend_form_encoded(raw);
        let form = form.into_secret();
        let basic = base64_of(crate::auth::basic_pair(client_id, secret).as_slice());
        let json = json_inner(raw);
        // A JSON string holding an escaped copy (escaped twice).
        let json_twice = json_inner(json.expose());
        let pct_space = replace_char(form.expose(), '+', "%20");
        // Echoes servers commonly produce: JSON with `\/` (PHP), percent
        // escapes in lower case, HTML entities (hex, as OWASP escapes, and
        // decimal).
        let json_slash = replace_char(json.expose(), '/', "\\/");
        let form_lower = lower_percent(form.expose());
        let pct_space_lower = lower_percent(pct_space.expose());
        let html_hex = html_escape(raw, "&#x27;", "&#x2F;");
        let html_dec = html_escape(raw, "&#39;", "&#47;");
        let mut needles: Vec<Secret> = vec![
            secret.clone(),
            form,
            basic,
            json,
            json_twice,
            pct_space,
            json_slash,
            form_lower,
            pct_space_lower,
            html_hex,
            html_dec,
        ];
        // Longest first, so a longer spelling is not broken by a shorter one.
        needles.sort_by_key(|n| std::cmp::Reverse(n.expose().len()));
        needles.dedup();
        let mask = [
            "***",
            "\u{2022}\u{2022}\u{2022}",
            "\u{FFFD}\u{FFFD}\u{FFFD}",
            "[redacted]",
        ]
        .into_iter()
        .find(|m| {
            !needles
                .iter()
                .any(|n| m.chars().any(|c| n.expose().contains(c)))
        })
        .unwrap_or("");
        Redactor { needles, mask }
    }

    /// Scrubs a response body; `complete` is false when it was cut at the
    /// size limit.
    pub(crate) fn scrub_body(&self, text: String, complete: bool) -> String {
        if complete {
            self.scrub(text)
        } else {
            self.scrub_cut(text)
        }
    }

    /// [`Redactor::scrub`] for text that was cut short (a body read up to a
    /// size limit): a spelling cut in two at the end is masked too.
    fn scrub_cut(&self, text: String) -> String {
        let mut text = self.scrub(text);
        // The longest prefix of any spelling that the text ends with.
        let partial = self
            .needles
            .iter()
            .filter_map(|needle| {
                let n = needle.expose();
                (1..n.len())
                    .rev()
                    .filter(|k| n.is_char_boundary(*k))
                    .find(|k| text.ends_with(&n[..*k]))
            })
            .max();
        if let Some(k) = partial {
            let keep = text.len() - k;
            let mut out = String::with_capacity(keep + self.mask.len());
            out.push_str(&text[..keep]);
            out.push_str(self.mask);
            // The cut spelling is wiped with the old text.
            drop(Zeroizing::new(std::mem::replace(&mut text, out)));
        }
        text
    }

    /// `text` with every credential spelling replaced by `***`.
    pub(crate) fn scrub(&self, mut text: String) -> String {
        for needle in &self.needles {
            let n = needle.expose();
            let count = text.matches(n).count();
            if count > 0 {
                // Sized up front, so it never reallocates (which would leave
                // a copy of a shorter spelling behind); the old text, which
                // held the secret, is wiped.
                let mut out =
                    String::with_capacity(text.len() - count * n.len() + count * self.mask.len());
                let mut rest = text.as_str();
                while let Some(at) = rest.find(n) {
                    out.push_str(&rest[..at]);
                    out.push_str(self.mask);
                    rest = &rest[at + n.len()..];
                }
                out.push_str(rest);
                drop(Zeroizing::new(std::mem::replace(&mut text, out)));
            }
        }
        text
    }
}

/// `text` with the two hex digits after each `%` in lower case.
fn lower_percent(text: &str) -> Secret {
    let mut out = SecretBytes::with_capacity(text.len());
    let mut lower = 0;
    for b in text.bytes() {
        if lower > 0 {
            out.extend(&[b.to_ascii_lowercase()]);
            lower -= 1;
        } else {
            out.extend(&[b]);
            if b == b'%' {
                lower = 2;
            }
        }
    }
    out.into_secret()
}

/// `text` with every `from` written as `to`.
fn replace_char(text: &str, from: char, to: &str) -> Secret {
    let mut out = SecretBytes::with_capacity(text.len() + 4 * to.len());
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        if c == from {
            out.extend(to.as_bytes());
        } else {
            out.extend(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    out.into_secret()
}

/// `text` HTML-escaped (`&`, `<`, `>`, `"` by name; `'` and `/` as given).
fn html_escape(text: &str, apostrophe: &str, slash: &str) -> Secret {
    let mut out = SecretBytes::with_capacity(2 * text.len());
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        let piece = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => apostrophe,
            '/' => slash,
            c => c.encode_utf8(&mut utf8),
        };
        out.extend(piece.as_bytes());
    }
    out.into_secret()
}

/// `text` as the inside of a JSON string (serde_json's escaping, without
/// the quotes).
fn json_inner(text: &str) -> Secret {
    let mut quoted = SecretBytes::with_capacity(2 * text.len() + 2);
    // Writing a string into memory cannot fail.
    let _ = serde_json::to_writer(&mut quoted, text);
    let all = quoted.as_slice();
    let mut inner = SecretBytes::with_capacity(all.len());
    inner.extend(all.get(1..all.len().saturating_sub(1)).unwrap_or_default());
    inner.into_secret()
}

/// Standard base64 (with padding) of `bytes`.
fn base64_of(bytes: &[u8]) -> Secret {
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    let mut out = SecretBytes::with_capacity(len);
    let tail = out.extend_zeroed(len);
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(bytes, tail);
    out.into_secret()
}

/// A short, stable, non-reversible name for an access token, safe to log.
pub fn fingerprint(token: &str) -> String {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    crate::mtls::hex(&d.as_ref()[..8])
}

/// SHA-256 of `parts`, each length-prefixed so that no two lists collide.
pub(crate) fn sha256_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(&(p.len() as u64).to_be_bytes());
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}
