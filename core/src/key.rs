//! The cache key (docs/design.md §4): everything that makes two tokens different.

use std::sync::Arc;

use crate::config::AuthMethod;
use crate::redact::sha256_parts;
use crate::request::Resolved;

/// The part of a key fixed for a client: where, who, and how it authenticates.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct KeyBase {
    /// The token endpoint, or the issuer for a client that discovers it.
    pub endpoint: String,
    pub client_id: String,
    pub auth_method: AuthMethod,
    /// SHA-256 over the credentials: a rotated secret never reuses a token,
    /// and the secret itself is never part of a key.
    pub credentials: [u8; 32],
}

/// A full cache key: the client's base plus one normalized request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey(Arc<(Arc<KeyBase>, Resolved)>);

impl CacheKey {
    pub(crate) fn new(base: Arc<KeyBase>, request: Resolved) -> Self {
        CacheKey(Arc::new((base, request)))
    }

    /// The client's part of the key.
    pub(crate) fn base(&self) -> &Arc<KeyBase> {
        &self.0 .0
    }

    /// The normalized request this key is for.
    pub(crate) fn request(&self) -> &Resolved {
        &self.0 .1
    }

    /// A SHA-256 digest of the whole key, for names in shared stores and logs.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let (base, req) = &*self.0;
        let mut parts: Vec<Vec<u8>> = vec![
            b"m2m-auth/key/v1".to_vec(),
            base.endpoint.as_bytes().to_vec(),
            base.client_id.as_bytes().to_vec(),
            base.auth_method.as_str().as_bytes().to_vec(),
            base.credentials.to_vec(),
            req.audience.clone().unwrap_or_default().into_bytes(),
            req.scopes.join(" ").into_bytes(),
            req.organization.clone().unwrap_or_default().into_bytes(),
        ];
        parts.push((req.resources.len() as u64).to_be_bytes().to_vec());
        parts.extend(req.resources.iter().map(|r| r.as_bytes().to_vec()));
        parts.push((req.extra.len() as u64).to_be_bytes().to_vec());
        for (k, v) in &req.extra {
            parts.push(k.as_bytes().to_vec());
            parts.push(v.as_bytes().to_vec());
        }
        sha256_parts(parts.iter().map(Vec::as_slice))
    }
}
