//! Which requests go through a proxy (docs/design.md §1, §7): only `https`
//! ones, and never those to a loopback host. A proxy sees what it carries
//! in clear unless the request is tunnelled TLS, and a loopback target is on
//! this machine: sending either through a proxy would hand the client secret
//! to a third party for nothing.

use reqwest::{ClientBuilder, NoProxy, Proxy};

use crate::config::ProxySetting;
use crate::error::{Error, Result};

/// Hosts never proxied: `localhost` (and its subdomains, RFC 6761), the
/// IPv4 loopback network, `::1`, and IPv4 loopback mapped into IPv6.
const LOOPBACK: &str = "localhost, localhost., 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104";

/// `b` with the proxy `setting` asks for, restricted to `https` URLs whose
/// host is not loopback.
pub(super) fn configure(b: ClientBuilder, setting: &ProxySetting) -> Result<ClientBuilder> {
    // Drops reqwest's own reading of the environment, which would proxy
    // `http://` and loopback URLs too.
    let b = b.no_proxy();
    let (url, no_proxy) = match setting {
        ProxySetting::None => return Ok(b),
        // An explicit proxy is used for every other host, as before:
        // `NO_PROXY` from the environment does not apply to it.
        ProxySetting::Url(u) => (u.clone(), String::new()),
        ProxySetting::Environment => match from_env() {
            Some(found) => found,
            None => return Ok(b),
        },
    };
    Ok(b.proxy(https_only(&url, &no_proxy)?))
}

/// Checks an explicit proxy URL the way [`configure`] will use it.
pub(super) fn check(url: &str) -> Result<()> {
    https_only(url, "").map(|_| ())
}

/// A proxy for `https` URLs only (`Proxy::https`: `http://` URLs never go
/// through it), skipping loopback hosts and those `no_proxy` lists.
fn https_only(url: &str, no_proxy: &str) -> Result<Proxy> {
    let proxy =
        Proxy::https(url).map_err(|e| Error::config(format!("proxy {url:?} is not valid: {e}")))?;
    Ok(proxy.no_proxy(NoProxy::from_string(&format!("{LOOPBACK}, {no_proxy}"))))
}

/// The proxy for `https` URLs the environment names, with its `NO_PROXY`
/// list, read as curl and reqwest read them: `HTTPS_PROXY`, else
/// `ALL_PROXY` (upper case first), nothing in a CGI script (`REQUEST_METHOD`
/// set). `HTTP_PROXY` is not read: `http://` URLs are never proxied. A value
/// that is not a valid URL is ignored, as reqwest ignored it.
fn from_env() -> Option<(String, String)> {
    if std::env::var_os("REQUEST_METHOD").is_some() {
        return None;
    }
    let url = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))?;
    Proxy::https(url.as_str()).ok()?;
    let no_proxy = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    Some((url, no_proxy))
}
