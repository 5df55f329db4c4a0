//! Token quota headers (docs/design.md §5, "Token quotas"): any value is
//! read without a panic, within the bounds, and a well-formed bucket list
//! reads back exactly.

use super::*;
use crate::quota::{parse, QuotaHeaders, QuotaState};

fn bucket() -> impl Strategy<Value = (bool, u64, u64, u64)> {
    (any::<bool>(), any::<u64>(), any::<u64>(), 0..10_000_000u64)
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn quota_headers_never_panic_and_stay_bounded(
        s in prop_oneof![
            ".{0,200}",
            "(b=per_(hour|day|week)|q=[0-9x]{0,22}|r=[0-9]{0,22}|t=[0-9]{0,22}|[;,=]){0,40}",
            prop::collection::vec(any::<u8>(), 0..2000)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
    ) {
        let now = SystemTime::now();
        let (buckets, _) = parse("client", &s, now);
        prop_assert!(buckets.len() <= 2, "at most one bucket of each kind");
        for b in &buckets {
            prop_assert!(b.remaining <= b.quota);
            prop_assert!(b.reset_at >= now);
        }
        let state = QuotaState::default();
        let h = QuotaHeaders { client: Some(s.clone()), organization: Some(s) };
        let cap = Duration::from_secs(3600);
        if let Some(d) = state.record(&h, now, cap) {
            prop_assert!(d <= cap && !d.is_zero());
        }
    }

    #[test]
    fn well_formed_buckets_read_back(hour in bucket(), day in bucket()) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let part = |name: &str, (_, q, r, t): (bool, u64, u64, u64)| {
            format!("b={name};q={q};r={};t={t}", r.min(q))
        };
        let value = format!("{},{}", part("per_hour", hour), part("per_day", day));
        let (buckets, bad) = parse("organization", &value, now);
        prop_assert!(!bad);
        prop_assert_eq!(buckets.len(), 2);
        prop_assert_eq!((buckets[0].quota, buckets[0].remaining), (hour.1, hour.2.min(hour.1)));
        prop_assert_eq!(buckets[1].reset_at, now + Duration::from_secs(day.3));
        prop_assert_eq!(buckets[1].scope, "organization");
    }
}
