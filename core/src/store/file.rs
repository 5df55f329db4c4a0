//! `file:/dir`: tokens shared by the processes of one host. The lease is an
//! exclusive OS lock on `<key>.lock`, released when its holder drops it or
//! dies; values are replaced atomically (write, then rename). A value's
//! mtime is set to its expiry: readers bound its life by it, so the
//! writer's stamps cannot extend it.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use super::{Lease, SharedStore, Stored};
use crate::error::{Error, Result};

pub(crate) struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub(crate) fn new(dir: &str) -> Result<FileStore> {
        if dir.trim().is_empty() {
            return Err(Error::config(
                "cache \"file:\" needs a directory, e.g. file:/var/cache/m2m-auth",
            ));
        }
        Ok(FileStore {
            dir: PathBuf::from(dir),
        })
    }

    fn path(&self, key: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", key.replace(':', "_")))
    }

    fn ensure_dir(&self) -> Result<()> {
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&self.dir)
            .map_err(|e| cache_error("create", &self.dir, e))
    }
}

fn cache_error(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    crate::error::ErrorDetail::Cache {
        message: format!("{what} {}: {e}", path.display()),
    }
    .into()
}

impl SharedStore for FileStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let path = self.path(key, "tok");
        async move {
            let read = async {
                let mut f = tokio::fs::File::open(&path).await?;
                // The mtime is the expiry `put_if` set (same file, same host clock).
                let expires = f.metadata().await?.modified()?;
                let mut value = Vec::new();
                tokio::io::AsyncReadExt::read_to_end(&mut f, &mut value).await?;
                Ok::<_, std::io::Error>((value, expires))
            };
            match read.await {
                // Past its mtime the value is expired (0 left): a miss for
                // readers, still there for a writer's compare-and-set.
                Ok((value, expires)) => Ok(Some(Stored {
                    value,
                    expires_in: Some(
                        expires
                            .duration_since(SystemTime::now())
                            .unwrap_or_default(),
                    ),
                })),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(cache_error("read", &path, e)),
            }
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
        async move {
            self.ensure_dir()?;
            let path = self.path(key, "tok");
            // Compare, then rename: writers hold the key's lease (an OS lock
            // that never expires while they live), so no other writer
            // runs between the two.
            let current = match tokio::fs::read(&path).await {
                Ok(v) => Some(v),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(cache_error("read", &path, e)),
            };
            if current.as_deref() != expected {
                return Ok(false);
            }
            let tmp = self.path(
                key,
                &format!("tmp.{}.{}", std::process::id(), fastrand::u64(..)),
            );
            let mut opts = tokio::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            opts.mode(0o600);
            // Bounded so the addition cannot overflow (a lifetime is capped well below).
            let expires = SystemTime::now() + ttl.min(Duration::from_secs(10 * 365 * 86_400));
            let write = async {
                let mut f = opts.open(&tmp).await?;
                tokio::io::AsyncWriteExt::write_all(&mut f, &value).await?;
                f.into_std().await.set_modified(expires)?;
                tokio::fs::rename(&tmp, &path).await
            };
            if let Err(e) = write.await {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(cache_error("write", &path, e));
            }
            Ok(true)
        }
        .boxed()
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Lease>>> {
        async move {
            self.ensure_dir()?;
            let path = self.path(key, "lock");
            let mut opts = OpenOptions::new();
            opts.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let file: File = opts
                .open(&path)
                .map_err(|e| cache_error("open", &path, e))?;
            match file.try_lock() {
                Ok(()) => Ok(Some(Lease::File(file))),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(e)) => Err(cache_error("lock", &path, e)),
            }
        }
        .boxed()
    }

    fn renew<'a>(&'a self, _lease: &'a Lease, _ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        // An OS lock lasts as long as its holder keeps the file open.
        async { Ok(true) }.boxed()
    }

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<()>> {
        drop(lease); // closing the file releases the lock
        async { Ok(()) }.boxed()
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}
