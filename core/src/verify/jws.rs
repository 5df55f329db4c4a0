//! The compact JWS, read defensively (docs/design.md §10): exactly three
//! base64url segments, a JSON object header whose `alg` is on the
//! allowlist, no `crit`, the right `typ`. Keys named by the header (`jwk`,
//! `jku`, `x5u`, `x5c`) are never read.

use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::{ArcSwapOption, Guard};

use super::json::{self, Member};
use super::keys::Alg;
use super::reason;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A token split and its header checked; the signature not yet verified.
pub(crate) struct Jws<'a> {
    pub alg: Alg,
    pub kid: Option<Cow<'a, str>>,
    /// `header.payload`, what the signature covers.
    pub signing_input: &'a [u8],
    pub payload: Vec<u8>,
    pub signature: &'a [u8],
}

/// Where a token's header and signature are decoded: on the stack when
/// they fit (they nearly always do), else on the heap.
pub(crate) struct Scratch {
    header: Buffer<512>,
    /// An RSA-8192 signature's 1,024 bytes fit.
    signature: Buffer<1040>,
    /// The header memo as loaded for this token.
    seen: Option<Guard<Option<Arc<Passed>>>>,
}

impl Scratch {
    /// Empty buffers.
    pub(crate) fn new() -> Self {
        Scratch {
            header: Buffer([0; 512], Vec::new()),
            signature: Buffer([0; 1040], Vec::new()),
            seen: None,
        }
    }
}

/// `N` bytes on the stack, and a `Vec` for what does not fit.
struct Buffer<const N: usize>([u8; N], Vec<u8>);

impl<const N: usize> Buffer<N> {
    /// `segment` decoded, or `None` when it is not base64url.
    fn decode(&mut self, segment: &str) -> Option<&[u8]> {
        if segment.len() / 4 * 3 + 3 <= N {
            let n = URL_SAFE_NO_PAD.decode_slice(segment, &mut self.0).ok()?;
            Some(&self.0[..n])
        } else {
            self.1 = URL_SAFE_NO_PAD.decode(segment).ok()?;
            Some(&self.1)
        }
    }
}

/// What the header rules depend on.
pub(crate) struct HeaderRules<'a> {
    pub algorithms: &'a [Alg],
    pub strict_typ: bool,
    /// The verifier's last header that passed.
    pub memo: &'a HeaderMemo,
}

fn malformed(message: impl Into<String>) -> Error {
    Error::invalid_token(reason::MALFORMED, message)
}

fn decode(segment: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| malformed(format!("the {what} is not base64url")))
}

/// Splits and checks `token` (its size was checked by the caller).
pub(crate) fn parse<'a>(
    token: &'a str,
    rules: &HeaderRules<'_>,
    scratch: &'a mut Scratch,
) -> Result<Jws<'a>> {
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a token has exactly three segments"));
    };
    let Scratch {
        header,
        signature,
        seen,
    } = scratch;
    let seen: &'a Option<Guard<Option<Arc<Passed>>>> = {
        *seen = Some(rules.memo.0.load());
        seen
    };
    let memo = seen.as_ref().and_then(|g| g.as_deref());
    let (alg, kid) = match memo.filter(|m| *m.segment == *h) {
        Some(m) => (m.alg, m.kid.as_deref().map(Cow::Borrowed)),
        None => {
            let (alg, kid) = check_header(h, rules, header)?;
            rules.memo.0.store(Some(Arc::new(Passed {
                segment: h.into(),
                alg,
                kid: kid.as_deref().map(Into::into),
            })));
            (alg, kid)
        }
    };
    let payload = decode(p, "payload")?;
    let signature = signature
        .decode(s)
        .ok_or_else(|| malformed("the signature is not base64url"))?;
    if signature.is_empty() {
        return Err(malformed("the signature is empty"));
    }
    Ok(Jws {
        alg,
        kid,
        signing_input: &token.as_bytes()[..h.len() + 1 + p.len()],
        payload,
        signature,
    })
}

