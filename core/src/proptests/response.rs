//! `parse_token_response` and `expires_in`.

use super::*;

// ---------------------------------------------------------------------------
// 1. parse_token_response: total, and its outcomes obey the contract
// ---------------------------------------------------------------------------

fn check_outcome(
    status: u16,
    body: &[u8],
    complete: bool,
    rules: &ResponseRules,
) -> Result<(), TestCaseError> {
    match parse_token_response(status, body, complete, rules) {
        Ok(t) => {
            prop_assert!(
                status == 200 && complete,
                "Ok for status {} complete {}",
                status,
                complete
            );
            prop_assert!(!t.access_token.is_empty());
            prop_assert!(t.access_token.len() <= rules.max_access_token_len);
            prop_assert_eq!(t.token_type.as_str(), "Bearer");
            prop_assert!(t.expires_in <= rules.max_expires_in);
            let _ = format!("{t:?}");
        }
        Err(e) => {
            prop_assert!(
                matches!(
                    e.kind(),
                    ErrorKind::OAuth | ErrorKind::Http | ErrorKind::InvalidResponse
                ),
                "unexpected kind {:?}",
                e.kind()
            );
            if let ErrorDetail::Http { body: excerpt, .. } = e.detail() {
                prop_assert!(
                    excerpt.len() <= rules.error_excerpt_len,
                    "http excerpt is {} bytes > {} (body {} bytes)",
                    excerpt.len(),
                    rules.error_excerpt_len,
                    body.len()
                );
            }
            let _ = (format!("{e}"), format!("{e:?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn parse_never_panics_and_obeys_contract(
        status in status(), body in any_body(), complete in complete(), rules in rules(),
    ) {
        check_outcome(status, &body, complete, &rules)?;
    }

    /// Well-formed successes are accepted, with the cap applied.
    #[test]
    fn parse_accepts_valid_responses(
        token in "[A-Za-z0-9._-]{1,300}",
        tt in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
        n in any::<u64>(),
        as_string in any::<bool>(),
        scope in prop::option::of("[a-z:]{1,20}"),
    ) {
        let mut obj = json!({"access_token": token, "token_type": tt});
        obj["expires_in"] = if as_string { json!(n.to_string()) } else { json!(n) };
        if let Some(s) = &scope { obj["scope"] = json!(s); }
        let rules = ResponseRules::default();
        let t = parse_token_response(200, obj.to_string().as_bytes(), true, &rules).unwrap();
        prop_assert_eq!(t.access_token, token);
        prop_assert_eq!(t.token_type, "Bearer");
        prop_assert_eq!(t.expires_in, Duration::from_secs(n.min(YEAR)));
        prop_assert_eq!(t.scope, scope);
        prop_assert!(t.extra.is_empty());
    }
}

// ---------------------------------------------------------------------------
// 2. expires_in
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn expires_in_number_and_numeric_string(n in prop_oneof![any::<u64>(), 0..2 * YEAR]) {
        let rules = ResponseRules::default();
        let want = Duration::from_secs(n.min(YEAR));
        prop_assert_eq!(parse_expires_in(Some(&json!(n)), &rules), Ok(want));
        prop_assert_eq!(parse_expires_in(Some(&json!(n.to_string())), &rules), Ok(want));
    }

    #[test]
    fn expires_in_negative_integer_is_an_error(n in i64::MIN..0) {
        let rules = ResponseRules::default();
        prop_assert!(parse_expires_in(Some(&json!(n)), &rules).is_err());
        prop_assert!(parse_expires_in(Some(&json!(n.to_string())), &rules).is_err());
    }

    /// Any string whose (whitespace-trimmed) text holds a character other
    /// than a digit or a dot is rejected. (The parser trims surrounding
    /// Unicode whitespace on purpose: " 60 " is accepted as 60.)
    #[test]
    fn expires_in_non_numeric_string_is_an_error(
        s in prop_oneof![
            ".{0,16}",
            ("[0-9.]{0,6}", "[^0-9.\\s]", "[0-9.]{0,6}").prop_map(|(a, c, b)| format!("{a}{c}{b}")),
        ],
    ) {
        prop_assume!(s.trim().chars().any(|c| !(c.is_ascii_digit() || c == '.')));
        let rules = ResponseRules::default();
        prop_assert!(parse_expires_in(Some(&Value::String(s)), &rules).is_err());
    }

    #[test]
    fn expires_in_never_panics(v in expires_in(), rules in rules()) {
        if let Ok(d) = parse_expires_in(Some(&v), &rules) {
            prop_assert!(d <= rules.max_expires_in);
        }
    }
}

#[test]
fn expires_in_absent_or_null_is_the_default() {
    let rules = ResponseRules::default();
    assert_eq!(parse_expires_in(None, &rules), Ok(Duration::from_secs(600)));
    assert_eq!(
        parse_expires_in(Some(&Value::Null), &rules),
        Ok(Duration::from_secs(600))
    );
    let body = br#"{"access_token":"t","token_type":"Bearer"}"#;
    assert_eq!(
        parse_token_response(200, body, true, &rules)
            .unwrap()
            .expires_in,
        Duration::from_secs(600)
    );
    let body = br#"{"access_token":"t","token_type":"Bearer","expires_in":null}"#;
    assert_eq!(
        parse_token_response(200, body, true, &rules)
            .unwrap()
            .expires_in,
        Duration::from_secs(600)
    );
}
