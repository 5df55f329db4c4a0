//! `file:/dir`: tokens shared by the processes of one host. The lease is an
//! exclusive OS lock on `<key>.lock`, released when its holder drops it or
//! dies; values are replaced atomically (write, then rename).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;

use super::{Lease, SharedStore};
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
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        let path = self.path(key, "tok");
        async move {
            match tokio::fs::read(&path).await {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(cache_error("read", &path, e)),
            }
        }
        .boxed()
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            self.ensure_dir()?;
            let path = self.path(key, "tok");
            let tmp = self.path(
                key,
                &format!("tmp.{}.{}", std::process::id(), fastrand::u64(..)),
            );
            let mut opts = tokio::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            opts.mode(0o600);
            let write = async {
                let mut f = opts.open(&tmp).await?;
                tokio::io::AsyncWriteExt::write_all(&mut f, &value).await?;
                tokio::fs::rename(&tmp, &path).await
            };
            if let Err(e) = write.await {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(cache_error("write", &path, e));
            }
            Ok(())
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

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<()>> {
        drop(lease); // closing the file releases the lock
        async { Ok(()) }.boxed()
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}
