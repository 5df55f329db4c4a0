//! Scrubbing credentials out of text that came from elsewhere (a server's
//! error body can echo what we sent), and fingerprints for logging tokens.

use base64::Engine as _;
use ring::digest;

use crate::secret::Secret;

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
    /// and raw.
    pub(crate) fn for_secret(client_id: &str, secret: &Secret) -> Self {
        let raw = secret.expose();
        if raw.is_empty() {
            return Redactor::default();
        }
        let form: String = form_urlencoded::byte_serialize(raw.as_bytes()).collect();
        let id_form: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id_form}:{form}"));
        let json = serde_json::to_string(raw).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        // A JSON string holding an escaped copy (escaped twice).
        let json_twice = serde_json::to_string(&json).unwrap_or_default();
        let json_twice = json_twice.trim_matches('"').to_string();
        let pct_space = form.replace('+', "%20");
        // Echoes servers commonly produce: JSON with `\/` (PHP), percent
        // escapes in lower case, HTML entities (hex, as OWASP escapes, and
        // decimal).
        let json_slash = json.replace('/', "\\/");
        let form_lower = lower_percent(&form);
        let pct_space_lower = lower_percent(&pct_space);
        let html_hex = html_escape(raw, "&#x27;", "&#x2F;");
        let html_dec = html_escape(raw, "&#39;", "&#47;");
        let mut needles: Vec<Secret> = [
            raw.to_string(),
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
        ]
        .into_iter()
        .map(Secret::new)
        .collect();
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
            text.truncate(text.len() - k);
            text.push_str(self.mask);
        }
        text
    }

    /// `text` with every credential spelling replaced by `***`.
    pub(crate) fn scrub(&self, mut text: String) -> String {
        for needle in &self.needles {
            if text.contains(needle.expose()) {
                text = text.replace(needle.expose(), self.mask);
            }
        }
        text
    }
}

/// `text` with the two hex digits after each `%` in lower case.
fn lower_percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lower = 0;
    for c in text.chars() {
        if lower > 0 {
            out.push(c.to_ascii_lowercase());
            lower -= 1;
        } else {
            out.push(c);
            if c == '%' {
                lower = 2;
            }
        }
    }
    out
}

/// `text` HTML-escaped (`&`, `<`, `>`, `"` by name; `'` and `/` as given).
fn html_escape(text: &str, apostrophe: &str, slash: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            '/' => out.push_str(slash),
            c => out.push(c),
        }
    }
    out
}

/// A short, stable, non-reversible name for an access token, safe to log.
pub fn fingerprint(token: &str) -> String {
    let d = digest::digest(&digest::SHA256, token.as_bytes());
    let mut out = String::with_capacity(16);
    for b in &d.as_ref()[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    out
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
