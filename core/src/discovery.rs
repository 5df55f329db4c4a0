//! Finding the token endpoint from an issuer: OpenID Connect Discovery, then
//! RFC 8414 authorization server metadata.

use serde_json::Value;
use url::Url;

use crate::config::check_url;
use crate::error::{Error, ErrorDetail, Result};
use crate::http::Transport;

/// The token endpoint named by `issuer`'s metadata; with `mtls` (a client
/// that presents a certificate), the `mtls_endpoint_aliases` one when the
/// metadata names it (RFC 8705 §5).
pub(crate) async fn token_endpoint(transport: &Transport, issuer: &Url, mtls: bool) -> Result<Url> {
    let field = if mtls {
        MTLS_TOKEN_ENDPOINT
    } else {
        "token_endpoint"
    };
    endpoint(transport, issuer, field).await
}

/// The pseudo-field [`read_metadata`] reads as
/// `mtls_endpoint_aliases.token_endpoint`, else `token_endpoint`.
const MTLS_TOKEN_ENDPOINT: &str = "mtls_endpoint_aliases.token_endpoint";

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
        return read_metadata(issuer, &url, &raw.body, field);
    }
    Err(last.unwrap_or_else(|| Error::config("issuer has no metadata URL")))
}

/// The URL `field` (`token_endpoint`, `jwks_uri`) that a complete 200
/// metadata document at `url` names for `issuer`. A pure function of its
/// inputs, so that it can be fuzzed.
pub(crate) fn read_metadata(issuer: &Url, url: &Url, body: &[u8], field: &str) -> Result<Url> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|_| Error::invalid_response(format!("metadata at {url} is not JSON")))?;
    let named = doc
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if named.trim_end_matches('/') != issuer.as_str().trim_end_matches('/') {
        // Quoted in part: the document is the server's, up to the body cap,
        // and an error message is logged on every failed call.
        return Err(Error::invalid_response(format!(
            "metadata at {url} names issuer {:?}, not {issuer}",
            cut(named, MAX_QUOTED)
        )));
    }
    if field == MTLS_TOKEN_ENDPOINT {
        let alias = doc
            .get("mtls_endpoint_aliases")
            .and_then(|a| a.get("token_endpoint"))
            .and_then(Value::as_str);
        if let Some(alias) = alias {
            return check_discovered(issuer, alias, field);
        }
        return read_metadata(issuer, url, body, "token_endpoint");
    }
    let endpoint = doc
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_response(format!("metadata at {url} has no {field}")))?;
    check_discovered(issuer, endpoint, field)
}

/// How many bytes of a string from a metadata document an error quotes.
const MAX_QUOTED: usize = 128;

/// The first `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The https rule for a URL an issuer's metadata names: the rule of §1, and
/// no downgrade: an `https` issuer's endpoint is `https` too (`http://` to
/// loopback only for an issuer that is itself loopback `http`), so metadata
/// cannot send the client secret over plain http.
fn check_discovered(issuer: &Url, endpoint: &str, field: &str) -> Result<Url> {
    let url = check_url(endpoint, &format!("discovered {field}")).map_err(|e| {
        // The refusal quotes the endpoint: in part, as it is the server's.
        if endpoint.len() <= MAX_QUOTED {
            return e;
        }
        let whole = format!("{endpoint:?}");
        let part = format!("{:?}...", cut(endpoint, MAX_QUOTED));
        e.map_text(|t| t.replace(&whole, &part))
    })?;
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
pub(crate) fn metadata_urls(issuer: &Url) -> Result<[Url; 2]> {
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
    fn strings_from_metadata_are_quoted_in_part() {
        // The error quoted the whole `issuer` (or refused `token_endpoint`)
        // member, up to the 1 MiB body cap, in a message logged each call.
        let issuer = Url::parse("https://issuer.example/").unwrap();
        let url = metadata_urls(&issuer).unwrap()[0].clone();
        let named = "é".repeat(50_000);
        let doc = serde_json::json!({"issuer": named, "token_endpoint": "https://x/t"});
        let err =
            read_metadata(&issuer, &url, doc.to_string().as_bytes(), "token_endpoint").unwrap_err();
        assert_eq!(err.code(), "invalid_response");
        let message = err.to_string();
        assert!(message.len() < 512, "{} bytes", message.len());
        assert!(message.contains(&"é".repeat(64)));

        let endpoint = format!("http://example.com/{}", "a".repeat(100_000));
        let doc = serde_json::json!({"issuer": issuer.as_str(), "token_endpoint": endpoint});
        let err =
            read_metadata(&issuer, &url, doc.to_string().as_bytes(), "token_endpoint").unwrap_err();
        assert_eq!(err.code(), "config");
        let message = err.to_string();
        assert!(message.len() < 512, "{} bytes", message.len());
        assert!(message.contains("non-loopback"), "{message}");
    }

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
