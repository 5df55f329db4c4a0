//! `file:/dir`: tokens shared by the processes of one host. The lease is an
//! exclusive OS lock on `<key>.lock`, released when its holder drops it or
//! dies; values are replaced atomically (write, then rename). A value's
//! mtime is set to its expiry: readers bound its life by it, so the
//! writer's stamps cannot extend it. Every operation runs off the
//! runtime's threads and within the store timeout; the directory and its
//! files are checked before use (`file_io`).

use std::fs::TryLockError;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use super::file_io;
use super::{Lease, SharedStore, Stored};
use crate::error::{Error, Result};
use crate::process;

pub(crate) struct FileStore {
    dir: PathBuf,
    op_timeout: Duration,
}

impl FileStore {
    pub(crate) fn new(dir: &str, op_timeout: Duration) -> Result<FileStore> {
        if dir.trim().is_empty() {
            return Err(Error::config(
                "cache \"file:\" needs a directory, e.g. file:/var/cache/m2m-auth",
            ));
        }
        Ok(FileStore {
            dir: PathBuf::from(dir),
            op_timeout,
        })
    }

    fn path(&self, key: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", key.replace(':', "_")))
    }

    /// Runs the blocking `op` on the blocking pool, bounded by the store
    /// timeout (a file system can hang: a dead NFS server, a FUSE daemon).
    /// An operation that times out finishes in the background; its result
    /// is dropped (a lock it took is released with its file).
    async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        path: &Path,
        op: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> Result<T> {
        match tokio::time::timeout(self.op_timeout, tokio::task::spawn_blocking(op)).await {
            Ok(Ok(r)) => r.map_err(|e| cache_error(what, path, e)),
            Ok(Err(join)) => Err(cache_error(what, path, io::Error::other(join.to_string()))),
            Err(_) => Err(cache_error(
                what,
                path,
                io::Error::new(io::ErrorKind::TimedOut, "store timeout"),
            )),
        }
    }
}

fn cache_error(what: &str, path: &Path, e: io::Error) -> Error {
    crate::error::ErrorDetail::Cache {
        message: format!("{what} {}: {e}", path.display()),
    }
    .into()
}

impl SharedStore for FileStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let (dir, path) = (self.dir.clone(), self.path(key, "tok"));
        async move {
            let p = path.clone();
            let read = self.blocking("read", &path, move || {
                if !file_io::trusted_dir(&dir, false)? {
                    return Ok(None);
                }
                file_io::read_value(&p)
            });
            let Some(v) = read.await? else {
                return Ok(None);
            };
            // The mtime is the expiry `put_if` set (same file, same host
            // clock). Past it the value is expired (0 left): a miss for
            // readers, still there for a writer's compare-and-set.
            let expires = v
                .meta
                .modified()
                .map_err(|e| cache_error("read", &path, e))?;
            Ok(Some(Stored {
                value: v.bytes,
                expires_in: Some(
                    expires
                        .duration_since(SystemTime::now())
                        .unwrap_or_default(),
                ),
            }))
        }
        .boxed()
    }

    fn put_if<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        expected: Option<&'a [u8]>,
    ) -> BoxFuture<'a, Result<bool>> {
        let (dir, path) = (self.dir.clone(), self.path(key, "tok"));
        let tmp = self.path(
            key,
            &format!("tmp.{}.{}", std::process::id(), fastrand::u64(..)),
        );
        let expected = expected.map(<[u8]>::to_vec);
        // Bounded so the addition cannot overflow (a lifetime is capped well below).
        let expires = SystemTime::now() + ttl.min(Duration::from_secs(10 * 365 * 86_400));
        async move {
            let p = path.clone();
            self.blocking("write", &path, move || {
                file_io::trusted_dir(&dir, true)?;
                // Compare, then rename: writers hold the key's lease (an OS
                // lock that never expires while they live), so no other
                // writer runs between the two.
                let current = file_io::read_value(&p)?.map(|v| v.bytes);
                if current != expected {
                    return Ok(false);
                }
                file_io::write_value(&p, &tmp, &value, expires)?;
                Ok(true)
            })
            .await
        }
        .boxed()
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Lease>>> {
        let (dir, path) = (self.dir.clone(), self.path(key, "lock"));
        async move {
            let p = path.clone();
            let locked = self.blocking("lock", &path, move || {
                file_io::trusted_dir(&dir, true)?;
                let file = file_io::open_lock(&p)?;
                // A child forked while the lease is held must not keep it
                // locked: withheld before it is locked, so at no instant is
                // it locked and not withheld.
                process::withhold_from_child(&file);
                let locked = file.try_lock();
                if locked.is_err() {
                    process::return_to_child(&file);
                }
                match locked {
                    Ok(()) => Ok(Some(file)),
                    Err(TryLockError::WouldBlock) => Ok(None),
                    Err(TryLockError::Error(e)) => Err(e),
                }
            });
            Ok(locked.await?.map(Lease::File))
        }
        .boxed()
    }

    fn renew<'a>(&'a self, _lease: &'a Lease, _ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        // An OS lock lasts as long as its holder keeps the file open.
        async { Ok(true) }.boxed()
    }

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<()>> {
        if let Lease::File(file) = &lease {
            process::return_to_child(file);
        }
        drop(lease); // closing the file releases the lock
        async { Ok(()) }.boxed()
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}
