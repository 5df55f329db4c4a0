//! The headers a token is sent with, and reading the answer (docs/design.md
//! §4, §11): the one place that decides what a `Bearer` and a `DPoP` token
//! each need, so that `call_api` and every language's HTTP adapters follow
//! the same rule and hold none of their own.

use std::fmt;

use crate::dpop::is_nonce_challenge;
use crate::error::{Error, Result};
use crate::{Token, TokenClient};

/// The headers that send a token with one HTTP request
/// ([`TokenClient::request_headers`]).
///
/// `Debug` names which headers are set, never their values (the token and
/// the proof are credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct RequestHeaders {
    /// The `Authorization` value: `Bearer <token>` or `DPoP <token>`.
    pub authorization: String,
    /// The `DPoP` value (a new proof of this request) for a DPoP-bound
    /// token; `None` for a `Bearer` token.
    pub dpop: Option<String>,
}

impl fmt::Debug for RequestHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHeaders")
            .field("authorization", &"<redacted>")
            .field("dpop", &self.dpop.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// True for a token the server bound to this client's DPoP key (the engine
/// normalizes the `token_type`'s case).
fn is_dpop(token: &Token) -> bool {
    token.token_type() == "DPoP"
}

impl TokenClient {
    /// The headers that send `token` with the HTTP request `method url`:
    /// `Authorization` (the token's [`Token::authorization_header`]) and,
    /// for a DPoP-bound token only, `DPoP`: a new proof of this request
    /// with `ath` and the nonce `url`'s server sent last. `url` follows the
    /// rule of every URL that carries a token ([`crate::check_url`]:
    /// `https://`, or `http://` to loopback; no user info, no fragment), so
    /// an adapter needs no check of its own. A `config` error for such a
    /// URL, or for a DPoP token with `dpop` off or a method that is not an
    /// HTTP method. Hand the answer to [`TokenClient::dpop_response`].
    pub fn request_headers(
        &self,
        method: &str,
        url: &str,
        token: &Token,
    ) -> Result<RequestHeaders> {
        crate::check_url(url)?;
        let dpop = if is_dpop(token) {
            // Only a proof carries the method (`htm`); a Bearer request may
            // use any method its HTTP client takes.
            check_method(method)?;
            let d = self.inner.dpop.as_ref().ok_or_else(|| {
                Error::config("request_headers: a DPoP token needs a client with dpop on")
            })?;
            let url = url::Url::parse(url.trim())
                .map_err(|_| Error::config("request_headers: url is not an absolute URL"))?;
            Some(d.proof(method, &url, Some(token.access_token()))?)
        } else {
            None
        };
        Ok(RequestHeaders {
            authorization: token.authorization_header().to_owned(),
            dpop,
        })
    }

    /// A DPoP proof (RFC 9449 §4) for an HTTP request `method url`, signed
    /// with this client's DPoP key: with `ath` when `access_token` is given,
    /// and the nonce `url`'s server sent last, if any. The explicit builder
    /// for any use; to send a token, [`TokenClient::request_headers`] makes
    /// both headers. A `config` error when `dpop` is off, `url` is not an
    /// absolute URL or `method` is not an HTTP method.
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<String> {
        let dpop = self
            .inner
            .dpop
            .as_ref()
            .ok_or_else(|| Error::config("dpop_proof needs dpop on (set dpop)"))?;
        let url = url::Url::parse(url)
            .map_err(|_| Error::config("dpop_proof: url is not an absolute URL"))?;
        check_method(method)
            .map_err(|_| Error::config("dpop_proof: method must be an HTTP method"))?;
        dpop.proof(method, &url, access_token)
    }

    /// Reads an API's answer to a request for `url` sent with `token` (its
    /// status and its `WWW-Authenticate` and `DPoP-Nonce` headers). For a
    /// DPoP-bound token: remembers the nonce, so that the next proof for
    /// that server carries it, and says whether the answer is a
    /// `use_dpop_nonce` challenge (401, `WWW-Authenticate: DPoP
    /// error="use_dpop_nonce"`, with a nonce) that the request should be
    /// sent once more for, with new headers (RFC 9449 §9). For a `Bearer`
    /// token, or with `dpop` off: false, and nothing is remembered (a
    /// Bearer request carried no proof to answer). `call_api` and the HTTP
    /// adapters of every language follow it.
    pub fn dpop_response(
        &self,
        url: &str,
        token: &Token,
        status: u16,
        www_authenticate: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> bool {
        if !is_dpop(token) {
            return false;
        }
        let (Some(d), Ok(url)) = (&self.inner.dpop, url::Url::parse(url)) else {
            return false;
        };
        d.remember_nonce(&url, dpop_nonce);
        status == 401
            && dpop_nonce.is_some_and(|n| !n.trim().is_empty())
            && www_authenticate.is_some_and(is_nonce_challenge)
    }

    /// The RFC 7638 thumbprint of this client's DPoP key (the `cnf.jkt` of
    /// its tokens), `None` with `dpop` off.
    pub fn dpop_thumbprint(&self) -> Option<&str> {
        self.inner.dpop.as_ref().map(|d| d.thumbprint())
    }
}

/// An HTTP method as a proof's `htm` takes it: letters only (a token of RFC
/// 9110 in practice; anything else would be a header-injection risk).
fn check_method(method: &str) -> Result<()> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::config(
            "request_headers: method must be an HTTP method",
        ));
    }
    Ok(())
}
