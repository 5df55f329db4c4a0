//! Calling an API with the token (docs/design.md §4: one forced renewal on 401).

use crate::config::check_url;
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
                // One rule for which headers a token goes with (headers.rs).
                let h = self.request_headers(method, url.as_str(), &token)?;
                let mut all = headers.to_vec();
                if let Some(proof) = h.dpop {
                    all.retain(|(k, _)| !k.eq_ignore_ascii_case("dpop"));
                    all.push(("DPoP".into(), proof));
                }
                let r = transport
                    .send_api(
                        method,
                        url,
                        &h.authorization,
                        &all,
                        body,
                        MAX_API_RESPONSE_BYTES,
                    )
                    .await?;
                // Every answer's nonce is remembered (RFC 9449 §9); the
                // one retry is decided below, for the first answer only.
                let retry = self.dpop_response(
                    url.as_str(),
                    &token,
                    r.status,
                    r.header("www-authenticate"),
                    r.header("dpop-nonce"),
                );
                Ok::<_, crate::Error>((r, retry))
            }
        };
        let (mut first, retry) = send(token.clone()).await?;
        if retry {
            tracing::debug!(target: "m2m_auth", "API asked for a DPoP nonce; calling once more with it");
            first = send(token.clone()).await?.0;
        }
        if first.status != 401 {
            return Ok(first);
        }
        tracing::debug!(target: "m2m_auth", token = %token.fingerprint(), "API answered 401; renewing the token once");
        self.invalidate_rejected(request, token.access_token())?;
        let renewed = self.get_token(request).await?;
        Ok(send(renewed).await?.0)
    }
}
