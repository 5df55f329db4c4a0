//! Calling an API with the token (docs/design.md §4: one forced renewal on 401).

use crate::config::check_url;
use crate::dpop::is_nonce_challenge;
use crate::error::Result;
use crate::request::TokenRequest;
use crate::{Token, TokenClient};

/// Largest API response body [`TokenClient::call_api`] reads.
pub const MAX_API_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// An API's answer to [`TokenClient::call_api`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (lower-case names; values that are not text are left out).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl ApiResponse {
    /// The first value of header `name` (lower case).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl TokenClient {
    /// Calls an API with `Authorization: <token type> <token>` (and, for a
    /// DPoP token, a `DPoP` proof of this request). If the API answers 401,
    /// the token is invalidated, a new one fetched, and the call made once
    /// more; whatever the API answers then is returned. A DPoP API's 401
    /// `use_dpop_nonce` challenge first gets one more call with the nonce
    /// it sent (RFC 9449 §9), with the same token. The URL follows the same
    /// https rule as the token endpoint; redirects are not followed (the
    /// token would go with them).
    pub async fn call_api(
        &self,
        request: &TokenRequest,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<ApiResponse> {
        let url = check_url(url, "API URL")?;
        let transport = &self.transport()?;
        let token = self.get_token(request).await?;
        let send = |token: Token| {
            let body = body.clone();
            let url = &url;
            async move {
                let mut all = headers.to_vec();
                let dpop = self
                    .inner
                    .dpop
                    .as_ref()
                    .filter(|_| token.token_type() == "DPoP");
                if let Some(d) = dpop {
                    all.retain(|(k, _)| !k.eq_ignore_ascii_case("dpop"));
                    all.push((
                        "DPoP".into(),
                        d.proof(method, url, Some(token.access_token()))?,
                    ));
                }
                let auth = token.authorization_header();
                let r = transport
                    .send_api(method, url, auth, &all, body, MAX_API_RESPONSE_BYTES)
                    .await?;
                if dpop.is_some() {
                    // Every answer's nonce is remembered (RFC 9449 §9).
                    self.dpop_response(url.as_str(), r.status, None, r.header("dpop-nonce"));
                }
                Ok::<_, crate::Error>(r)
            }
        };
        let mut first = send(token.clone()).await?;
        if token.token_type() == "DPoP"
            && self.dpop_response(
                url.as_str(),
                first.status,
                first.header("www-authenticate"),
                first.header("dpop-nonce"),
            )
        {
            tracing::debug!(target: "m2m_auth", "API asked for a DPoP nonce; calling once more with it");
            first = send(token.clone()).await?;
        }
        if first.status != 401 {
            return Ok(first);
        }
        tracing::debug!(target: "m2m_auth", token = %token.fingerprint(), "API answered 401; renewing the token once");
        self.invalidate_rejected(request, token.access_token())?;
        let renewed = self.get_token(request).await?;
        send(renewed).await
    }

    /// A DPoP proof (RFC 9449 §4) for an HTTP request `method url`, signed
    /// with this client's DPoP key: with `ath` when `access_token` is given,
    /// and the nonce `url`'s server sent last, if any. For sending a DPoP
    /// token with another HTTP client: `Authorization: DPoP <token>` plus
    /// `DPoP: <proof>`, then [`TokenClient::dpop_response`] with the answer.
    /// A `config` error when `dpop` is off, `url` is not an absolute URL or
    /// `method` is not an HTTP method.
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
            .ok_or_else(|| crate::Error::config("dpop_proof needs dpop on (set dpop)"))?;
        let url = url::Url::parse(url)
            .map_err(|_| crate::Error::config("dpop_proof: url is not an absolute URL"))?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(crate::Error::config(
                "dpop_proof: method must be an HTTP method",
            ));
        }
        dpop.proof(method, &url, access_token)
    }

    /// Reads an API's answer to a request sent with a DPoP proof for `url`
    /// (its status and its `WWW-Authenticate` and `DPoP-Nonce` headers):
    /// remembers the nonce, so that the next proof for that server carries
    /// it, and says whether the answer is a `use_dpop_nonce` challenge
    /// (401, `WWW-Authenticate: DPoP error="use_dpop_nonce"`, with a nonce)
    /// that the request should be sent once more for, with a new proof
    /// (RFC 9449 §9). `call_api` and the HTTP adapters of every language
    /// follow it; false for anything else and with `dpop` off.
    pub fn dpop_response(
        &self,
        url: &str,
        status: u16,
        www_authenticate: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> bool {
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
