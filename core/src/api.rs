//! Calling an API with the token (docs/design.md §4: one forced renewal on 401).

use crate::config::check_url;
use crate::error::Result;
use crate::request::TokenRequest;
use crate::TokenClient;

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

impl TokenClient {
    /// Calls an API with `Authorization: <token type> <token>`. If the API
    /// answers 401, the token is invalidated, a new one fetched, and the call
    /// made once more; whatever the API answers then is returned. The URL
    /// follows the same https rule as the token endpoint; redirects are not
    /// followed (the token would go with them).
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
        let send = |auth: String| {
            let body = body.clone();
            let url = &url;
            async move {
                transport
                    .send_api(method, url, &auth, headers, body, MAX_API_RESPONSE_BYTES)
                    .await
            }
        };
        let first = send(token.authorization_header().to_string()).await?;
        if first.status != 401 {
            return Ok(first);
        }
        tracing::debug!(target: "m2m_auth", token = %token.fingerprint(), "API answered 401; renewing the token once");
        self.invalidate_rejected(request, token.access_token())?;
        let renewed = self.get_token(request).await?;
        send(renewed.authorization_header().to_string()).await
    }
}
