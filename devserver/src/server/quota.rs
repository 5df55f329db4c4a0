//! A client's token quota (`token_quota`, as Auth0's
//! `token_quota.client_credentials`): tokens counted per hour and per day,
//! reported in `Auth0-Client-Quota-Limit` on every token response of an
//! authenticated client, and, with `enforce`, refused with 429 once a bucket
//! is spent. Windows are counted from the server's start.

use std::collections::HashMap;
use std::time::Instant;

use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;

use super::reply::{oauth_error, Reply};
use crate::config::TokenQuota;

/// The header Auth0 reports a client's quota in.
const HEADER: &str = "auth0-client-quota-limit";
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// Tokens issued per client in the current hour and day windows.
pub(crate) struct Quotas {
    start: Instant,
    used: HashMap<String, Used>,
}

#[derive(Default, Clone, Copy)]
struct Used {
    hour_window: u64,
    hour: u64,
    day_window: u64,
    day: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            start: Instant::now(),
            used: HashMap::new(),
        }
    }
}

impl Quotas {
    /// The client's counts, windows past reset emptied; and seconds since start.
    fn used(&mut self, client: &str) -> (&mut Used, u64) {
        let elapsed = self.start.elapsed().as_secs();
        let u = self.used.entry(client.to_string()).or_default();
        if u.hour_window != elapsed / HOUR {
            (u.hour_window, u.hour) = (elapsed / HOUR, 0);
        }
        if u.day_window != elapsed / DAY {
            (u.day_window, u.day) = (elapsed / DAY, 0);
        }
        (u, elapsed)
    }

    /// The 429 refusal (with the header) if an enforced bucket is spent.
    pub(super) fn refuse(&mut self, client: &str, q: &TokenQuota) -> Option<Reply> {
        let (u, _) = self.used(client);
        let u = *u;
        let spent =
            q.per_hour.is_some_and(|n| u.hour >= n) || q.per_day.is_some_and(|n| u.day >= n);
        if !(q.enforce && spent) {
            return None;
        }
        let reply = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "the client's token quota is spent",
        );
        Some(self.report(client, q, reply))
    }

    /// Counts a token issued (`reply` is 200) and adds the header.
    pub(super) fn spend(&mut self, client: &str, q: &TokenQuota, reply: Reply) -> Reply {
        if reply.status == StatusCode::OK {
            let (u, _) = self.used(client);
            u.hour += 1;
            u.day += 1;
        }
        self.report(client, q, reply)
    }

    /// `reply` with the client's quota header, true counts.
    fn report(&mut self, client: &str, q: &TokenQuota, mut reply: Reply) -> Reply {
        let (u, elapsed) = self.used(client);
        let u = *u;
        let mut parts = Vec::new();
        if let Some(n) = q.per_hour {
            let t = HOUR - elapsed % HOUR;
            parts.push(format!(
                "b=per_hour;q={n};r={};t={t}",
                n.saturating_sub(u.hour)
            ));
        }
        if let Some(n) = q.per_day {
            let t = DAY - elapsed % DAY;
            parts.push(format!(
                "b=per_day;q={n};r={};t={t}",
                n.saturating_sub(u.day)
            ));
        }
        if let Ok(v) = HeaderValue::from_str(&parts.join(",")) {
            reply.headers.insert(HeaderName::from_static(HEADER), v);
        }
        reply
    }
}
