//! The Redis Cluster and Sentinel cache URLs (docs/design.md §4):
//! `redis+cluster://[user:pass@]h1:p1,h2:p2[,…]` and
//! `redis+sentinel://[user:pass@]h1:p1,h2:p2[,…]/master-name[/db]`, and their
//! `rediss+…` TLS forms. The `redis` crate parses one host per URL, so the
//! node list is parsed here. No message ever repeats the URL or a part of
//! it: an unencoded `/` or `@` in a password would put it where a host or a
//! master name is expected, and the message would then show it.

use crate::error::{Error, Result};

/// Which topology a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topology {
    /// Redis Cluster: the nodes are seeds; the slot map is learned from them.
    Cluster,
    /// Sentinel: the nodes are sentinels, asked for `master`'s address.
    Sentinel,
}

/// A parsed cluster or sentinel URL. Holds the credentials (for the data
/// nodes): deliberately not `Debug`, so no `{:?}` can print them.
pub(crate) struct MultiUrl {
    pub(crate) topology: Topology,
    pub(crate) tls: bool,
    /// `user:pass` as written (still percent-encoded), for the node URLs.
    pub(crate) userinfo: Option<String>,
    /// `host:port` each, IPv6 hosts in brackets.
    pub(crate) nodes: Vec<String>,
    /// Sentinel: the master's name.
    pub(crate) master: String,
    /// Sentinel: the database on the master (a cluster has only 0).
    pub(crate) db: i64,
}

/// True if `spec` is one of the URLs this module parses.
pub(crate) fn is_multi(spec: &str) -> bool {
    [
        "redis+cluster://",
        "rediss+cluster://",
        "redis+sentinel://",
        "rediss+sentinel://",
    ]
    .iter()
    .any(|p| spec.starts_with(p))
}

fn bad(topology: Topology, what: &str) -> Error {
    let example = match topology {
        Topology::Cluster => "redis+cluster://host:port,host:port",
        Topology::Sentinel => "redis+sentinel://host:port,host:port/master-name[/db]",
    };
    Error::config(format!(
        "cache URL is not valid: {what} (expected {example})"
    ))
}

impl MultiUrl {
    /// Parses a `redis+cluster://` or `redis+sentinel://` URL (TLS forms
    /// too); a `config` error that never quotes the URL otherwise.
    pub(crate) fn parse(spec: &str) -> Result<MultiUrl> {
        let (scheme, rest) = spec
            .split_once("://")
            .ok_or_else(|| Error::config("cache URL is not valid"))?;
        let (tls, topology) = match scheme {
            "redis+cluster" => (false, Topology::Cluster),
            "rediss+cluster" => (true, Topology::Cluster),
            "redis+sentinel" => (false, Topology::Sentinel),
            "rediss+sentinel" => (true, Topology::Sentinel),
            _ => return Err(Error::config("cache URL is not valid: unknown scheme")),
        };
        if rest.contains(['?', '#']) {
            return Err(bad(topology, "no query or fragment is accepted"));
        }
        // The userinfo ends at the last '@' (a password may hold an encoded
        // one only, but be lenient about where the hosts start).
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, rest),
        };
        if let Some(u) = userinfo {
            if u.is_empty() {
                return Err(bad(topology, "empty credentials before '@'"));
            }
            if u.contains(['/', '@']) {
                return Err(bad(
                    topology,
                    "'/' and '@' in credentials must be percent-encoded",
                ));
            }
            // The redis crate decodes it; refuse what it could not decode.
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            if percent_decode(user).is_none() || percent_decode(pass).is_none() {
                return Err(bad(
                    topology,
                    "credentials are not valid percent-encoded UTF-8",
                ));
            }
        }
        let (hosts, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let default_port = match topology {
            Topology::Cluster => 6379,
            Topology::Sentinel => 26379,
        };
        let nodes = hosts
            .split(',')
            .map(|n| node(n, default_port).ok_or_else(|| bad(topology, "a node is not host:port")))
            .collect::<Result<Vec<_>>>()?;
        let (master, db) = match topology {
            Topology::Cluster => {
                if !matches!(path, "" | "/" | "/0") {
                    return Err(bad(topology, "a cluster has no database but 0"));
                }
                (String::new(), 0)
            }
            Topology::Sentinel => sentinel_path(path)
                .ok_or_else(|| bad(topology, "the path must be /master-name or /master-name/db"))?,
        };
        Ok(MultiUrl {
            topology,
            tls,
            userinfo: userinfo.map(str::to_string),
            nodes,
            master,
            db,
        })
    }

    /// For logs and errors: the topology, nodes and master, no credentials.
    pub(crate) fn describe(&self) -> String {
        let s = if self.tls { "s" } else { "" };
        match self.topology {
            Topology::Cluster => format!("cluster{s} {}", self.nodes.join(",")),
            Topology::Sentinel => format!(
                "sentinel{s} {} master {}/{}",
                self.nodes.join(","),
                self.master,
                self.db
            ),
        }
    }

    /// A `redis://` URL for one node, with the credentials if `auth`.
    pub(crate) fn node_url(&self, node: &str, auth: bool) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        match (&self.userinfo, auth) {
            (Some(u), true) => format!("{scheme}://{u}@{node}/{}", self.db),
            _ => format!("{scheme}://{node}/{}", self.db),
        }
    }
}

