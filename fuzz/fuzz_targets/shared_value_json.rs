//! The decoded JSON of a shared-store value: arbitrary plaintext sealed
//! with the targets' key, then opened, then used as the shared cache's
//! reader uses it (`shared.rs` `read_shared`, `client.rs` `to_cached`).
//!
//! Checks: no panic; what opens seals and opens again to the same token
//! (its `extra` numbers compared as JSON text); the lifetime windows and
//! wall-clock instants of any stored lifetime and send time compute.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::{fuzz_store_key, open_shared_value, seal_raw, seal_shared_value, windows};

fuzz_target!(|data: &[u8]| {
    let key = fuzz_store_key();
    let Some(v) = open_shared_value(&key, &seal_raw(&key, data)) else {
        return;
    };
    let again = seal_shared_value(&key, &v).expect("a token that opened seals");
    let w = open_shared_value(&key, &again).expect("a sealed token opens");
    assert_eq!(
        (
            &w.access_token,
            &w.token_type,
            w.sent_at_ms,
            w.lifetime_ms,
            &w.scope
        ),
        (
            &v.access_token,
            &v.token_type,
            v.sent_at_ms,
            v.lifetime_ms,
            &v.scope
        )
    );
    assert_eq!(
        serde_json::to_string(&w.extra).unwrap(),
        serde_json::to_string(&v.extra).unwrap()
    );

    // As read_shared and to_cached compute, with the default settings.
    let lifetime = Duration::from_millis(v.lifetime_ms);
    let (fresh, usable) = windows(lifetime, Duration::from_secs(60), 0.75);
    assert!(fresh <= usable && usable <= lifetime);
    let _fresh_until = v.sent_at_ms.saturating_add(fresh.as_millis() as u64);
    let sent_wall = SystemTime::UNIX_EPOCH + Duration::from_millis(v.sent_at_ms);
    let _refresh_at = sent_wall + fresh;
    let _expires_at = sent_wall + lifetime;
});