/// The last header segment that passed the rules, and what they read from
/// it. An issuer's tokens share their header (same `alg`, `kid`, `typ`), so
/// a verifier reads it once, not per token: the rules are a function of the
/// header's bytes, and the segment is compared whole.
#[derive(Default)]
pub(crate) struct HeaderMemo(ArcSwapOption<Passed>);

/// A header that passed the rules.
pub(crate) struct Passed {
    segment: Box<str>,
    alg: Alg,
    kid: Option<Box<str>>,
}

/// Decodes the header segment `h` and applies the rules: its `alg` and
/// `kid`.
fn check_header<'b>(
    h: &str,
    rules: &HeaderRules<'_>,
    buf: &'b mut Buffer<512>,
) -> Result<(Alg, Option<Cow<'b, str>>)> {
    let header = buf
        .decode(h)
        .ok_or_else(|| malformed("the header is not base64url"))?;
    let header =
        std::str::from_utf8(header).map_err(|_| malformed("the header is not a JSON object"))?;
    let header =
        Header::read(header).ok_or_else(|| malformed("the header is not a JSON object"))?;
    let alg = match &header.alg {
        Some(Member::Str(a)) => a.as_ref(),
        Some(_) => return Err(malformed("the header's alg is not a string")),
        None => return Err(malformed("the header has no alg")),
    };
    let alg = Alg::parse(alg)
        .filter(|a| rules.algorithms.contains(a))
        .ok_or_else(|| {
            Error::invalid_token(
                reason::DISALLOWED_ALGORITHM,
                format!("algorithm {:?} is not allowed", scrub(alg)),
            )
        })?;
    // RFC 7515 §4.1.11: an extension we do not understand must be refused;
    // we understand none.
    if header.crit {
        return Err(Error::invalid_token(
            reason::CRIT,
            "the header has crit extensions",
        ));
    }
    check_typ(header.typ.as_ref(), rules.strict_typ)?;
    let kid = match header.kid {
        None => None,
        Some(Member::Str(k)) => Some(k),
        Some(_) => return Err(malformed("the header's kid is not a string")),
    };
    Ok((alg, kid))
}

/// The header members the rules read (`jwk`, `jku`, `x5u`, `x5c` never).
struct Header<'a> {
    alg: Option<Member<'a>>,
    kid: Option<Member<'a>>,
    typ: Option<Member<'a>>,
    /// Whether `crit` is present, whatever its value.
    crit: bool,
}

impl<'a> Header<'a> {
    /// `None` when `text` is not a JSON object.
    fn read(text: &'a str) -> Option<Header<'a>> {
        let mut h = Header {
            alg: None,
            kid: None,
            typ: None,
            crit: false,
        };
        json::object(text, &["alg", "kid", "typ", "crit"], |i, m| match i {
            0 => h.alg = Some(m),
            1 => h.kid = Some(m),
            2 => h.typ = Some(m),
            _ => h.crit = true,
        })
        .ok()?;
        Some(h)
    }
}

/// RFC 9068 §4: `at+jwt` (or `application/at+jwt`), case-insensitive;
/// without `strict_typ`, also `JWT` or no `typ`.
fn check_typ(typ: Option<&Member<'_>>, strict: bool) -> Result<()> {
    let ok = match typ {
        Some(Member::Str(t)) => {
            let is = |name: &str| t.eq_ignore_ascii_case(name);
            is("at+jwt")
                || is("application/at+jwt")
                || (!strict && (is("jwt") || is("application/jwt")))
        }
        None => !strict,
        Some(_) => false,
    };
    if ok {
        return Ok(());
    }
    let shown = match typ {
        Some(Member::Str(t)) => format!("{:?}", scrub(t)),
        Some(_) => "not a string".into(),
        None => "absent".into(),
    };
    Err(Error::invalid_token(
        reason::BAD_TYP,
        format!("typ {shown} is not at+jwt"),
    ))
}

/// A header value fit for a message: printable ASCII only, at most 64 bytes.
pub(crate) fn scrub(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}
