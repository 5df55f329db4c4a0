//! Reading and writing one key's shared values: its token and its throttle.
//! Readers trust neither the writer's clock (a stamp in the future is a
//! miss, and the store's own expiry bounds what a reader grants) nor the
//! order writers finish in (writes are compare-and-set, never replacing a
//! newer value).

use std::time::{Duration, SystemTime};

use tracing::debug;

use super::Shared;
use crate::client::{Fetched, Inner};
use crate::clock::{self, nanos};
use crate::error::Result;
use crate::lifetime;
use crate::response::{refresh_in, TokenResponse};
use crate::store::{SealedThrottle, SealedToken, SharedStore};

/// How far ahead of this host's clock a value may be stamped (clocks of a
/// fleet differ a little) before it is a miss: beyond it, the writer's
/// clock is wrong and nothing it stamped can be trusted.
pub(crate) const FUTURE_TOLERANCE: Duration = Duration::from_secs(5);

/// Tries of a compare-and-set write that other writers keep beating.
const CAS_TRIES: u32 = 3;

impl Inner {
    /// A fresh token from the store, or `None` (absent, unopenable, stale,
    /// stamped in the future, expired in the store).
    pub(super) async fn read_shared(&self, shared: &Shared<'_>) -> Result<Option<Fetched>> {
        let Some(stored) = shared.store.get(shared.key).await? else {
            return Ok(None);
        };
        let Some(t) = shared.sealer.open::<SealedToken>(shared.key, &stored.value) else {
            debug!(target: "m2m_auth", "shared cache value does not open: a miss");
            return Ok(None);
        };
        if shared
            .rejected
            .is_some_and(|r| r.expose() == t.access_token)
        {
            return Ok(None);
        }
        let now = SystemTime::now();
        let lifetime = Duration::from_millis(t.lifetime_ms);
        let w = lifetime::windows(lifetime, refresh_in(&t.extra), &self.settings);
        let Some(age) = age(unix_ms(now), t.sent_at_ms, w.usable, stored.expires_in) else {
            debug!(target: "m2m_auth", "shared token stamped in the future: a miss");
            return Ok(None);
        };
        if age >= w.fresh {
            return Ok(None);
        }
        self.stats.shared_hit();
        let response = TokenResponse {
            access_token: t.access_token.clone(),
            token_type: t.token_type.clone(),
            expires_in: lifetime,
            scope: t.scope.clone(),
            extra: t.extra.clone(),
        };
        Ok(Some(Fetched {
            response,
            sent_at: clock::precise().saturating_sub(nanos(age)),
            sent_wall: now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH),
            throttle: None,
        }))
    }

    /// Shares a token this process fetched, for its usable lifetime, unless
    /// the store already holds one fetched later.
    pub(super) async fn write_shared(&self, shared: &Shared<'_>, f: &Fetched) {
        let r = &f.response;
        let lifetime = r.expires_in;
        let usable = lifetime::windows(lifetime, None, &self.settings).usable;
        let ttl = (f.sent_wall + usable)
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if ttl.is_zero() {
            return;
        }
        let sealed = SealedToken {
            access_token: r.access_token.clone(),
            token_type: r.token_type.clone(),
            sent_at_ms: unix_ms(f.sent_wall),
            lifetime_ms: lifetime.as_millis() as u64,
            scope: r.scope.clone(),
            extra: r.extra.clone(),
        };
        let Some(value) = shared.sealer.seal(shared.key, &sealed) else {
            return;
        };
        let stamp = |v: &[u8]| {
            shared
                .sealer
                .open::<SealedToken>(shared.key, v)
                .map(|t| t.sent_at_ms)
        };
        self.put_unless_newer(
            shared.store,
            shared.key,
            value,
            ttl,
            sealed.sent_at_ms,
            stamp,
        )
        .await;
    }

    /// How long the key is throttled by a throttle another process (or this
    /// one) stored, or `None`. Bounded by the store's expiry and by this
    /// client's `max_retry_after`, so no clock can lengthen it.
    pub(super) async fn read_throttle(&self, shared: &Shared<'_>) -> Result<Option<Duration>> {
        let Some(stored) = shared.store.get(shared.throttle_key).await? else {
            return Ok(None);
        };
        let Some(t) = shared
            .sealer
            .open::<SealedThrottle>(shared.throttle_key, &stored.value)
        else {
            return Ok(None);
        };
        let now = unix_ms(SystemTime::now());
        if t.at_ms > now.saturating_add(FUTURE_TOLERANCE.as_millis() as u64) {
            return Ok(None);
        }
        let by_stamp = t.at_ms.saturating_add(t.retry_after_ms).saturating_sub(now);
        let left = Duration::from_millis(by_stamp.min(t.retry_after_ms))
            .min(stored.expires_in.unwrap_or(Duration::MAX))
            .min(self.settings.retry.max_retry_after);
        Ok((!left.is_zero()).then_some(left))
    }

    /// Shares a throttle met here: other processes fail the same way,
    /// without a request, until it ends.
    pub(super) async fn write_throttle(&self, shared: &Shared<'_>, retry_after: Duration) {
        if retry_after.is_zero() {
            return;
        }
        let sealed = SealedThrottle {
            at_ms: unix_ms(SystemTime::now()),
            retry_after_ms: retry_after.as_millis().min(u64::MAX as u128) as u64,
        };
        let Some(value) = shared.sealer.seal(shared.throttle_key, &sealed) else {
            return;
        };
        let stamp = |v: &[u8]| {
            shared
                .sealer
                .open::<SealedThrottle>(shared.throttle_key, v)
                .map(|t| t.at_ms)
        };
        self.put_unless_newer(
            shared.store,
            shared.throttle_key,
            value,
            retry_after,
            sealed.at_ms,
            stamp,
        )
        .await;
    }

    /// Stores `value` (stamped `stamp_ms`) unless the store holds one stamped
    /// as late or later (and not in the future: a wrong clock's value is
    /// replaced), by compare-and-set against what was read, so a value
    /// another process stored meanwhile is never overwritten.
    async fn put_unless_newer(
        &self,
        store: &dyn SharedStore,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
        stamp_ms: u64,
        stamp_of: impl Fn(&[u8]) -> Option<u64>,
    ) {
        let latest_sane =
            unix_ms(SystemTime::now()).saturating_add(FUTURE_TOLERANCE.as_millis() as u64);
        for _ in 0..CAS_TRIES {
            let current = match store.get(key).await {
                Ok(c) => c,
                Err(e) => return self.store_failed(&e),
            };
            let current = current.map(|c| c.value);
            if let Some(c) = &current {
                if stamp_of(c).is_some_and(|s| s >= stamp_ms && s <= latest_sane) {
                    debug!(target: "m2m_auth", "the store holds a newer value; keeping it");
                    return;
                }
            }
            match store
                .put_if(key, value.clone(), ttl, current.as_deref())
                .await
            {
                Ok(true) => return,
                Ok(false) => {} // another writer got there first: look again
                Err(e) => return self.store_failed(&e),
            }
        }
    }
}

