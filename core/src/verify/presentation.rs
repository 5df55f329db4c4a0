//! How a token arrived: the `Authorization` scheme (`Bearer` or `DPoP`)
//! and, for DPoP, the request its proof must be about (docs/design.md §10,
//! §11): a bound token only as `DPoP` with its proof, an unbound one only
//! as `Bearer`, as the `dpop` option allows.

use std::sync::atomic::Ordering;

use super::dpop::{self, DpopMode};
use super::{now_secs, reason, Claims, Inner};
use crate::error::{Error, Result};

/// An HTTP request as the API received it, for
/// [`Verifier::verify_http_request`](super::Verifier::verify_http_request):
/// what a DPoP proof is checked against.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, as sent (`GET`).
    pub method: &'a str,
    /// The absolute URL the client addressed (scheme, host, path; query and
    /// fragment are ignored). Behind a proxy, the public URL.
    pub url: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `DPoP` header (several joined by `, `, which is refused).
    pub dpop: Option<&'a str>,
}

/// How a token was presented.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    Bearer,
    Dpop,
}

/// The scheme and token of an authorization header (`Bearer` or, unless
/// DPoP is off, `DPoP`).
pub(super) fn presented(authorization: Option<&str>, mode: DpopMode) -> Result<(Scheme, &str)> {
    let missing = || Error::invalid_token(reason::MISSING, "no token in the request");
    let header = authorization.ok_or_else(missing)?;
    let (scheme, rest) = header.split_once(' ').ok_or_else(missing)?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") && mode != DpopMode::Off {
        Scheme::Dpop
    } else {
        return Err(missing());
    };
    let token = rest.trim_start_matches(' ').trim_end();
    if token.is_empty() {
        return Err(missing());
    }
    Ok((scheme, token))
}

impl Inner {
    /// A verified token presented as `Bearer`: refused if bound to a key.
    pub(super) fn presented_as_bearer(&self, claims: Claims) -> Result<Claims> {
        if dpop::bound_key(&claims).is_some() {
            return self.count_failure(Error::invalid_token(
                reason::DPOP_BOUND,
                "a DPoP-bound token was sent as a Bearer token",
            ));
        }
        if self.dpop.mode == DpopMode::Required {
            return self.count_failure(Error::invalid_token(
                reason::DPOP_BOUND,
                "this API takes DPoP-bound tokens only",
            ));
        }
        Ok(claims)
    }

    /// A verified token presented as `scheme` in `request`.
    pub(super) fn presented(
        &self,
        scheme: Scheme,
        token: &str,
        claims: Claims,
        request: &HttpRequest<'_>,
    ) -> Result<Claims> {
        if scheme == Scheme::Bearer {
            return self.presented_as_bearer(claims);
        }
        let checked = self
            .dpop
            .check(&claims, token, request, self.config.leeway, now_secs());
        match checked {
            Ok(()) => Ok(claims),
            Err(e) => self.count_failure(e),
        }
    }

    /// Moves a verification counted as verified to the failures.
    fn count_failure(&self, e: Error) -> Result<Claims> {
        self.verified.fetch_sub(1, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
        Err(e)
    }
}
