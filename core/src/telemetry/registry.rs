//! Every live client, so that metrics can read their stats when collected
//! (the cached path then does no telemetry work at all).

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use crate::client::Inner;
use crate::process::Mutex;
use crate::stats::Stats;

/// The clients, and the list's length after its last pruning.
static CLIENTS: Mutex<(Vec<Weak<Inner>>, usize)> = Mutex::new((Vec::new(), 0));

/// A client was built. Dead entries are pruned when the list has doubled
/// since the last pruning, so that building N clients costs O(N), not
/// O(N²), and a dropped client's allocation is freed soon after.
pub(crate) fn register(inner: &Arc<Inner>) {
    let mut guard = CLIENTS.lock();
    let (list, pruned_len) = &mut *guard;
    if list.len() >= (*pruned_len * 2).max(64) {
        list.retain(|w| w.strong_count() > 0);
        *pruned_len = list.len();
    }
    list.push(Arc::downgrade(inner));
}

/// The stats of every live client by client id, in client id order:
/// counters summed over the clients of one id, `quota_remaining` their
/// lowest. A client dropped takes its counts with it.
pub fn live_stats() -> Vec<(String, Stats)> {
    let clients: Vec<Arc<Inner>> = {
        let guard = CLIENTS.lock();
        guard.0.iter().filter_map(Weak::upgrade).collect()
    };
    let mut by_id: BTreeMap<String, Stats> = BTreeMap::new();
    for c in &clients {
        let s = c.stats_now();
        let t = by_id.entry(c.client_id.clone()).or_default();
        t.hits += s.hits;
        t.misses += s.misses;
        t.fetches += s.fetches;
        t.refreshes += s.refreshes;
        t.failures += s.failures;
        t.shared_hits += s.shared_hits;
        t.store_errors += s.store_errors;
        t.throttles += s.throttles;
        t.quota_remaining = match (t.quota_remaining, s.quota_remaining) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    by_id.into_iter().collect()
}
