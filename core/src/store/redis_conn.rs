//! How the Redis store reaches Redis: one server (`redis://`), a Redis
//! Cluster (`redis+cluster://`: the crate's cluster client follows `MOVED`
//! and refreshes its slot map after a failover) or a master found through
//! Sentinel (`redis+sentinel://`: asked again at every reconnect, so a
//! promoted replica is found without restarting the process). Every connect
//! and command is bounded by the store's deadline (the caller's `timeout`
//! around each await, and the crate's own timeouts below it).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{Cmd, IntoConnectionInfo, Pipeline, RedisFuture, RedisResult, TlsMode, Value};

use super::redis_url::{MultiUrl, Topology};
use crate::error::{Error, Result};

/// What to connect to. Holds credentials: deliberately not `Debug`.
pub(crate) enum Target {
    /// One server.
    Single(redis::Client),
    /// A cluster, from its seed nodes.
    Cluster(ClusterClient),
    /// The master named `master`, from these sentinels.
    Sentinel {
        /// One `redis://host:port` per sentinel (no credentials: they are
        /// the data nodes').
        sentinels: Vec<String>,
        master: String,
        /// Credentials, database and TLS for the master.
        node: SentinelNodeConnectionInfo,
    },
}

/// A live connection; cheap to clone (each is a handle on one multiplexed
/// connection, or on the cluster's set of them).
#[derive(Clone)]
pub(crate) enum Conn {
    /// A server (`redis://`, or the master Sentinel named).
    Node(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

fn invalid(e: redis::RedisError) -> Error {
    // The crate's parse errors name the problem, never the password.
    Error::config(format!("cache URL is not valid: {e}"))
}

impl Target {
    /// The target a cache URL names, and its credential-free description.
    pub(crate) fn parse(url: &str, op_timeout: Duration) -> Result<(Target, String)> {
        if !super::redis_url::is_multi(url) {
            let client = redis::Client::open(url).map_err(invalid)?;
            let info = client.get_connection_info();
            // Host and db only: never the password.
            let described = format!("{}/{}", info.addr, info.redis.db);
            return Ok((Target::Single(client), described));
        }
        let parsed = MultiUrl::parse(url)?;
        let described = parsed.describe();
        let target = match parsed.topology {
            Topology::Cluster => {
                let nodes = parsed.nodes.iter().map(|n| parsed.node_url(n, true));
                let client = ClusterClientBuilder::new(nodes)
                    .connection_timeout(op_timeout)
                    .response_timeout(op_timeout)
                    // Enough to follow a MOVED/ASK and to retry once after a
                    // refresh; the store's deadline bounds the rest (a dead
                    // master degrades to the process cache meanwhile).
                    .retries(2)
                    .min_retry_wait(10)
                    .max_retry_wait(100)
                    .build()
                    .map_err(invalid)?;
                Target::Cluster(client)
            }
            Topology::Sentinel => {
                // The master's credentials and db, parsed as the crate would.
                let info = parsed
                    .node_url("127.0.0.1:1", true)
                    .into_connection_info()
                    .map_err(invalid)?;
                let sentinels = parsed
                    .nodes
                    .iter()
                    .map(|n| parsed.node_url(n, false))
                    .collect();
                let node = SentinelNodeConnectionInfo {
                    tls_mode: parsed.tls.then_some(TlsMode::Secure),
                    redis_connection_info: Some(info.redis),
                };
                Target::Sentinel {
                    sentinels,
                    master: parsed.master,
                    node,
                }
            }
        };
        Ok((target, described))
    }

    /// Connects (the caller bounds the whole of it with its deadline).
    pub(crate) async fn connect(&self, op_timeout: Duration) -> RedisResult<Conn> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(op_timeout)
            .set_response_timeout(op_timeout)
            .set_number_of_retries(1);
        match self {
            Target::Single(client) => Ok(Conn::Node(
                ConnectionManager::new_with_config(client.clone(), config).await?,
            )),
            Target::Cluster(client) => Ok(Conn::Cluster(client.get_async_connection().await?)),
            Target::Sentinel {
                sentinels,
                master,
                node,
            } => {
                // A fresh sentinel client each time: it caches connections
                // to the sentinels, which a forked child must not share, and
                // connects happen only after an error.
                let mut sentinel = SentinelClient::build(
                    sentinels.clone(),
                    master.clone(),
                    Some(node.clone()),
                    SentinelServerType::Master,
                )?;
                let client = sentinel.async_get_client().await?;
                Ok(Conn::Node(
                    ConnectionManager::new_with_config(client, config).await?,
                ))
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Node(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Node(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Node(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}
