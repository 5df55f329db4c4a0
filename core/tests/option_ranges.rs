//! docs/design.md §1: every option value a caller can pass is either
//! accepted or a `config` error from `build()`: never a panic, at build time
//! or on the fetch path (issue #11, item 11: a huge `default_expires_in`,
//! `max_retry_after` or `timeout` used to overflow a deadline and panic).

use std::time::Duration;

use m2m_auth::surface::{ValueType, CLIENT_OPTIONS};
use m2m_auth::{OptionValue, TokenClient, TokenRequest};
use proptest::prelude::*;

/// Any value of an option's type, extremes included.
fn value(ty: ValueType) -> BoxedStrategy<OptionValue> {
    match ty {
        ValueType::Duration => prop_oneof![
            Just(Duration::MAX),
            Just(Duration::from_secs(u64::MAX / 2)),
            Just(Duration::ZERO),
            (0u64..u64::MAX).prop_map(Duration::from_secs),
            (0u64..10_000_000).prop_map(Duration::from_millis),
        ]
        .prop_map(OptionValue::Duration)
        .boxed(),
        ValueType::Count => prop_oneof![Just(u64::MAX), Just(0u64), any::<u64>(), 0u64..5000]
            .prop_map(OptionValue::Count)
            .boxed(),
        ValueType::Fraction => prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-1.0),
            any::<f64>(),
            0.0..=1.0f64
        ]
        .prop_map(OptionValue::Fraction)
        .boxed(),
        ValueType::Flag => any::<bool>().prop_map(OptionValue::Flag).boxed(),
        _ => Just(OptionValue::Text(String::new())).boxed(),
    }
}

/// A few options, each set to an arbitrary value of its type.
fn settings() -> impl Strategy<Value = Vec<(&'static str, OptionValue)>> {
    let numeric: Vec<_> = CLIENT_OPTIONS
        .iter()
        .filter(|i| {
            matches!(
                i.ty,
                ValueType::Duration | ValueType::Count | ValueType::Fraction
            )
        })
        .collect();
    prop::collection::vec(
        prop::sample::select(numeric).prop_flat_map(|i| value(i.ty).prop_map(move |v| (i.name, v))),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_value_is_accepted_or_a_config_error_and_never_panics(set in settings()) {
        let mut b = TokenClient::builder()
            .token_url("http://127.0.0.1:9/token") // nothing listens there
            .client_id("id")
            .client_secret("secret")
            .no_proxy();
        for (name, v) in set {
            b.set(name, v).unwrap();
        }
        match b.build() {
            Err(e) => prop_assert_eq!(e.code(), "config"),
            Ok(client) => {
                // The fetch path computes its deadlines and backoff from these
                // values: run it until its first wait.
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let call = client.get_token(&TokenRequest::default());
                    let _ = tokio::time::timeout(Duration::from_millis(30), call).await;
                });
            }
        }
    }
}

#[test]
fn out_of_range_durations_are_config_errors() {
    for (name, secs) in [
        ("default_expires_in", u64::MAX),
        ("max_retry_after", u64::MAX / 2),
        ("timeout", 10_000_000_000_000_000_000),
        ("lease_ttl", 0),
    ] {
        let mut b = TokenClient::builder()
            .token_url("https://a.example/token")
            .client_id("id")
            .client_secret("s");
        b.set(name, OptionValue::Duration(Duration::from_secs(secs)))
            .unwrap();
        let err = b.build().unwrap_err();
        assert_eq!(err.code(), "config", "{name}");
        assert!(err.to_string().contains(name), "{err}");
    }
}
