//! The C ABI's string-taking entry points, called with arbitrary
//! NUL-terminated bytes (invalid UTF-8 included), then a client built from
//! what they set.
//!
//! Input: chunks separated by NUL bytes; each chunk's first byte picks an
//! entry point, the rest is its string (two-string entry points take the
//! next chunk too; for the set-by-name ones the string's first byte picks
//! the option or parameter; `gen-seeds.py` writes such inputs). Checks: no
//! panic and no abort (libFuzzer's panic hook aborts even on a panic the
//! library's boundary would catch), no `M2M_PANIC`, and every string
//! handed back is a readable C string.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use libfuzzer_sys::fuzz_target;
use m2m_auth::surface::{CLIENT_OPTIONS, REQUEST_PARAMETERS};
use m2m_c::*;

type Opt1 = extern "C" fn(*mut m2m_client_options, *const c_char) -> m2m_result;
type Opt2 = extern "C" fn(*mut m2m_client_options, *const c_char, *const c_char) -> m2m_result;
type Req1 = extern "C" fn(*mut m2m_request, *const c_char) -> m2m_result;
type Req2 = extern "C" fn(*mut m2m_request, *const c_char, *const c_char) -> m2m_result;

const OPT1: &[Opt1] = &[
    m2m_client_options_set_token_url,
    m2m_client_options_set_domain,
    m2m_client_options_set_issuer,
    m2m_client_options_set_client_id,
    m2m_client_options_set_client_secret,
    m2m_client_options_set_auth_method,
    m2m_client_options_set_audience,
    m2m_client_options_add_scope,
    m2m_client_options_set_organization,
    m2m_client_options_add_resource,
    m2m_client_options_set_ca_certs,
    m2m_client_options_set_proxy,
    m2m_client_options_set_cache,
];
const OPT2: &[Opt2] = &[m2m_client_options_add_extra, m2m_client_options_set];
const REQ1: &[Req1] = &[
    m2m_request_set_audience,
    m2m_request_add_scope,
    m2m_request_set_organization,
    m2m_request_add_resource,
];
const REQ2: &[Req2] = &[m2m_request_add_extra, m2m_request_set];

fn ok(r: m2m_result) {
    assert_ne!(r, m2m_result::M2M_PANIC);
}

/// Reads a string the library handed out (NULL allowed).
fn read(p: *const c_char) {
    if !p.is_null() {
        // SAFETY: the library hands out NUL-terminated strings.
        let _ = unsafe { CStr::from_ptr(p) }.to_bytes().len();
    }
}

fn check_error(err: *mut m2m_error) {
    if err.is_null() {
        return;
    }
    ok(m2m_error_code(err));
    read(m2m_error_message(err));
    read(m2m_error_error(err));
    read(m2m_error_error_description(err));
    read(m2m_error_kind(err));
    read(m2m_error_reason(err));
    read(m2m_error_body(err));
    m2m_error_free(err);
}

fuzz_target!(|data: &[u8]| {
    let mut options = null_mut();
    let mut request = null_mut();
    ok(m2m_client_options_new(&mut options));
    ok(m2m_request_new(&mut request));
    let mut chunks = data.split(|b| *b == 0).map(|c| {
        let (op, rest) = c.split_first().map_or((0, &[][..]), |(o, r)| (*o, r));
        (op, CString::new(rest).expect("no NUL inside a chunk"))
    });
    let mut last = CString::default();
    while let Some((op, s)) = chunks.next() {
        let mut next = || chunks.next().map_or_else(CString::default, |(_, s)| s);
        let op = usize::from(op);
        let n = OPT1.len() + OPT2.len() + REQ1.len() + REQ2.len();
        match op % (n + 2) {
            i if i < OPT1.len() => ok(OPT1[i](options, s.as_ptr())),
            i if i < OPT1.len() + OPT2.len() => {
                ok(OPT2[i - OPT1.len()](options, s.as_ptr(), next().as_ptr()))
            }
            i if i < OPT1.len() + OPT2.len() + REQ1.len() => {
                ok(REQ1[i - OPT1.len() - OPT2.len()](request, s.as_ptr()))
            }
            i if i < n => ok(REQ2[i - OPT1.len() - OPT2.len() - REQ1.len()](
                request,
                s.as_ptr(),
                next().as_ptr(),
            )),
            // Set by name as text, the name picked from the declaration by
            // the string's first byte.
            i => {
                let (pick, text) = s.as_bytes().split_first().unwrap_or((&0, &[]));
                let text = CString::new(text).unwrap();
                let items = if i == n {
                    CLIENT_OPTIONS
                } else {
                    REQUEST_PARAMETERS
                };
                let name = CString::new(items[usize::from(*pick) % items.len()].name).unwrap();
                if i == n {
                    ok(m2m_client_options_set(
                        options,
                        name.as_ptr(),
                        text.as_ptr(),
                    ));
                } else {
                    ok(m2m_request_set(request, name.as_ptr(), text.as_ptr()));
                }
            }
        }
        last = s;
    }

    // Build a client from it, in memory only: a fuzzed cache spec must not
    // make the target create directories or connect to anything.
    ok(m2m_client_options_set_cache(options, c"memory".as_ptr()));
    let mut client = null_mut();
    let mut err = null_mut();
    let r = m2m_client_new(options, &mut client, &mut err);
    ok(r);
    check_error(err);
    if r == m2m_result::M2M_OK {
        read(m2m_client_client_id(client));
        read(m2m_client_auth_method(client));
        let mut err = null_mut();
        ok(m2m_client_invalidate_rejected(
            client,
            request,
            last.as_ptr(),
            &mut err,
        ));
        check_error(err);
        let mut err = null_mut();
        ok(m2m_client_invalidate(client, null(), &mut err));
        check_error(err);
        m2m_client_free(client);
    }
    m2m_request_free(request);
    m2m_client_options_free(options);
});
