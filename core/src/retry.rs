//! Which failures are worth another try, and how long to wait (docs/design.md §5).

use std::time::Duration;

use crate::error::{Error, ErrorDetail, TransportKind};

/// How a token request is retried and throttled.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default: 3).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each later one [1 s].
    pub base_delay: Duration,
    /// Longest backoff between two attempts [30 s].
    pub max_delay: Duration,
    /// Random spread of each backoff, as a fraction [0.1 = ±10 %].
    pub jitter: f64,
    /// How long a key is throttled after a 429/5xx without `Retry-After`,
    /// once the attempts are spent [5 s].
    pub default_throttle: Duration,
    /// Cap on any `Retry-After` the server asks for [3600 s].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: 0.1,
            default_throttle: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

/// What a failed attempt means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Do not retry (every other 4xx, malformed responses, TLS, config).
    Fatal,
    /// Retry; once the attempts are spent, do not throttle (transport
    /// failures, 408).
    Retry,
    /// Retry; the server said it is overloaded or failing (429, 5xx, OAuth
    /// `server_error` / `temporarily_unavailable`): once the attempts are
    /// spent, throttle the key (docs/design.md §5).
    RetryThenThrottle,
}

/// Statuses after which the server is overloaded or failing.
const OVERLOADED: &[u16] = &[429, 500, 502, 503, 504];

pub(crate) fn classify(err: &Error) -> Verdict {
    use ErrorDetail as E;
    match err.detail() {
        E::Transport {
            kind: TransportKind::Tls,
            ..
        } => Verdict::Fatal,
        E::Transport { .. } => Verdict::Retry,
        E::Http { status, .. } | E::OAuth { status, .. } if OVERLOADED.contains(status) => {
            Verdict::RetryThenThrottle
        }
        E::OAuth { error, .. } if error == "server_error" || error == "temporarily_unavailable" => {
            Verdict::RetryThenThrottle
        }
        E::Http { status: 408, .. } | E::OAuth { status: 408, .. } => Verdict::Retry,
        _ => Verdict::Fatal,
    }
}

impl RetryPolicy {
    /// The backoff after failed attempt number `attempt` (1-based), jittered.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let base = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let spread = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + spread * (fastrand::f64() * 2.0 - 1.0);
        base.mul_f64(factor.max(0.0))
    }
}
