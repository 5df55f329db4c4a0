//! `Retry-After`.

use super::*;

// ---------------------------------------------------------------------------
// 3. Retry-After
// ---------------------------------------------------------------------------

fn cap() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::from_secs(300)),
        (0..10_000_000u64).prop_map(Duration::from_secs),
        (0..10_000_000u64, 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn retry_after_never_panics(
        s in prop_oneof![
            ".{0,40}",
            "[0-9 ]{0,30}",
            "(Mon|Tue|Sun), [0-9]{1,2} (Jan|Feb|Dec) [0-9]{1,5} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            prop::collection::vec(any::<u8>(), 0..40)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        cap in cap(),
        offset in any::<i32>(),
    ) {
        let now = if offset >= 0 {
            SystemTime::now() + Duration::from_secs(offset as u64)
        } else {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs() as u64)
        };
        if let Some(d) = parse_retry_after(&s, now, cap) {
            prop_assert!(d <= cap);
        }
    }

    #[test]
    fn retry_after_delta_seconds(delta in prop_oneof![any::<u64>(), 0..100_000u64], cap in cap()) {
        let want = Some(Duration::from_secs(delta).min(cap));
        let now = SystemTime::now();
        prop_assert_eq!(parse_retry_after(&delta.to_string(), now, cap), want);
        prop_assert_eq!(parse_retry_after(&format!(" {delta} "), now, cap), want);
    }

    #[test]
    fn retry_after_huge_delta_is_capped(digits in "[1-9][0-9]{20,40}", cap in cap()) {
        prop_assert_eq!(parse_retry_after(&digits, SystemTime::now(), cap), Some(cap));
    }

    #[test]
    fn retry_after_http_date(k in 0..1_000_000u64, cap in cap()) {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now + Duration::from_secs(k));
        let got = parse_retry_after(&date, now, cap);
        prop_assert!(got.is_some(), "{date:?} not parsed");
        let got = got.unwrap();
        let want = Duration::from_secs(k).min(cap);
        prop_assert!(got <= cap);
        let diff = got.abs_diff(want);
        prop_assert!(diff <= Duration::from_secs(2), "{date:?}: got {got:?}, want ~{want:?}");
    }

    #[test]
    fn retry_after_past_date_is_zero(k in 1..1_000_000_000u64, cap in cap()) {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now - Duration::from_secs(k));
        prop_assert_eq!(parse_retry_after(&date, now, cap), Some(Duration::ZERO));
    }
}
