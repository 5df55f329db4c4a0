//! Token quotas an authorization server reports (docs/design.md §5): Auth0's
//! `Auth0-Client-Quota-Limit` and `Auth0-Organization-Quota-Limit` headers,
//! read on every token response, kept per client, and obeyed: an exhausted
//! bucket throttles the key until it resets, a low one moves refreshes late.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::process::Mutex;
use tracing::debug;

/// The client quota header (Auth0).
pub(crate) const CLIENT_HEADER: &str = "auth0-client-quota-limit";
/// The organization quota header (Auth0).
pub(crate) const ORGANIZATION_HEADER: &str = "auth0-organization-quota-limit";

/// Longest quota header read; a longer one is ignored whole.
const MAX_HEADER_BYTES: usize = 1024;
/// Most buckets read from one header; the rest are ignored.
const MAX_BUCKETS: usize = 4;
/// A bucket is low when at most this fraction of its quota remains.
const LOW_FRACTION: u64 = 10; // percent

/// One quota bucket as the token endpoint last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaBucket {
    /// Whose quota: `"client"` or `"organization"`.
    pub scope: &'static str,
    /// Which window: `"per_hour"` or `"per_day"`.
    pub bucket: &'static str,
    /// Tokens allowed in the window.
    pub quota: u64,
    /// Tokens left in the window when the response was received.
    pub remaining: u64,
    /// When the window resets (the response's arrival plus its `t`).
    pub reset_at: SystemTime,
}

impl QuotaBucket {
    /// Whether at most 10 % of the quota remains (docs/design.md §5).
    pub fn is_low(&self) -> bool {
        self.remaining.saturating_mul(100) <= self.quota.saturating_mul(LOW_FRACTION)
    }
}

/// The quota headers of one response, as received.
#[derive(Debug, Default, Clone)]
pub(crate) struct QuotaHeaders {
    pub client: Option<String>,
    pub organization: Option<String>,
}

/// A client's latest buckets, and whether a malformed header was logged.
#[derive(Default)]
pub(crate) struct QuotaState {
    buckets: Mutex<Vec<QuotaBucket>>,
    logged_malformed: AtomicBool,
}

impl QuotaState {
    /// Records a response's headers (a scope without its header keeps its
    /// buckets) and returns how long the key is to be throttled: until the
    /// latest reset of the buckets it reports exhausted, at most `cap`.
    pub(crate) fn record(
        &self,
        h: &QuotaHeaders,
        received: SystemTime,
        cap: Duration,
    ) -> Option<Duration> {
        let mut throttle: Option<Duration> = None;
        for (scope, value) in [("client", &h.client), ("organization", &h.organization)] {
            let Some(value) = value else { continue };
            let (parsed, malformed) = parse(scope, value, received);
            if malformed && !self.logged_malformed.swap(true, Ordering::Relaxed) {
                // Once per client: a server sending it keeps sending it.
                debug!(target: "m2m_auth", header = scope, "malformed token quota header ignored");
            }
            for b in parsed.iter().filter(|b| b.remaining == 0) {
                let left = b.reset_at.duration_since(received).unwrap_or_default();
                throttle = Some(throttle.map_or(left, |t| t.max(left)));
            }
            let mut buckets = self.buckets.lock();
            buckets.retain(|b| b.scope != scope);
            buckets.extend(parsed);
        }
        throttle.filter(|d| !d.is_zero()).map(|d| d.min(cap))
    }

    /// The buckets whose window has not reset yet.
    pub(crate) fn current(&self, now: SystemTime) -> Vec<QuotaBucket> {
        let buckets = self.buckets.lock();
        buckets
            .iter()
            .filter(|b| b.reset_at > now)
            .cloned()
            .collect()
    }

    /// Whether a current bucket is low: then tokens are refreshed as late
    /// as their usable window allows.
    pub(crate) fn is_low(&self, now: SystemTime) -> bool {
        let buckets = self.buckets.lock();
        buckets.iter().any(|b| b.reset_at > now && b.is_low())
    }
}

