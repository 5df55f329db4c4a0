//! The token-lifetime rule, in one place (docs/design.md §4): a token whose
//! lifetime is `L` is usable until `L - leeway` after its request was sent
//! (the leeway never more than half of `L`), and fresh until
//! `L × refresh_ratio`, or the server's `refresh_in` when it sent one
//! (never past usable). The process cache, the shared cache's reader and
//! its writer all count from here. `refresh_jitter` then moves this
//! process's refresh point of each token earlier at random, so that a fleet
//! without a shared cache does not refresh all at once.

use std::time::{Duration, SystemTime};

use crate::cache::Cached;
use crate::client::{Fetched, Inner};
use crate::clock::nanos;
use crate::config::Settings;
use crate::request::Resolved;
use crate::token::Token;

/// How long after its request was sent a token is fresh, and usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// Served without a refresh until then.
    pub fresh: Duration,
    /// Served at all until then.
    pub usable: Duration,
}

/// The windows of a token with this lifetime (and the server's
/// `refresh_in`, if any) under these settings.
pub(crate) fn windows(lifetime: Duration, refresh_in: Option<Duration>, s: &Settings) -> Windows {
    let usable = lifetime.saturating_sub(s.leeway.min(lifetime / 2));
    let planned = refresh_in.unwrap_or_else(|| lifetime.mul_f64(s.refresh_ratio));
    Windows {
        fresh: planned.min(usable),
        usable,
    }
}

/// `w` with its refresh point moved earlier by a random part of
/// `refresh_jitter × lifetime` (drawn anew for each token this process
/// caches).
pub(crate) fn jittered(w: Windows, lifetime: Duration, s: &Settings) -> Windows {
    if s.refresh_jitter <= 0.0 {
        return w;
    }
    let cut = lifetime.mul_f64(s.refresh_jitter * fastrand::f64());
    Windows {
        fresh: w.fresh.saturating_sub(cut),
        ..w
    }
}

impl Inner {
    /// The cache entry for a fresh response: usable until `expires - leeway`
    /// (leeway at most half the lifetime), fresh until the refresh point,
    /// both counted from when the request was sent.
    pub(crate) fn to_cached(&self, f: Fetched, request: &Resolved) -> Cached {
        let lifetime = f.response.expires_in;
        let planned = windows(lifetime, f.response.refresh_in(), &self.settings);
        let mut w = jittered(planned, lifetime, &self.settings);
        if self.quota.is_low(SystemTime::now()) {
            // docs/design.md §4: with little quota left, each token serves
            // as long as it can, so fewer are requested.
            w.fresh = w.usable;
        }
        let usable_until = f.sent_at.saturating_add(nanos(w.usable));
        let fresh_until = f.sent_at.saturating_add(nanos(w.fresh));
        let r = f.response;
        let scope = r.scope.or_else(|| request.scope_string());
        let refresh_at = f.sent_wall + w.fresh;
        let expires_at = f.sent_wall + r.expires_in;
        let token = Token::new(
            r.access_token,
            r.token_type,
            expires_at,
            refresh_at,
            scope,
            r.extra,
        );
        Cached {
            token,
            usable_until,
            fresh_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_is_capped_and_fresh_never_passes_usable() {
        let s = Settings::default(); // leeway 60 s, ratio 0.75
        let w = windows(Duration::from_secs(3600), None, &s);
        assert_eq!(w.usable, Duration::from_secs(3540));
        assert_eq!(w.fresh, Duration::from_secs(2700));
        let w = windows(Duration::from_secs(100), None, &s);
        assert_eq!(w.usable, Duration::from_secs(50));
        assert_eq!(w.fresh, Duration::from_secs(50));
    }

    #[test]
    fn refresh_in_replaces_the_ratio_but_never_passes_usable() {
        let s = Settings::default();
        let hour = Duration::from_secs(3600);
        let w = windows(hour, Some(Duration::from_secs(600)), &s);
        assert_eq!(w.fresh, Duration::from_secs(600));
        let w = windows(hour, Some(Duration::from_secs(7200)), &s);
        assert_eq!(w.fresh, Duration::from_secs(3540));
    }

    #[test]
    fn jitter_spreads_the_refresh_point_below_it_and_within_its_window() {
        let mut s = Settings::default();
        let hour = Duration::from_secs(3600);
        let w = windows(hour, None, &s);
        assert_eq!(jittered(w, hour, &s), w, "no jitter by default");
        s.refresh_jitter = 0.1;
        let points: Vec<Duration> = (0..200).map(|_| jittered(w, hour, &s).fresh).collect();
        let (lo, hi) = (Duration::from_secs(2340), Duration::from_secs(2700));
        assert!(points.iter().all(|p| (lo..=hi).contains(p)), "{points:?}");
        let spread = points
            .iter()
            .max()
            .unwrap()
            .saturating_sub(*points.iter().min().unwrap());
        assert!(spread > Duration::from_secs(180), "{spread:?}");
        s.refresh_jitter = 1.0;
        assert!(jittered(w, hour, &s).usable == w.usable);
    }
}
