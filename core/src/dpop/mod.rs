//! DPoP, the client side (RFC 9449; docs/design.md "DPoP"): the key, the
//! proofs, the server nonces. A client with `dpop` on sends a proof with
//! every token request and with every `call_api` of a DPoP token.

pub(crate) mod key;
mod nonce;
mod options;
pub(crate) mod proof;
pub(crate) mod rotation;
mod thumbprints;

use std::fmt;
use std::sync::Arc;

use crate::process::Mutex;
use url::Url;

use crate::assertion::file::Watched;
use crate::error::Result;
pub(crate) use key::DpopKey;
use nonce::Nonces;
pub(crate) use options::DpopOptions;
use thumbprints::Thumbprints;

/// A client's DPoP state: its key (and the file it comes from, if any),
/// whether a `Bearer` answer is accepted, and the nonces servers sent.
pub(crate) struct Dpop {
    /// The key proofs are signed with now. Replaced (and the old one
    /// dropped once no request holds it) when `file` holds a new key.
    key: Mutex<Arc<DpopKey>>,
    /// `dpop_key_file`, looked at on the slow path (`rotation.rs`); `None`
    /// for a key given as text or generated, which never changes.
    file: Option<Watched<DpopKey>>,
    /// Every thumbprint the key has had, so that `dpop_thumbprint` can lend
    /// the current one for as long as the client lives.
    seen: Thumbprints,
    pub(crate) accept_bearer: bool,
    nonces: Nonces,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("key", &*self.key())
            .field(
                "file",
                &self.file.as_ref().map(|w| w.path().display().to_string()),
            )
            .field("accept_bearer", &self.accept_bearer)
            .finish_non_exhaustive()
    }
}

impl Dpop {
    pub(crate) fn new(
        key: Arc<DpopKey>,
        file: Option<Watched<DpopKey>>,
        accept_bearer: bool,
    ) -> Dpop {
        Dpop {
            seen: Thumbprints::new(&key.thumbprint),
            key: Mutex::new(key),
            file,
            accept_bearer,
            nonces: Nonces::default(),
        }
    }

    /// The key in use now.
    pub(crate) fn key(&self) -> Arc<DpopKey> {
        self.key.lock().clone()
    }

    /// The key file, if the key comes from one.
    pub(crate) fn file(&self) -> Option<&Watched<DpopKey>> {
        self.file.as_ref()
    }

    /// Makes `key` the one in use (the key file now holds it).
    pub(crate) fn set_key(&self, key: Arc<DpopKey>) {
        self.seen.add(&key.thumbprint);
        *self.key.lock() = key;
    }

    /// A proof for `htm url` signed with the key in use now (see
    /// [`Dpop::proof_with`]).
    pub(crate) fn proof(&self, htm: &str, url: &Url, access_token: Option<&str>) -> Result<String> {
        self.proof_with(&self.key(), htm, url, access_token)
    }

    /// A proof for `htm url` signed with `key`, with `ath` for
    /// `access_token`, carrying the nonce `url`'s server sent last, if any.
    pub(crate) fn proof_with(
        &self,
        key: &DpopKey,
        htm: &str,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String> {
        let nonce = self.nonces.get(url);
        proof::sign(key, htm, url, access_token, nonce.as_deref())
    }

    /// Remembers the `DPoP-Nonce` a response from `url`'s server carried.
    pub(crate) fn remember_nonce(&self, url: &Url, nonce: Option<&str>) {
        if let Some(n) = nonce {
            self.nonces.remember(url, n.trim());
        }
    }

    /// The thumbprint of the key in use now (RFC 7638).
    pub(crate) fn thumbprint(&self) -> &str {
        let key = self.key();
        self.seen.get(&key.thumbprint)
    }
}

/// Whether a `WWW-Authenticate` value is a DPoP challenge with
/// `error="use_dpop_nonce"` (RFC 9449 §9).
pub(crate) fn is_nonce_challenge(www_authenticate: &str) -> bool {
    let v = www_authenticate.trim_start();
    v.len() > 5 && v[..5].eq_ignore_ascii_case("dpop ") && v.contains("error=\"use_dpop_nonce\"")
}
