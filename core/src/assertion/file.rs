//! A credential file re-read when it changes (`private_key_file`,
//! `client_assertion_file`: rotated keys, Kubernetes projected tokens).
//! Checked on each token request, never on the cached path: one `stat`,
//! and a read only when the modification time, size or inode moved.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::process::Mutex;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

/// A file and what was last made of its content.
pub(crate) struct Watched<T> {
    path: PathBuf,
    /// The option it came from, for messages.
    option: &'static str,
    parse: fn(&str, &str) -> Result<T>,
    last: Mutex<Option<(Version, Arc<T>)>>,
}

impl<T> Watched<T> {
    /// Reads and parses the file now (so that `build()` reports a bad one).
    pub(crate) fn open(
        path: &str,
        option: &'static str,
        parse: fn(&str, &str) -> Result<T>,
    ) -> Result<Watched<T>> {
        let watched = Watched {
            path: PathBuf::from(path),
            option,
            parse,
            last: Mutex::new(None),
        };
        watched.current()?;
        Ok(watched)
    }

    /// The path, as given.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The content's current value: the last one if the file has not
    /// changed, else the file read and parsed anew. A `config` error (naming
    /// the file, never quoting it) if it cannot be read or parsed.
    pub(crate) fn current(&self) -> Result<Arc<T>> {
        let what = format!("{} {:?}", self.option, self.path.display().to_string());
        let io = |e: std::io::Error| Error::config(format!("{what}: cannot read: {e}"));
        let meta = std::fs::metadata(&self.path).map_err(io)?;
        let version = Version {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: inode(&meta),
        };
        let mut last = self.last.lock();
        if let Some((v, value)) = &*last {
            if *v == version {
                return Ok(value.clone());
            }
        }
        let bytes = Zeroizing::new(std::fs::read(&self.path).map_err(io)?);
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::config(format!("{what}: not UTF-8 text")))?;
        let value = Arc::new((self.parse)(text, &what)?);
        *last = Some((version, value.clone()));
        Ok(value)
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}
