//! `redis://` / `rediss://`: tokens shared by a fleet. The lease is
//! `SET <key>:lease <owner> NX PX <ttl>`, deleted only by its owner (a
//! compare-and-delete script), or expiring if the owner dies. Every command
//! has a short deadline: a slow or absent Redis degrades to the in-process
//! cache instead of slowing callers.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::sync::Arc;

use redis::aio::ConnectionManager;

use super::{Lease, SharedStore};
use crate::error::{ErrorDetail, Result};
use crate::process::{Mutex, PerProcess};

pub(crate) struct RedisStore {
    client: redis::Client,
    described: String,
    op_timeout: Duration,
    /// The connection, per process: a forked child connects anew (the
    /// parent's connection and its driver task are not in the child).
    conn: PerProcess<Arc<tokio::sync::Mutex<Option<ConnectionManager>>>>,
    /// After a failed connect, no new attempt before this instant.
    retry_at: Mutex<Option<Instant>>,
}

const RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

fn cache_error(message: impl Into<String>) -> crate::error::Error {
    ErrorDetail::Cache {
        message: message.into(),
    }
    .into()
}

impl RedisStore {
    pub(crate) fn new(url: &str, op_timeout: Duration) -> Result<RedisStore> {
        let client = redis::Client::open(url)
            .map_err(|e| crate::error::Error::config(format!("cache URL is not valid: {e}")))?;
        let info = client.get_connection_info();
        // Host and db only: never the password.
        let described = format!("{}/{}", info.addr, info.redis.db);
        Ok(RedisStore {
            client,
            described,
            op_timeout,
            conn: PerProcess::new(),
            retry_at: Mutex::new(None),
        })
    }

    fn conn(&self) -> Arc<tokio::sync::Mutex<Option<ConnectionManager>>> {
        self.conn
            .get_or_try_init(|| Ok(Arc::default()))
            .unwrap_or_default()
    }

    async fn connection(&self) -> Result<ConnectionManager> {
        let conn = self.conn();
        let mut conn = conn.lock().await;
        if let Some(c) = &*conn {
            return Ok(c.clone());
        }
        if let Some(at) = *self.retry_at.lock() {
            if Instant::now() < at {
                return Err(cache_error(format!(
                    "redis {} is unreachable",
                    self.described
                )));
            }
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(self.op_timeout)
            .set_response_timeout(self.op_timeout)
            .set_number_of_retries(1);
        match tokio::time::timeout(
            self.op_timeout,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        {
            Ok(Ok(c)) => {
                *conn = Some(c.clone());
                *self.retry_at.lock() = None;
                Ok(c)
            }
            Ok(Err(e)) => {
                *self.retry_at.lock() = Some(Instant::now() + Duration::from_secs(1));
                Err(cache_error(format!("redis {}: {e}", self.described)))
            }
            Err(_) => {
                *self.retry_at.lock() = Some(Instant::now() + Duration::from_secs(1));
                Err(cache_error(format!(
                    "redis {}: connect timed out",
                    self.described
                )))
            }
        }
    }

    /// Runs one command with the store's deadline.
    async fn run<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T> {
        let mut conn = self.connection().await?;
        let error =
            match tokio::time::timeout(self.op_timeout, cmd.query_async::<T>(&mut conn)).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => cache_error(format!("redis {}: {e}", self.described)),
                Err(_) => cache_error(format!("redis {}: timed out", self.described)),
            };
        // The next command connects afresh, on the caller's runtime: the store
        // is process-wide and may outlive the runtime its connection ran on.
        *self.conn().lock().await = None;
        Err(error)
    }
}

impl SharedStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        async move { self.run(redis::cmd("GET").arg(key).clone()).await }.boxed()
    }

    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, Result<()>> {
        let ms = ttl.as_millis().max(1) as u64;
        async move {
            self.run(
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(ms)
                    .clone(),
            )
            .await
        }
        .boxed()
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<Lease>>> {
        async move {
            let lease_key = format!("{key}:lease");
            let owner = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
            let ms = ttl.as_millis().max(1) as u64;
            let set: Option<String> = self
                .run(
                    redis::cmd("SET")
                        .arg(&lease_key)
                        .arg(&owner)
                        .arg("NX")
                        .arg("PX")
                        .arg(ms)
                        .clone(),
                )
                .await?;
            Ok(set.map(|_| Lease::Redis {
                key: lease_key,
                owner,
            }))
        }
        .boxed()
    }

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<()>> {
        async move {
            if let Lease::Redis { key, owner } = lease {
                let _: i64 = self
                    .run(
                        redis::cmd("EVAL")
                            .arg(RELEASE)
                            .arg(1)
                            .arg(key)
                            .arg(owner)
                            .clone(),
                    )
                    .await?;
            }
            Ok(())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("redis {}", self.described)
    }
}
