//! `redis://` / `rediss://`, and Redis Cluster and Sentinel
//! (`redis+cluster://`, `redis+sentinel://`, their `rediss+…` forms; how
//! each is reached is in `redis_conn`): tokens shared by a fleet. The lease is
//! `SET <key>:lease <owner> NX PX <ttl>` (a lease without expiry, or expiring
//! later than any holder sets, is stale: deleted and taken in the same
//! script), renewed by its owner while it fetches (compare-and-`PEXPIRE`),
//! deleted only by its owner (compare-and-delete), or expiring if the owner
//! dies. Values are read with their `PTTL` atomically and written by
//! compare-and-set. Every command is one script or command on one key
//! (`KEYS[1]`), so each runs on the one cluster node that owns the key's
//! slot; no operation spans two keys. Every command has a short deadline: a slow or absent
//! Redis degrades to the in-process cache instead of slowing callers.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use std::sync::Arc;

use super::redis_conn::{Conn, Target};
use super::{Lease, SharedStore, Stored};
use crate::error::{ErrorDetail, Result};
use crate::process::{Mutex, PerProcess};

pub(crate) struct RedisStore {
    target: Target,
    described: String,
    op_timeout: Duration,
    /// The connection, per process: a forked child connects anew (the
    /// parent's connection and its driver task are not in the child).
    conn: PerProcess<Arc<tokio::sync::Mutex<Option<Conn>>>>,
    /// After a failed connect, no new attempt before this instant.
    retry_at: Mutex<Option<Instant>>,
}

const RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// Extends the lease only while it still holds its owner's id.
const RENEW: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/// Takes the lease (ARGV: owner, ttl ms, longest sane ttl ms). A lease
/// without expiry (PTTL -1: someone ran `SET key:lease x`) or expiring
/// further away than any holder sets would stall every process for ever:
/// it is stale, deleted and replaced in the same atomic step.
const TAKE: &str = "local t = redis.call('pttl', KEYS[1]) \
if t == -1 or t > tonumber(ARGV[3]) then redis.call('del', KEYS[1]) end \
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 else return 0 end";

/// The value and its `PTTL` in one atomic step (a script rather than
/// `MULTI`, which a cluster client cannot route): `{}` if there is none.
const GET: &str = "local v = redis.call('get', KEYS[1]) \
if not v then return {} end return {v, redis.call('pttl', KEYS[1])}";

/// Sets the value (ARGV: value, ttl ms, "1" if a current value is
/// expected, that value) only if the current one is what the writer read.
const PUT_IF: &str = "local cur = redis.call('get', KEYS[1]) \
if ARGV[3] == '1' then if cur ~= ARGV[4] then return 0 end elseif cur then return 0 end \
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";

fn cache_error(message: impl Into<String>) -> crate::error::Error {
    ErrorDetail::Cache {
        message: message.into(),
    }
    .into()
}

impl RedisStore {
    pub(crate) fn new(url: &str, op_timeout: Duration, ca_certs: &[Vec<u8>]) -> Result<RedisStore> {
        let (target, described) = Target::parse(url, op_timeout, ca_certs)?;
        Ok(RedisStore {
            target,
            described,
            op_timeout,
            conn: PerProcess::new(),
            retry_at: Mutex::new(None),
        })
    }

    fn conn(&self) -> Arc<tokio::sync::Mutex<Option<Conn>>> {
        self.conn
            .get_or_try_init(|| Ok(Arc::default()))
            .unwrap_or_default()
    }

    async fn connection(&self) -> Result<Conn> {
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
        match tokio::time::timeout(self.op_timeout, self.target.connect(self.op_timeout)).await {
            Ok(Ok(c)) => {
                *conn = Some(c.clone());
                *self.retry_at.lock() = None;
                Ok(c)
            }
            Ok(Err(e)) => {
                *self.retry_at.lock() = Some(Instant::now() + Duration::from_secs(1));
                let e = e.to_string();
                // rustls names an unknown CA so; say what to do about it.
                let hint = match e.contains("UnknownIssuer") {
                    true => " (the server's CA is not trusted: add it to ca_certs)",
                    false => "",
                };
                Err(cache_error(format!("redis {}: {e}{hint}", self.described)))
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
        let query = async move { cmd.query_async::<T>(&mut conn).await };
        self.finish(query).await
    }

    /// Awaits a query with the store's deadline; on failure the connection
    /// is dropped.
    async fn finish<T>(
        &self,
        query: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T> {
        let error = match tokio::time::timeout(self.op_timeout, query).await {
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
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        async move {
            let mut got: Vec<redis::Value> = self
                .run(redis::cmd("EVAL").arg(GET).arg(1).arg(key).clone())
                .await?;
            let value = match got.len() {
                0 => None,
                _ => Some(
                    redis::from_redis_value::<Vec<u8>>(&got.remove(0))
                        .map_err(|e| cache_error(format!("redis {}: {e}", self.described)))?,
                ),
            };
            let pttl: i64 = match got.first() {
                Some(v) => redis::from_redis_value(v).unwrap_or(-2),
                None => -2,
            };
            Ok(value.map(|value| Stored {
                value,
                // -1: no expiry (not one this engine wrote); -2: gone since.
                expires_in: match pttl {
                    -1 => None,
                    ms => Some(Duration::from_millis(ms.max(0) as u64)),
                },
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
        let ms = ttl.as_millis().clamp(1, u64::MAX as u128) as u64;
        async move {
            let set: i64 = self
                .run(
                    redis::cmd("EVAL")
                        .arg(PUT_IF)
                        .arg(1)
                        .arg(key)
                        .arg(value)
                        .arg(ms)
                        .arg(if expected.is_some() { "1" } else { "0" })
                        .arg(expected.unwrap_or_default())
                        .clone(),
                )
                .await?;
            Ok(set == 1)
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
            let ms = ttl.as_millis().clamp(1, u64::MAX as u128 / 2) as u64;
            let taken: i64 = self
                .run(
                    redis::cmd("EVAL")
                        .arg(TAKE)
                        .arg(1)
                        .arg(&lease_key)
                        .arg(&owner)
                        .arg(ms)
                        .arg(stale_after_ms(ms))
                        .clone(),
                )
                .await?;
            Ok((taken == 1).then_some(Lease::Redis {
                key: lease_key,
                owner,
            }))
        }
        .boxed()
    }

    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        async move {
            let Lease::Redis { key, owner } = lease else {
                return Ok(true);
            };
            let ms = ttl.as_millis().clamp(1, u64::MAX as u128 / 2) as u64;
            let renewed: i64 = self
                .run(
                    redis::cmd("EVAL")
                        .arg(RENEW)
                        .arg(1)
                        .arg(key)
                        .arg(owner)
                        .arg(ms)
                        .clone(),
                )
                .await?;
            Ok(renewed == 1)
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

/// A lease expiring further away than this is not one a holder with the
/// same `lease_ttl` set (holders renew to `ttl`, never beyond): twice the
/// ttl, and at least a minute, leaves room for clients configured otherwise.
fn stale_after_ms(ttl_ms: u64) -> u64 {
    ttl_ms.saturating_mul(2).max(60_000)
}
