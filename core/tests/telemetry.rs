//! docs/design.md §12, telemetry: a record per token request delivered to
//! a sink (never a secret, token or assertion), the `throttles` and
//! `quota_remaining` stats, and with the `opentelemetry` feature the spans
//! and metrics, read back through the SDK's in-memory exporters.
//!
//! Records, spans and metrics are process-wide: each test picks its own
//! client's by client id.

mod common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::*;
use m2m_auth::telemetry::{self, TokenRequestRecord};
use m2m_auth::TokenRequest;
use serde_json::json;

static RECORDS: Mutex<Vec<TokenRequestRecord>> = Mutex::new(Vec::new());

/// Installs the sink (and, with the feature, the SDK providers) once, before
/// any client of this binary is built.
fn setup() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        #[cfg(feature = "opentelemetry")]
        otel::install();
        telemetry::set_sink(Some(Arc::new(|batch: &[TokenRequestRecord]| {
            RECORDS.lock().unwrap().extend_from_slice(batch)
        })));
    });
}

/// `client_id`'s records, after delivering the queue.
fn records_of(client_id: &str) -> Vec<TokenRequestRecord> {
    telemetry::flush();
    let all = RECORDS.lock().unwrap();
    all.iter()
        .filter(|r| r.client_id == client_id)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_token_request_ends_in_one_record_without_secrets() {
    setup();
    let env = env().await;
    let client = env
        .builder()
        .audience("https://api.example")
        .build()
        .unwrap();
    let token = client.get_token(&TokenRequest::default()).await.unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    let records = records_of(&env.client_id);
    assert_eq!(
        records.len(),
        1,
        "the cached call makes no record: {records:?}"
    );
    let r = &records[0];
    assert_eq!(r.endpoint, env.server.token_url());
    assert_eq!(r.attempts, 1);
    assert_eq!(r.outcome, "ok");
    assert_eq!(r.status, Some(200));
    assert!(!r.background);
    assert_eq!(r.key_fingerprint.len(), 16);
    assert!(r.duration > Duration::ZERO && r.duration < Duration::from_secs(10));
    let shown = format!("{r:?}");
    assert!(!shown.contains(&env.secret), "{shown}");
    assert!(!shown.contains(token.access_token()), "{shown}");
}

#[tokio::test]
async fn a_failed_request_records_its_attempts_status_and_code() {
    setup();
    let env = env().await;
    env.faults(json!([{"status": 503, "body": "down"}]), true);
    let client = env.client();
    let err = client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    let records = records_of(&env.client_id);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].outcome, err.code());
    assert_eq!(records[0].status, Some(503));
    assert_eq!(records[0].attempts as u64, env.requests());
    assert!(records[0].attempts > 1);
}

#[tokio::test]
async fn a_refused_secret_never_reaches_a_record() {
    setup();
    let env = env().await;
    // The server refuses the credentials: a careless record would carry
    // what was sent.
    env.faults(
        json!([{"status": 400, "json": {"error": "invalid_client"}}]),
        true,
    );
    let client = env.client();
    client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    for r in records_of(&env.client_id) {
        let shown = format!("{r:?}");
        assert!(!shown.contains(&env.secret), "{shown}");
        assert!(!shown.contains("client_secret"), "{shown}");
    }
}

