//! The verifier's keys from a JWKS endpoint (docs/design.md §10): fetched
//! through the engine's transport (https rule, no redirects, 256 KiB cap,
//! `timeout`), cached for min(`jwks_cache_ttl`, the server's
//! `Cache-Control: max-age`), refetched on an unknown `kid` at most once per
//! `jwks_refetch_interval`, one fetch at a time (single flight), and the
//! last good keys served while the endpoint fails.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::process::{Mutex, RwLock};
use url::Url;

use super::keys::KeySet;
use crate::config::Settings;
use crate::error::{Error, ErrorDetail, Result, TransportKind};
use crate::http::Transport;

/// The largest JWKS document read.
pub(crate) const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Where the JWKS is.
pub(crate) enum Location {
    /// A configured `jwks_uri`.
    Uri(Url),
    /// Found through the issuer's metadata on first use.
    Issuer(Url),
}

/// Timing of the key cache.
pub(crate) struct Timing {
    pub ttl: Duration,
    pub refetch_interval: Duration,
    pub timeout: Duration,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    /// When the keys must be fetched again (TTL, or retry after a failure).
    check_at: Option<Instant>,
    /// The last fetch attempt, successful or not.
    last_attempt: Option<Instant>,
    /// Bumped by every attempt: a caller that waited for another's fetch
    /// sees it changed and does not fetch again.
    generation: u64,
    /// Why the last attempt failed, while no keys are held.
    error: Option<Error>,
}

/// What the verifier should do with the keys it holds now.
pub(crate) enum Snapshot {
    /// Use these keys.
    Keys(Arc<KeySet>),
    /// Fetch first (the keys are missing or due), then look again.
    Fetch(Due),
    /// No keys, and a fetch just failed with this error.
    Failed(Error),
}

/// A fetch that is due, as seen by one caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Due {
    /// The state's generation when the caller looked.
    generation: u64,
    /// Wait for a fetch already under way (no keys held, or an unknown
    /// `kid` the fetch may bring); otherwise serve the held keys meanwhile.
    wait: bool,
}

/// A remote JWKS and its cache.
pub(crate) struct RemoteKeys {
    location: Location,
    settings: Settings,
    timing: Timing,
    transport: Mutex<Option<Transport>>,
    resolved: Mutex<Option<Url>>,
    state: RwLock<State>,
    flight: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl RemoteKeys {
    pub(crate) fn new(location: Location, mut settings: Settings, timing: Timing) -> Self {
        settings.max_body = MAX_JWKS_BYTES;
        settings.connect_timeout = settings.connect_timeout.min(timing.timeout);
        RemoteKeys {
            location,
            settings,
            timing,
            transport: Mutex::new(None),
            resolved: Mutex::new(None),
            state: RwLock::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// JWKS requests made so far (discovery not counted).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The keys to use now; `after_fetch` forbids asking for another fetch.
    pub(crate) fn snapshot(&self, after_fetch: bool) -> Snapshot {
        let s = self.state.read();
        let due = s.check_at.is_none_or(|t| Instant::now() >= t);
        match (&s.keys, after_fetch) {
            (Some(k), true) => Snapshot::Keys(k.clone()),
            (Some(k), false) if !due => Snapshot::Keys(k.clone()),
            (None, true) => Snapshot::Failed(
                s.error
                    .clone()
                    .unwrap_or_else(|| Error::invalid_response("no JWKS was fetched")),
            ),
            _ => Snapshot::Fetch(Due {
                generation: s.generation,
                wait: s.keys.is_none(),
            }),
        }
    }

    /// On an unknown `kid`: `Some` when a refetch is allowed (none within
    /// the last `jwks_refetch_interval`).
    pub(crate) fn may_refetch(&self) -> Option<Due> {
        let s = self.state.read();
        let recent = s
            .last_attempt
            .is_some_and(|t| t.elapsed() < self.timing.refetch_interval);
        (!recent).then_some(Due {
            generation: s.generation,
            wait: true,
        })
    }

    /// Fetches the JWKS unless another caller did since `due` was seen.
    /// Failures are recorded, not returned: stale keys stay in use. While
    /// another caller fetches keys that are merely due, this returns at once
    /// and the held keys are used (a slow endpoint delays one caller only).
    pub(crate) async fn refresh(&self, due: Due) {
        let _flight = if due.wait {
            self.flight.lock().await
        } else {
            match self.flight.try_lock() {
                Ok(guard) => guard,
                Err(_) => return,
            }
        };
        if self.state.read().generation != due.generation {
            return; // someone else fetched while we waited
        }
        let outcome = tokio::time::timeout(self.timing.timeout, self.fetch())
            .await
            .unwrap_or_else(|_| {
                Err(Error::transport(
                    TransportKind::Timeout,
                    format!(
                        "JWKS fetch took longer than {:.3} s",
                        self.timing.timeout.as_secs_f64()
                    ),
                ))
            });
        let now = Instant::now();
        let mut s = self.state.write();
        s.generation += 1;
        s.last_attempt = Some(now);
        match outcome {
            Ok((keys, max_age)) => {
                let ttl = max_age.map_or(self.timing.ttl, |m| m.min(self.timing.ttl));
                // At most one fetch a second, whatever the server says.
                let ttl = ttl.max(Duration::from_secs(1).min(self.timing.ttl));
                s.keys = Some(Arc::new(keys));
                s.check_at = Some(now + ttl);
                s.error = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS fetch failed; keeping the keys held");
                let retry = self.timing.refetch_interval.min(self.timing.ttl);
                s.check_at = Some(now + retry.max(Duration::from_secs(1)));
                s.error = Some(e);
            }
        }
    }

    async fn transport(&self) -> Result<Transport> {
        if let Some(t) = self.transport.lock().clone() {
            return Ok(t);
        }
        let t = Transport::new(&self.settings)?;
        *self.transport.lock() = Some(t.clone());
        Ok(t)
    }

    async fn uri(&self, transport: &Transport) -> Result<Url> {
        let issuer = match &self.location {
            Location::Uri(u) => return Ok(u.clone()),
            Location::Issuer(i) => i,
        };
        if let Some(u) = self.resolved.lock().clone() {
            return Ok(u);
        }
        let u = crate::discovery::jwks_uri(transport, issuer).await?;
        *self.resolved.lock() = Some(u.clone());
        Ok(u)
    }

    async fn fetch(&self) -> Result<(KeySet, Option<Duration>)> {
        let transport = self.transport().await?;
        let uri = self.uri(&transport).await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let raw = transport.get(&uri).await?;
        if raw.status != 200 {
            let body = String::from_utf8_lossy(&raw.body[..raw.body.len().min(512)]).into_owned();
            return Err(ErrorDetail::Http {
                status: raw.status,
                body,
            }
            .into());
        }
        if !raw.complete {
            return Err(Error::invalid_response(format!(
                "the JWKS is larger than {MAX_JWKS_BYTES} bytes"
            )));
        }
        let keys = KeySet::parse(&raw.body)?;
        Ok((keys, raw.cache_control.as_deref().and_then(max_age)))
    }
}

/// The `max-age` of a `Cache-Control` value.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
            .map(Duration::from_secs)
    })
}

#[cfg(test)]
mod tests {
    use super::max_age;
    use std::time::Duration;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=60"), Some(Duration::from_secs(60)));
        assert_eq!(max_age("Max-Age=\"5\""), Some(Duration::from_secs(5)));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=-1"), None);
    }
}
