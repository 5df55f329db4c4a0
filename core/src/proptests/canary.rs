//! The secret canary.

use super::*;

// ---------------------------------------------------------------------------
// 4. Canary: no spelling of the secret survives into a scrubbed error
// ---------------------------------------------------------------------------

fn secret_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into()),
        3 => prop::sample::select(vec![
            '+', '/', '=', ':', '%', 'é', ' ', '"', '\\', '&', '?', '#', '*', '-', '_', '.', '~', '@',
        ]),
        2 => prop::char::range(' ', '~'),
        1 => any::<char>().prop_filter("printable", |c| !c.is_control()),
    ]
}

fn secret() -> impl Strategy<Value = String> {
    prop::collection::vec(secret_char(), 4..40).prop_map(|v| v.into_iter().collect())
}

fn client_id() -> impl Strategy<Value = String> {
    prop::collection::vec(secret_char(), 1..24).prop_map(|v| v.into_iter().collect())
}

/// The spellings of a secret that a server could echo back.
fn spellings(client_id: &str, secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let id_form: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id_form}:{form}"));
    let json = serde_json::to_string(secret).unwrap();
    let json = json[1..json.len() - 1].to_string();
    let pct20 = form.replace('+', "%20");
    // Issue #11 item 7: `\/` in JSON, lower-case percent escapes, HTML
    // entities (written here independently of the redactor's own code).
    let json_slash = json.replace('/', r"\/");
    let lower = |t: &str| {
        let b = t.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 3 <= b.len() {
                out.push('%');
                out.push_str(&t[i + 1..i + 3].to_ascii_lowercase());
                i += 3;
            } else {
                let c = t[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    };
    let html = |apos: &str, slash: &str| {
        secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', apos)
            .replace('/', slash)
    };
    vec![
        secret.to_string(),
        form.clone(),
        json,
        basic,
        pct20.clone(),
        json_slash,
        lower(&form),
        lower(&pct20),
        html("&#x27;", "&#x2F;"),
        html("&#39;", "&#47;"),
    ]
}

/// Random text to surround a spelling (mostly ASCII so that positions vary
/// around the 512-byte excerpt cut).
fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,600}",
        1 => ".{0,300}",
        1 => Just(String::new()),
    ]
}

fn json_text(s: &str) -> String {
    let j = serde_json::to_string(s).unwrap();
    j[1..j.len() - 1].to_string()
}

/// A body embedding spelling `sp` one of several ways.
fn embed(mode: u8, field: u8, sp: &str, pre: &str, post: &str, id: &str) -> Vec<u8> {
    let name = ["error", "error_description", "error_uri"][field as usize % 3];
    match mode % 6 {
        // Random text around the spelling.
        0 => format!("{pre}{sp}{post}").into_bytes(),
        // A JSON error whose field *value* contains the spelling.
        1 => {
            let mut obj = json!({"error": "invalid_client"});
            obj[name] = json!(format!("{pre}{sp}{post}"));
            obj.to_string().into_bytes()
        }
        // The same, spliced into the JSON text verbatim (may be invalid JSON).
        2 => format!(
            r#"{{"error":"invalid_client","{name}":"{}{sp}{}","x":1}}"#,
            json_text(pre),
            json_text(post)
        )
        .into_bytes(),
        // An echoed form body.
        3 => format!("{pre}grant_type=client_credentials&client_id={id}&client_secret={sp}{post}")
            .into_bytes(),
        // An echoed header.
        4 => format!("{pre}Authorization: Basic {sp}\r\n{post}").into_bytes(),
        // A non-OAuth JSON body (no `error` member).
        _ => json!({"message": format!("{pre}{sp}{post}"), "status": 500})
            .to_string()
            .into_bytes(),
    }
}