/// `host[:port]` or `[v6][:port]`, normalized to `host:port`.
fn node(n: &str, default_port: u16) -> Option<String> {
    let (host, port) = if let Some(v6) = n.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        h.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{h}]"), port)
    } else {
        let (h, p) = match n.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (n, None),
        };
        let ok = !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !ok {
            return None;
        }
        (h.to_string(), p)
    };
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
    };
    Some(format!("{host}:{port}"))
}

/// `/master-name[/db]`: the name and the database.
fn sentinel_path(path: &str) -> Option<(String, i64)> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !ok {
        return None;
    }
    let db = match parts.next() {
        None | Some("") => 0,
        Some(d) => d.parse::<i64>().ok().filter(|d| *d >= 0)?,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((name.to_string(), db))
}

/// Percent-decodes `s`; `None` if an escape is broken or the result is not
/// UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls() {
        let u = MultiUrl::parse("redis+cluster://u:p%40ss@a:7000,b,[::1]:7002").unwrap();
        assert_eq!(u.topology, Topology::Cluster);
        assert!(!u.tls);
        assert_eq!(u.nodes, ["a:7000", "b:6379", "[::1]:7002"]);
        assert_eq!(u.describe(), "cluster a:7000,b:6379,[::1]:7002");
        assert_eq!(u.node_url("a:7000", true), "redis://u:p%40ss@a:7000/0");
        assert_eq!(u.node_url("a:7000", false), "redis://a:7000/0");
        let u = MultiUrl::parse("rediss+cluster://h:1/").unwrap();
        assert!(u.tls);
        assert_eq!(u.describe(), "clusters h:1");
    }

    #[test]
    fn sentinel_urls() {
        let u = MultiUrl::parse("redis+sentinel://:pw@s1:1,s2/mymaster/3").unwrap();
        assert_eq!(u.topology, Topology::Sentinel);
        assert_eq!(u.nodes, ["s1:1", "s2:26379"]);
        assert_eq!((u.master.as_str(), u.db), ("mymaster", 3));
        assert_eq!(u.describe(), "sentinel s1:1,s2:26379 master mymaster/3");
        let u = MultiUrl::parse("rediss+sentinel://s:1/m").unwrap();
        assert_eq!((u.tls, u.db), (true, 0));
    }

    #[test]
    fn malformed_urls_are_config_errors_without_the_url() {
        for bad in [
            "redis+cluster://",
            "redis+cluster://secretpw@",
            "redis+cluster://u:secretpw@a:1,,b:2",
            "redis+cluster://u:secretpw@a:99999",
            "redis+cluster://u:secretpw@a:1/2",
            "redis+cluster://u:secret/pw@a:1",
            "redis+cluster://u:secretpw@a:1?x=1",
            "redis+cluster://u:secret%zzpw@a:1",
            "redis+sentinel://u:secretpw@a:1",
            "redis+sentinel://u:secretpw@a:1/",
            "redis+sentinel://u:secretpw@a:1/m/x",
            "redis+sentinel://u:secretpw@a:1/m/1/2",
            "redis+sentinel://u:secret@pw@a:1/m/x",
        ] {
            let e = MultiUrl::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} parsed"));
            assert_eq!(e.code(), "config", "{bad}");
            assert!(!e.to_string().contains("secret"), "{bad}: {e}");
        }
    }
}
