//! DPoP, the client side (RFC 9449; docs/design.md "DPoP"): the key, the
//! proofs, the server nonces. A client with `dpop` on sends a proof with
//! every token request and with every `call_api` of a DPoP token.

pub(crate) mod key;
mod nonce;
mod options;
pub(crate) mod proof;

use url::Url;

use crate::error::Result;
pub(crate) use key::DpopKey;
use nonce::Nonces;
pub(crate) use options::DpopOptions;

/// A client's DPoP state: its key, whether a `Bearer` answer is accepted,
/// and the nonces servers sent.
#[derive(Debug)]
pub(crate) struct Dpop {
    pub(crate) key: DpopKey,
    pub(crate) accept_bearer: bool,
    nonces: Nonces,
}

impl Dpop {
    pub(crate) fn new(key: DpopKey, accept_bearer: bool) -> Dpop {
        Dpop {
            key,
            accept_bearer,
            nonces: Nonces::default(),
        }
    }

    /// A proof for `htm url`, with `ath` for `access_token`, carrying the
    /// nonce `url`'s server sent last, if any.
    pub(crate) fn proof(&self, htm: &str, url: &Url, access_token: Option<&str>) -> Result<String> {
        let nonce = self.nonces.get(url);
        proof::sign(&self.key, htm, url, access_token, nonce.as_deref())
    }

    /// Remembers the `DPoP-Nonce` a response from `url`'s server carried.
    pub(crate) fn remember_nonce(&self, url: &Url, nonce: Option<&str>) {
        if let Some(n) = nonce {
            self.nonces.remember(url, n.trim());
        }
    }

    /// The thumbprint of the key (RFC 7638).
    pub(crate) fn thumbprint(&self) -> &str {
        &self.key.thumbprint
    }
}

/// Whether a `WWW-Authenticate` value is a DPoP challenge with
/// `error="use_dpop_nonce"` (RFC 9449 §9).
pub(crate) fn is_nonce_challenge(www_authenticate: &str) -> bool {
    let v = www_authenticate.trim_start();
    v.len() > 5 && v[..5].eq_ignore_ascii_case("dpop ") && v.contains("error=\"use_dpop_nonce\"")
}
