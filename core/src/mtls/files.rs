//! Client certificate and key files re-read when they change (a rotated
//! certificate, e.g. cert-manager's `tls.crt` / `tls.key`). Checked on each
//! token request, never on the cached path: one `stat` per file, and a read
//! only when a modification time, size or inode moved. The caller rebuilds
//! its transport with the new identity.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::process::Mutex;

use super::{identity, parse_chain, parse_key, ClientIdentity};
use crate::error::{Error, Result};

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn version(path: &PathBuf, what: &str) -> Result<Version> {
    let meta =
        std::fs::metadata(path).map_err(|e| Error::config(format!("{what}: cannot read: {e}")))?;
    Ok(Version {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: inode(&meta),
    })
}

/// The certificate and key files and the identity last read from them.
pub(crate) struct IdentityFiles {
    cert: PathBuf,
    key: PathBuf,
    last: Mutex<(Version, Version, Arc<ClientIdentity>)>,
}

impl IdentityFiles {
    /// Watches both files, starting from the identity `build()` read.
    pub(crate) fn new(cert: &str, key: &str, read: Arc<ClientIdentity>) -> Result<IdentityFiles> {
        let (cert, key) = (PathBuf::from(cert), PathBuf::from(key));
        let versions = (
            version(&cert, &cert_what(&cert))?,
            version(&key, &key_what(&key))?,
        );
        Ok(IdentityFiles {
            cert,
            key,
            last: Mutex::new((versions.0, versions.1, read)),
        })
    }

    /// The identity last read.
    pub(crate) fn latest(&self) -> Arc<ClientIdentity> {
        self.last.lock().2.clone()
    }

    /// A new identity if either file changed since it was last read, else
    /// `None`. A `config` error (naming the file, never quoting the key)
    /// if a file cannot be read or parsed now, or the pair does not match
    /// (e.g. the certificate was replaced and the key not yet): the caller
    /// keeps its transport and fails that request.
    pub(crate) fn changed(&self) -> Result<Option<Arc<ClientIdentity>>> {
        let (cw, kw) = (cert_what(&self.cert), key_what(&self.key));
        let versions = (version(&self.cert, &cw)?, version(&self.key, &kw)?);
        let mut last = self.last.lock();
        if (last.0, last.1) == versions {
            return Ok(None);
        }
        let read = |p: &PathBuf, what: &str| {
            std::fs::read(p)
                .map(zeroize::Zeroizing::new)
                .map_err(|e| Error::config(format!("{what}: cannot read: {e}")))
        };
        let chain = parse_chain(&read(&self.cert, &cw)?, &cw)?;
        let key = parse_key(&read(&self.key, &kw)?, &kw)?;
        let new = Arc::new(identity(chain, key, &cw, &kw)?);
        *last = (versions.0, versions.1, new.clone());
        Ok(Some(new))
    }
}

fn cert_what(p: &std::path::Path) -> String {
    format!("client_certificate_file {:?}", p.display().to_string())
}

fn key_what(p: &std::path::Path) -> String {
    format!("client_key_file {:?}", p.display().to_string())
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}
