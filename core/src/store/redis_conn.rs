//! How the Redis store reaches Redis: one server (`redis://`), a Redis
//! Cluster (`redis+cluster://`: the crate's cluster client follows `MOVED`
//! and refreshes its slot map after a failover) or a master found through
//! Sentinel (`redis+sentinel://`: asked again at every reconnect, so a
//! promoted replica is found without restarting the process). The `rediss…`
//! forms use TLS to every node and sentinel, trusting what `redis_tls` says.
//! Every connect and command is bounded by the store's deadline (the
//! caller's `timeout` around each await, and the crate's own timeouts below
//! it).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClientBuilder, SentinelServerType};
use redis::{
    Cmd, ConnectionAddr, IntoConnectionInfo, Pipeline, RedisConnectionInfo, RedisFuture,
    RedisResult, TlsCertificates, TlsMode, Value,
};

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
        /// One address per sentinel (no credentials: they are the data
        /// nodes').
        sentinels: Vec<ConnectionAddr>,
        master: String,
        /// Credentials and database for the master.
        node: RedisConnectionInfo,
        /// TLS to the sentinels and the master.
        tls: bool,
        /// What TLS trusts, if not the crate's default (the OS store).
        certs: Option<TlsCertificates>,
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
    /// `ca_certs` are trusted by its TLS connections, with the OS store.
    pub(crate) fn parse(
        url: &str,
        op_timeout: Duration,
        ca_certs: &[Vec<u8>],
    ) -> Result<(Target, String)> {
        if !super::redis_url::is_multi(url) {
            let info = url.into_connection_info().map_err(invalid)?;
            // Host and db only: never the password.
            let described = format!("{}/{}", info.addr, info.redis.db);
            let client = match &info.addr {
                ConnectionAddr::TcpTls { insecure: true, .. } => {
                    return Err(Error::config(
                        "cache URL is not valid: #insecure would turn certificate verification \
                         off, which no option does: trust the server's CA with ca_certs",
                    ))
                }
                ConnectionAddr::TcpTls { .. } => match super::redis_tls::certificates(ca_certs)? {
                    Some(certs) => redis::Client::build_with_tls(info, certs),
                    None => redis::Client::open(info),
                },
                _ => redis::Client::open(info),
            }
            .map_err(invalid)?;
            return Ok((Target::Single(client), described));
        }
        let parsed = MultiUrl::parse(url)?;
        let described = parsed.describe();
        let certs = match parsed.tls {
            true => super::redis_tls::certificates(ca_certs)?,
            false => None,
        };
        let target = match parsed.topology {
            Topology::Cluster => {
                let nodes = parsed.nodes.iter().map(|n| parsed.node_url(n, true));
                let mut builder = ClusterClientBuilder::new(nodes)
                    .connection_timeout(op_timeout)
                    .response_timeout(op_timeout)
                    // Enough to follow a MOVED/ASK and to retry once after a
                    // refresh; the store's deadline bounds the rest (a dead
                    // master degrades to the process cache meanwhile).
                    .retries(2)
                    .min_retry_wait(10)
                    .max_retry_wait(100);
                if let Some(certs) = certs {
                    builder = builder.certs(certs);
                }
                Target::Cluster(builder.build().map_err(invalid)?)
            }
            Topology::Sentinel => {
                // The master's credentials and db, parsed as the crate would.
                let node = parsed
                    .node_url("127.0.0.1:1", true)
                    .into_connection_info()
                    .map_err(invalid)?
                    .redis;
                let sentinels = parsed
                    .nodes
                    .iter()
                    .map(|n| Ok(parsed.node_url(n, false).into_connection_info()?.addr))
                    .collect::<RedisResult<_>>()
                    .map_err(invalid)?;
                Target::Sentinel {
                    sentinels,
                    master: parsed.master,
                    node,
                    tls: parsed.tls,
                    certs,
                }
            }
        };
        Ok((target, described))
    }

    /// Connects (the caller bounds the whole of it with its deadline).
    pub(crate) async fn connect(&self, op_timeout: Duration) -> RedisResult<Conn> {
        // No retry inside the manager: its first one waits a second or more,
        // past the store's deadline, and the caller would see "timed out"
        // instead of the cause (a refused connection, an untrusted
        // certificate). The store retries a failed connect after 1 s.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(op_timeout)
            .set_response_timeout(op_timeout)
            .set_number_of_retries(0);
        match self {
            Target::Single(client) => Ok(Conn::Node(
                ConnectionManager::new_with_config(client.clone(), config).await?,
            )),
            Target::Cluster(client) => Ok(Conn::Cluster(client.get_async_connection().await?)),
            Target::Sentinel {
                sentinels,
                master,
                node,
                tls,
                certs,
            } => {
                // A fresh sentinel client each time: it caches connections
                // to the sentinels, which a forked child must not share, and
                // connects happen only after an error.
                let mut b = SentinelClientBuilder::new(
                    sentinels.clone(),
                    master.clone(),
                    SentinelServerType::Master,
                )?
                .set_client_to_redis_db(node.db)
                .set_client_to_redis_protocol(node.protocol);
                if let Some(user) = &node.username {
                    b = b.set_client_to_redis_username(user.clone());
                }
                if let Some(password) = &node.password {
                    b = b.set_client_to_redis_password(password.clone());
                }
                if *tls {
                    b = b
                        .set_client_to_redis_tls_mode(TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(TlsMode::Secure);
                }
                if let Some(certs) = certs {
                    b = b
                        .set_client_to_redis_certificates(certs.clone())
                        .set_client_to_sentinel_certificates(certs.clone());
                }
                let mut sentinel = b.build()?;
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