/// What the client does with a response: the body scrubbed before the
/// excerpt is cut, then every error text scrubbed again (`client.rs`).
fn client_error(status: u16, body: &[u8], complete: bool, id: &str, secret: &str) -> Option<Error> {
    let redactor = Redactor::for_secret(id, &Secret::new(secret));
    let scrub = |t| redactor.scrub_body(t, complete);
    parse_token_response_scrubbed(
        status,
        body,
        complete,
        &ResponseRules::default(),
        &scrub,
        crate::response::Accept::Bearer,
    )
    .err()
    .map(|e| e.map_text(|t| redactor.scrub(t)))
}

fn leaks(err: &Error, spellings: &[String]) -> Option<String> {
    let display = format!("{err}");
    let debug = format!("{err:?}");
    for sp in spellings {
        if display.contains(sp.as_str()) {
            return Some(format!("Display {display:?} contains {sp:?}"));
        }
        // Debug prints strings escaped: look for the escaped spelling.
        let escaped: String = sp.escape_debug().collect();
        if debug.contains(&escaped) {
            return Some(format!("Debug {debug:?} contains {escaped:?}"));
        }
    }
    None
}

/// A long prefix of a spelling left at the end of an `http` excerpt: the
/// excerpt was cut in the middle of a secret before the secret was scrubbed.
fn cut_spelling(err: &Error, spellings: &[String]) -> Option<String> {
    let ErrorDetail::Http { body, .. } = err.detail() else {
        return None;
    };
    for sp in spellings {
        let min = sp.len().div_ceil(2);
        let min = min.max(4);
        for k in (min..sp.len()).rev() {
            if sp.is_char_boundary(k) && body.ends_with(&sp[..k]) {
                return Some(format!(
                    "http excerpt ends with {:?}, {k} of the {} bytes of {sp:?}",
                    &sp[..k],
                    sp.len()
                ));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn canary_no_spelling_survives_scrubbing(
        secret in secret(),
        id in client_id(),
        which in 0..5usize,
        mode in any::<u8>(),
        field in any::<u8>(),
        pre in filler(),
        post in filler(),
        status in status(),
        complete in complete(),
    ) {
        let spellings = spellings(&id, &secret);
        let body = embed(mode, field, &spellings[which], &pre, &post, &id);
        if let Some(err) = client_error(status, &body, complete, &id, &secret) {
            if let Some(leak) = leaks(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
            if let Some(leak) = cut_spelling(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
        }
    }

    /// Every spelling at once, several times, in one body.
    #[test]
    fn canary_all_spellings_at_once(
        secret in secret(),
        id in client_id(),
        pre in "[ -~]{0,100}",
        sep in "[ -~]{0,8}",
        status in status(),
        as_json in any::<bool>(),
    ) {
        let spellings = spellings(&id, &secret);
        let mut text = pre;
        for sp in spellings.iter().chain(spellings.iter().rev()) {
            text.push_str(sp);
            text.push_str(&sep);
        }
        let body = if as_json {
            json!({"error": text, "error_description": text, "error_uri": text}).to_string().into_bytes()
        } else {
            text.into_bytes()
        };
        if let Some(err) = client_error(status, &body, true, &id, &secret) {
            if let Some(leak) = leaks(&err, &spellings) {
                return Err(TestCaseError::fail(leak));
            }
        }
    }

    /// Scrubbing is complete even when the replacement `***` can join with
    /// its neighbours into a spelling (secrets over a tiny alphabet).
    #[test]
    fn canary_scrub_leaves_no_spelling(
        secret in "[a*]{4,8}",
        text in "[a*]{0,24}",
        pos in any::<prop::sample::Index>(),
    ) {
        let id = "client";
        let spellings = spellings(id, &secret);
        let at = pos.index(text.len() + 1);
        let body = format!("{}{}{}", &text[..at], secret, &text[at..]);
        let err = client_error(500, body.as_bytes(), true, id, &secret).unwrap();
        if let Some(leak) = leaks(&err, &spellings) {
            return Err(TestCaseError::fail(leak));
        }
    }
}
