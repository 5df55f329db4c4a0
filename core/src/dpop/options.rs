//! The DPoP options of the builder: their typed setters (the Rust API), and
//! the checks `build()` makes (a `config` error for each misuse).

use std::fmt;
use std::sync::Arc;

use super::{Dpop, DpopKey};
use crate::assertion::file::Watched;
use crate::builder::TokenClientBuilder;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The DPoP options as given.
#[derive(Clone, Default)]
pub(crate) struct DpopOptions {
    pub(crate) dpop: bool,
    pub(crate) dpop_key: Option<Secret>,
    pub(crate) dpop_key_file: Option<String>,
    pub(crate) dpop_accept_bearer: bool,
}

impl fmt::Debug for DpopOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopOptions")
            .field("dpop", &self.dpop)
            .field("dpop_key", &self.dpop_key.as_ref().map(|_| "***"))
            .field("dpop_key_file", &self.dpop_key_file)
            .field("dpop_accept_bearer", &self.dpop_accept_bearer)
            .finish()
    }
}

impl DpopOptions {
    /// The client's DPoP state, `None` with `dpop` off; a `config` error for
    /// a key given twice, a key with `dpop` off, or an unusable key.
    pub(crate) fn build(&self) -> Result<Option<Dpop>> {
        let key = self
            .dpop_key
            .as_ref()
            .filter(|k| !k.expose().trim().is_empty());
        let file = self
            .dpop_key_file
            .as_deref()
            .filter(|f| !f.trim().is_empty());
        if !self.dpop {
            if key.is_some() || file.is_some() || self.dpop_accept_bearer {
                return Err(Error::config(
                    "dpop_key, dpop_key_file and dpop_accept_bearer need dpop on (set dpop)",
                ));
            }
            return Ok(None);
        }
        let (key, watched) = match (key, file) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "set at most one of dpop_key and dpop_key_file",
                ))
            }
            (Some(k), None) => (Arc::new(DpopKey::parse(k.expose(), "dpop_key")?), None),
            (None, Some(path)) => {
                // Read now (a bad file fails `build()`), and again on the
                // slow path whenever it changes (`rotation.rs`).
                let watched = Watched::open(path, "dpop_key_file", DpopKey::parse)?;
                (watched.current()?, Some(watched))
            }
            (None, None) => (Arc::new(DpopKey::generate()?), None),
        };
        Ok(Some(Dpop::new(key, watched, self.dpop_accept_bearer)))
    }
}

impl TokenClientBuilder {
    /// DPoP (RFC 9449): bind tokens to a key this client holds (default: off).
    /// Without [`dpop_key`](Self::dpop_key) or
    /// [`dpop_key_file`](Self::dpop_key_file), a P-256 key is generated.
    pub fn dpop(mut self, on: bool) -> Self {
        self.dpop.dpop = on;
        self
    }

    /// The DPoP key: PEM (PKCS#8, PKCS#1 RSA, SEC1 EC) or a private JWK;
    /// ES256 for P-256, ES384, EdDSA, RS256 (or the JWK's alg, PS256).
    pub fn dpop_key(mut self, key: impl Into<Secret>) -> Self {
        self.dpop.dpop_key = Some(key.into());
        self
    }

    /// A file holding the DPoP key, re-read when it changes (at the next
    /// token request, never on the cached path); tokens then follow the
    /// new key (docs/design.md §11).
    pub fn dpop_key_file(mut self, path: impl Into<String>) -> Self {
        self.dpop.dpop_key_file = Some(path.into());
        self
    }

    /// With DPoP on, accept a server that answers `token_type` `Bearer`
    /// (its tokens are then sent as Bearer) [false: an `invalid_response`].
    pub fn dpop_accept_bearer(mut self, accept: bool) -> Self {
        self.dpop.dpop_accept_bearer = accept;
        self
    }
}