/// The buckets of one header value, and whether any part of it was
/// malformed (that part is ignored). Unknown attributes and bucket names
/// are ignored silently, as Auth0 may add some.
pub(crate) fn parse(
    scope: &'static str,
    value: &str,
    received: SystemTime,
) -> (Vec<QuotaBucket>, bool) {
    if value.len() > MAX_HEADER_BYTES {
        return (Vec::new(), true);
    }
    let mut out = Vec::new();
    let mut malformed = false;
    for part in value.split(',').take(MAX_BUCKETS) {
        match parse_bucket(scope, part, received) {
            Ok(Some(b)) => {
                if out.iter().all(|o: &QuotaBucket| o.bucket != b.bucket) {
                    out.push(b);
                }
            }
            Ok(None) => {}
            Err(()) => malformed = true,
        }
    }
    (out, malformed)
}

fn parse_bucket(
    scope: &'static str,
    part: &str,
    received: SystemTime,
) -> Result<Option<QuotaBucket>, ()> {
    let (mut bucket, mut q, mut r, mut t) = (None, None, None, None);
    for attr in part.split(';') {
        let Some((k, v)) = attr.split_once('=') else {
            if attr.trim().is_empty() {
                continue;
            }
            return Err(());
        };
        let number = || v.trim().parse::<u64>().map_err(|_| ());
        match k.trim() {
            "b" => {
                bucket = Some(match v.trim() {
                    "per_hour" => Some("per_hour"),
                    "per_day" => Some("per_day"),
                    _ => None,
                })
            }
            "q" => q = Some(number()?),
            "r" => r = Some(number()?),
            "t" => t = Some(number()?),
            _ => {}
        }
    }
    match (bucket, q, r, t) {
        (Some(None), ..) => Ok(None), // a bucket this version does not know
        (Some(Some(bucket)), Some(quota), Some(remaining), Some(t)) => {
            let reset_at = received.checked_add(Duration::from_secs(t)).ok_or(())?;
            Ok(Some(QuotaBucket {
                scope,
                bucket,
                quota,
                remaining: remaining.min(quota),
                reset_at,
            }))
        }
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auth0s_example_and_ignores_the_unknown() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let (b, bad) = parse(
            "client",
            "b=per_hour;q=100;r=99;t=3000;x=1,b=per_day;q=1000;r=999;t=80000,b=per_week;q=1;r=1;t=1",
            now,
        );
        assert!(!bad);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].bucket, "per_hour");
        assert_eq!((b[0].quota, b[0].remaining), (100, 99));
        assert_eq!(b[0].reset_at, now + Duration::from_secs(3000));
        assert_eq!(b[1].reset_at, now + Duration::from_secs(80000));
    }

    #[test]
    fn malformed_parts_are_dropped_and_flagged() {
        let now = SystemTime::UNIX_EPOCH;
        for v in [
            "b=per_hour;q=x;r=1;t=1",
            "garbage",
            "b=per_hour;q=1",
            &"a".repeat(2000),
        ] {
            let (b, bad) = parse("client", v, now);
            assert!(b.is_empty() && bad, "{v}");
        }
        let (b, bad) = parse("client", "junk,b=per_day;q=10;r=0;t=5", now);
        assert!(bad);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn exhausted_bucket_throttles_until_its_latest_reset_and_low_is_ten_percent() {
        let s = QuotaState::default();
        let now = SystemTime::now();
        let h = QuotaHeaders {
            client: Some("b=per_hour;q=100;r=0;t=30,b=per_day;q=1000;r=0;t=90".into()),
            organization: Some("b=per_hour;q=100;r=50;t=30".into()),
        };
        let cap = Duration::from_secs(3600);
        assert_eq!(s.record(&h, now, cap), Some(Duration::from_secs(90)));
        assert_eq!(s.current(now).len(), 3);
        assert!(s.is_low(now));
        let h = QuotaHeaders {
            client: Some("b=per_hour;q=100;r=11;t=30".into()),
            organization: None,
        };
        assert_eq!(s.record(&h, now, cap), None);
        assert!(!s.is_low(now), "11 % is not low");
        assert_eq!(s.current(now).len(), 2, "organization's bucket kept");
    }
}