#[tokio::test]
async fn a_background_refresh_is_delivered_by_the_forwarder() {
    setup();
    // Lifetime 4 s, leeway 1 s, refresh at 50 %: fresh until 2 s.
    let env = env_with(4, None, None).await;
    let client = env
        .builder()
        .leeway(Duration::from_secs(1))
        .refresh_ratio(0.5)
        .build()
        .unwrap();
    client.get_token(&TokenRequest::default()).await.unwrap();
    telemetry::flush();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    client.get_token(&TokenRequest::default()).await.unwrap();
    // No flush: the forwarder delivers the refresh's record (~50 ms).
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let background: Vec<_> = RECORDS
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.client_id == env.client_id && r.background)
            .cloned()
            .collect();
        if let [r] = background.as_slice() {
            assert_eq!((r.outcome, r.attempts), ("ok", 1));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{background:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_assertion_never_reaches_a_record() {
    setup();
    let env = env().await;
    let assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZWxlbWV0cnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";
    let client = builder_for(&env.server, &env.client_id)
        .client_assertion(assertion)
        .build()
        .unwrap();
    // The server refuses it (not a key it knows): a record is made anyway.
    let _ = client.get_token(&TokenRequest::default()).await;
    let records = records_of(&env.client_id);
    assert_eq!(records.len(), 1, "{records:?}");
    let shown = format!("{records:?}");
    assert!(!shown.contains("c2lnbmF0dXJlLWNhbmFyeQ"), "{shown}");
    assert!(!shown.contains("eyJzdWIiOiJ0ZWxlbWV0cnkifQ"), "{shown}");
}

#[tokio::test]
async fn throttled_calls_and_the_lowest_quota_are_in_stats() {
    setup();
    let env = env().await;
    let client = env.client();
    assert_eq!(client.stats().quota_remaining, None);
    assert_eq!(client.stats().throttles, 0);
    env.faults(
        json!([{"status": 429, "headers": {"Retry-After": "30"}}]),
        true,
    );
    client
        .get_token(&TokenRequest::default())
        .await
        .unwrap_err();
    let sent = env.requests();
    for _ in 0..3 {
        let e = client
            .get_token(&TokenRequest::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "throttled");
    }
    assert_eq!(env.requests(), sent, "nothing sent while throttled");
    assert_eq!(client.stats().throttles, 3);

    let env = common::env().await;
    env.faults(
        json!([{"headers": {"Auth0-Client-Quota-Limit":
            "b=per_hour;q=100;r=42;t=3000,b=per_day;q=1000;r=900;t=80000"}}]),
        false,
    );
    let client = env.client();
    client.get_token(&TokenRequest::default()).await.unwrap();
    assert_eq!(client.stats().quota_remaining, Some(42));
    assert_eq!(client.stats().get("quota_remaining"), Some(42));
}

#[cfg(feature = "opentelemetry")]
mod otel {
    use super::*;
    use m2m_auth::telemetry::names;
    use opentelemetry::{global, KeyValue, Value};
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    static SPANS: OnceLock<InMemorySpanExporter> = OnceLock::new();
    static METRICS: OnceLock<(InMemoryMetricExporter, SdkMeterProvider)> = OnceLock::new();

    pub(super) fn install() {
        let spans = InMemorySpanExporter::default();
        let tracer = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        global::set_tracer_provider(tracer);
        SPANS.set(spans).unwrap();
        let exporter = InMemoryMetricExporter::default();
        let meter = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        global::set_meter_provider(meter.clone());
        METRICS.set((exporter, meter)).unwrap();
    }

    fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        attrs
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    /// (metric, its attributes, value) of every u64 point and histogram
    /// count collected now.
    fn collect() -> Vec<(String, Vec<KeyValue>, f64)> {
        let (exporter, provider) = METRICS.get().unwrap();
        exporter.reset();
        provider.force_flush().unwrap();
        let mut out = Vec::new();
        for rm in exporter.get_finished_metrics().unwrap() {
            for sm in rm.scope_metrics() {
                assert_eq!(sm.scope().name(), names::SCOPE);
                for m in sm.metrics() {
                    let name = m.name().to_string();
                    match m.data() {
                        AggregatedMetrics::U64(MetricData::Sum(s)) => {
                            for p in s.data_points() {
                                out.push((
                                    name.clone(),
                                    p.attributes().cloned().collect(),
                                    p.value() as f64,
                                ));
                            }
                        }
                        AggregatedMetrics::U64(MetricData::Gauge(g)) => {
                            for p in g.data_points() {
                                out.push((
                                    name.clone(),
                                    p.attributes().cloned().collect(),
                                    p.value() as f64,
                                ));
                            }
                        }
                        AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                            for p in h.data_points() {
                                out.push((
                                    name.clone(),
                                    p.attributes().cloned().collect(),
                                    p.count() as f64,
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        out
    }

    fn value(all: &[(String, Vec<KeyValue>, f64)], metric: &str, client_id: &str) -> Option<f64> {
        all.iter()
            .find(|(n, a, _)| {
                n == metric
                    && attr(a, names::ATTR_CLIENT_ID).map(|v| v.as_str()) == Some(client_id.into())
            })
            .map(|p| p.2)
    }

    #[tokio::test]
    async fn spans_and_metrics_reach_the_sdk() {
        setup();
        let env = env().await;
        env.faults(
            json!([{"headers": {"Auth0-Client-Quota-Limit": "b=per_hour;q=100;r=7;t=3000"}}]),
            false,
        );
        let client = env.client();
        let token = client.get_token(&TokenRequest::default()).await.unwrap();
        client.get_token(&TokenRequest::default()).await.unwrap();
        client.get_token(&TokenRequest::default()).await.unwrap();

        let spans = SPANS.get().unwrap().get_finished_spans().unwrap();
        let ours: Vec<_> = spans
            .iter()
            .filter(|s| {
                attr(&s.attributes, names::ATTR_CLIENT_ID).map(|v| v.as_str())
                    == Some(env.client_id.as_str().into())
            })
            .collect();
        assert_eq!(ours.len(), 1, "one span per token request");
        let span = ours[0];
        assert_eq!(span.name, names::SPAN);
        assert_eq!(span.instrumentation_scope.name(), names::SCOPE);
        let a = &span.attributes;
        assert_eq!(attr(a, names::ATTR_OUTCOME), Some(&Value::from("ok")));
        assert_eq!(attr(a, names::ATTR_ATTEMPT), Some(&Value::I64(1)));
        assert_eq!(attr(a, names::ATTR_STATUS), Some(&Value::I64(200)));
        assert_eq!(
            attr(a, names::ATTR_SERVER_ADDRESS),
            Some(&Value::from("127.0.0.1"))
        );
        assert_eq!(
            attr(a, names::ATTR_URL).map(|v| v.as_str().into_owned()),
            Some(env.server.token_url())
        );
        assert!(attr(a, names::ATTR_KEY_FINGERPRINT).is_some());
        let shown = format!("{span:?}");
        assert!(!shown.contains(&env.secret), "no secret in a span");
        assert!(!shown.contains(token.access_token()), "no token in a span");

        let all = collect();
        assert_eq!(value(&all, names::CACHE_HITS, &env.client_id), Some(2.0));
        assert_eq!(value(&all, names::CACHE_MISSES, &env.client_id), Some(1.0));
        assert_eq!(value(&all, names::STORE_ERRORS, &env.client_id), Some(0.0));
        assert_eq!(value(&all, names::THROTTLES, &env.client_id), Some(0.0));
        assert_eq!(
            value(&all, names::QUOTA_REMAINING, &env.client_id),
            Some(7.0)
        );
        let ok = |n: &str| {
            all.iter()
                .find(|(m, a, _)| {
                    m == n && attr(a, names::ATTR_OUTCOME) == Some(&Value::from("ok"))
                })
                .map(|p| p.2)
        };
        assert!(ok(names::TOKEN_REQUESTS) >= Some(1.0));
        assert!(ok(names::DURATION) >= Some(1.0));
    }
}
