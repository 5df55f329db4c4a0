//! The token-lifetime rule, in one place (docs/design.md §4): a token whose
//! lifetime is `L` is usable until `L - leeway` after its request was sent
//! (the leeway never more than half of `L`), and fresh until
//! `L × refresh_ratio` (never past usable). The process cache, the shared
//! cache's reader and its writer all count from here.

use std::time::Duration;

use crate::config::Settings;

/// How long after its request was sent a token is fresh, and usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// Served without a refresh until then.
    pub fresh: Duration,
    /// Served at all until then.
    pub usable: Duration,
}

/// The windows of a token with this lifetime under these settings.
pub(crate) fn windows(lifetime: Duration, s: &Settings) -> Windows {
    let usable = lifetime.saturating_sub(s.leeway.min(lifetime / 2));
    let fresh = lifetime.mul_f64(s.refresh_ratio).min(usable);
    Windows { fresh, usable }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_is_capped_and_fresh_never_passes_usable() {
        let s = Settings::default(); // leeway 60 s, ratio 0.75
        let w = windows(Duration::from_secs(3600), &s);
        assert_eq!(w.usable, Duration::from_secs(3540));
        assert_eq!(w.fresh, Duration::from_secs(2700));
        let w = windows(Duration::from_secs(100), &s);
        assert_eq!(w.usable, Duration::from_secs(50));
        assert_eq!(w.fresh, Duration::from_secs(50));
    }
}
