//! Finding the token endpoint from an issuer: OpenID Connect Discovery, then
//! RFC 8414 authorization server metadata.

use serde_json::Value;
use url::Url;

use crate::config::check_url;
use crate::error::{Error, ErrorDetail, Result};
use crate::http::Transport;

/// The token endpoint named by `issuer`'s metadata.
pub(crate) async fn token_endpoint(transport: &Transport, issuer: &Url) -> Result<Url> {
    endpoint(transport, issuer, "token_endpoint").await
}

/// The `jwks_uri` named by `issuer`'s metadata (the verifier's keys).
pub(crate) async fn jwks_uri(transport: &Transport, issuer: &Url) -> Result<Url> {
    endpoint(transport, issuer, "jwks_uri").await
}

/// The URL `field` of `issuer`'s metadata.
async fn endpoint(transport: &Transport, issuer: &Url, field: &str) -> Result<Url> {
    let mut last = None;
    for url in metadata_urls(issuer)? {
        let raw = transport.get(&url).await?;
        if raw.status != 200 || !raw.complete {
            let body = String::from_utf8_lossy(&raw.body[..raw.body.len().min(512)]).into_owned();
            last = Some(
                ErrorDetail::Http {
                    status: raw.status,
                    body,
                }
                .into(),
            );
            continue;
        }
        let doc: Value = serde_json::from_slice(&raw.body)
            .map_err(|_| Error::invalid_response(format!("metadata at {url} is not JSON")))?;
        let named = doc
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if named.trim_end_matches('/') != issuer.as_str().trim_end_matches('/') {
            return Err(Error::invalid_response(format!(
                "metadata at {url} names issuer {named:?}, not {issuer}"
            )));
        }
        let endpoint = doc
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid_response(format!("metadata at {url} has no {field}")))?;
        return check_discovered(issuer, endpoint, field);
    }
    Err(last.unwrap_or_else(|| Error::config("issuer has no metadata URL")))
}

/// The https rule for a URL an issuer's metadata names: the rule of §1, and
/// no downgrade: an `https` issuer's endpoint is `https` too (`http://` to
/// loopback only for an issuer that is itself loopback `http`), so metadata
/// cannot send the client secret over plain http.
fn check_discovered(issuer: &Url, endpoint: &str, field: &str) -> Result<Url> {
    let url = check_url(endpoint, &format!("discovered {field}"))?;
    if issuer.scheme() == "https" && url.scheme() != "https" {
        return Err(Error::invalid_response(format!(
            "the metadata of https issuer {issuer} names a {field} over {}://",
            url.scheme()
        )));
    }
    Ok(url)
}

/// `{issuer}/.well-known/openid-configuration`, then the RFC 8414 form with
/// the well-known segment inserted before the issuer's path.
fn metadata_urls(issuer: &Url) -> Result<[Url; 2]> {
    let base = issuer.as_str().trim_end_matches('/');
    let oidc = format!("{base}/.well-known/openid-configuration");
    let path = issuer.path().trim_end_matches('/');
    let origin = issuer.origin().ascii_serialization();
    let rfc8414 = format!("{origin}/.well-known/oauth-authorization-server{path}");
    let parse = |s: &str| Url::parse(s).map_err(|e| Error::config(format!("issuer: {e}")));
    Ok([parse(&oidc)?, parse(&rfc8414)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_issuer_cannot_name_an_http_token_endpoint() {
        const F: &str = "token_endpoint";
        let https = Url::parse("https://issuer.example/").unwrap();
        let http = Url::parse("http://127.0.0.1:8080/").unwrap();
        let err = check_discovered(&https, "http://127.0.0.1:8080/token", F).unwrap_err();
        assert_eq!(err.code(), "invalid_response");
        assert!(check_discovered(&https, "https://issuer.example/token", F).is_ok());
        // A loopback http issuer (a local server) keeps its loopback endpoint.
        assert!(check_discovered(&http, "http://127.0.0.1:8080/token", F).is_ok());
        assert_eq!(
            check_discovered(&http, "http://example.com/token", F)
                .unwrap_err()
                .code(),
            "config"
        );
    }
}
