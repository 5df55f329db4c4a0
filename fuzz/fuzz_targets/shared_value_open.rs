//! The shared-store value decoder with arbitrary stored bytes: what a
//! corrupt or hostile store hands the reader.
//!
//! Checks: no panic; a value that opens seals and opens again to the same
//! token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use m2m_auth::fuzzing::{fuzz_store_key, open_shared_value, seal_shared_value};

fuzz_target!(|data: &[u8]| {
    let key = fuzz_store_key();
    if let Some(v) = open_shared_value(&key, data) {
        let again = seal_shared_value(&key, &v).expect("a token that opened seals");
        assert_eq!(open_shared_value(&key, &again).as_ref(), Some(&v));
    }
    // Under another store key the same bytes never open.
    assert!(open_shared_value("m2m-auth:v1:other", data).is_none());
});
