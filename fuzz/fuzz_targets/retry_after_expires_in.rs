//! `Retry-After` and `expires_in` parsing, and the lifetime windows a
//! parsed `expires_in` leads to.
//!
//! Input: any bytes, read as a `Retry-After` value, as an `expires_in`
//! JSON value and as an `expires_in` string; its first bytes also pick a
//! leeway (up to the 1-day maximum) and a refresh ratio in (0, 1]. Checks:
//! no panic; a wait is at most the cap and, for delta-seconds, exactly the
//! number (capped); a lifetime is at most the maximum; fresh ≤ usable ≤
//! lifetime, and the leeway takes at most half of it.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::windows;
use m2m_auth::{parse_expires_in, parse_retry_after, ResponseRules};
use serde_json::Value;

const CAP: Duration = Duration::from_secs(3600);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);

    if let Some(wait) = parse_retry_after(&text, now, CAP) {
        assert!(wait <= CAP);
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            let n = t.parse::<u64>().unwrap_or(u64::MAX);
            assert_eq!(wait, Duration::from_secs(n).min(CAP));
        }
    }

    let rules = ResponseRules::default();
    let mut lifetimes = Vec::new();
    let json: Option<Value> = serde_json::from_slice(data).ok();
    for value in [json, Some(Value::String(text.clone().into_owned()))] {
        if let Ok(l) = parse_expires_in(value.as_ref(), &rules) {
            assert!(l <= rules.max_expires_in);
            lifetimes.push(l);
        }
    }

    let pick = |i: usize| u64::from(*data.get(i).unwrap_or(&0));
    let leeway = Duration::from_millis(
        (pick(0) << 24 | pick(1) << 16 | pick(2) << 8 | pick(3)) % 86_400_001,
    );
    let ratio = (pick(4) + 1) as f64 / 256.0;
    for lifetime in lifetimes {
        let (fresh, usable) = windows(lifetime, leeway, ratio);
        assert!(fresh <= usable && usable <= lifetime);
        assert!(usable >= lifetime / 2);
    }
});