/// How old a stored token is for this reader: by the writer's stamp, but
/// never younger than the store's own expiry says (the writer stored it for
/// its `usable` lifetime, on the store's clock), so no host's clock extends
/// a token's life. `None` when stamped further than [`FUTURE_TOLERANCE`]
/// ahead of `now_ms`.
pub(crate) fn age(
    now_ms: u64,
    sent_at_ms: u64,
    usable: Duration,
    store_left: Option<Duration>,
) -> Option<Duration> {
    if sent_at_ms > now_ms.saturating_add(FUTURE_TOLERANCE.as_millis() as u64) {
        return None;
    }
    let stamped = Duration::from_millis(now_ms.saturating_sub(sent_at_ms));
    let by_store = store_left.map_or(Duration::ZERO, |left| usable.saturating_sub(left));
    Some(stamped.max(by_store))
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_stamp_in_the_future_beyond_the_tolerance_is_a_miss() {
        let now = 1_000_000_000;
        assert_eq!(age(now, now + 4_000, HOUR, None), Some(Duration::ZERO));
        assert_eq!(age(now, now + 6_000, HOUR, None), None);
        assert_eq!(age(now, now + 3_600_000, HOUR, Some(HOUR)), None);
    }

    #[test]
    fn the_store_expiry_bounds_the_life_granted() {
        let now = 1_000_000_000;
        // Stamped just now (a clock ahead by 4 s), but the store drops it in
        // 10 minutes: it is 50 minutes old for every reader.
        let a = age(now, now + 4_000, HOUR, Some(Duration::from_secs(600))).unwrap();
        assert_eq!(a, Duration::from_secs(3000));
        // An honest stamp older than the store says wins.
        let a = age(now, now - 3_500_000, HOUR, Some(Duration::from_secs(600))).unwrap();
        assert_eq!(a, Duration::from_millis(3_500_000));
    }

    /// Item 3: a token stamped a minute ahead of this host (its writer's
    /// clock runs ahead) is a miss; stamped now, it is served.
    #[tokio::test]
    async fn a_value_stamped_in_the_future_is_a_miss() {
        let dir = std::env::temp_dir().join(format!(
            "m2m-auth-future-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        let client = crate::TokenClient::builder()
            .token_url("http://127.0.0.1:9/token")
            .client_id("future")
            .client_secret("s3cret")
            .cache(format!("file:{}", dir.display()))
            .build()
            .unwrap();
        let inner = &client.inner;
        let store = inner.store.as_ref().unwrap();
        let digest = inner.default_slot.key.digest();
        let key = crate::store::store_key(&digest);
        let throttle_key = crate::store::throttle_key(&key);
        let sealer =
            crate::store::Sealer::new(inner.auth.sealing_secret().unwrap_or_default(), &digest);
        let shared = Shared {
            store: &**store,
            key: &key,
            throttle_key: &throttle_key,
            sealer: &sealer,
            rejected: None,
        };
        let now = unix_ms(SystemTime::now());
        for (ahead_ms, served) in [(60_000, false), (0, true)] {
            let token = SealedToken {
                access_token: "tok".into(),
                token_type: "Bearer".into(),
                sent_at_ms: now + ahead_ms,
                lifetime_ms: 3_600_000,
                scope: None,
                extra: Default::default(),
            };
            let value = sealer.seal(&key, &token).unwrap();
            let current = store.get(&key).await.unwrap().map(|s| s.value);
            assert!(store
                .put_if(&key, value, HOUR, current.as_deref())
                .await
                .unwrap());
            let read = inner.read_shared(&shared).await.unwrap();
            assert_eq!(read.is_some(), served, "stamped {ahead_ms} ms ahead");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
