//! The surface's export, `tests/surface.json`, is what every language's
//! parity test enumerates: it must match `core/src/surface.rs`. Regenerate
//! with `M2M_AUTH_BLESS=1 cargo test -p m2m-auth --test surface`.

use std::collections::HashSet;
use std::time::Duration;

use m2m_auth::surface::{self, ValueType, CLIENT_OPTIONS};
use m2m_auth::{OptionValue, TokenClient, TokenRequest};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/surface.json");

#[test]
fn surface_json_is_up_to_date() {
    let want = surface::to_json();
    if std::env::var_os("M2M_AUTH_BLESS").is_some() {
        std::fs::write(PATH, &want).unwrap();
    }
    let have = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        have == want,
        "tests/surface.json is stale: run M2M_AUTH_BLESS=1 cargo test -p m2m-auth --test surface"
    );
}

#[test]
fn names_follow_the_naming_rule() {
    let lists = [
        surface::CLIENT_OPTIONS,
        surface::REQUEST_PARAMETERS,
        surface::STATS,
        surface::ERROR_FIELDS,
        surface::TOKEN_FIELDS,
        surface::CLIENT_METHODS,
        surface::VERIFIER_OPTIONS,
        surface::CLAIMS_FIELDS,
        surface::VERIFIER_METHODS,
        surface::VERIFIER_STATS,
    ];
    for list in lists {
        let mut seen = HashSet::new();
        for item in list {
            let n = item.name;
            assert!(seen.insert(n), "{n} declared twice");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !n.starts_with('_')
                    && !n.ends_with('_')
                    && !n.contains("__"),
                "{n} is not snake_case"
            );
            // Units are in the type, never in the name.
            for unit in ["_ms", "_s", "_secs", "_seconds", "_millis"] {
                assert!(!n.ends_with(unit), "{n} carries a unit in its name");
            }
            assert!(!item.doc.is_empty(), "{n} has no doc line");
        }
    }
    for p in surface::REQUEST_PARAMETERS {
        let o = surface::client_option(p.name).expect("every request parameter has a default");
        assert_eq!(o.ty, p.ty, "{}", p.name);
    }
    assert_eq!(surface::camel_case("error_description"), "errorDescription");
    assert_eq!(surface::env_name("lease_ttl"), "M2M_AUTH_LEASE_TTL");
}

/// A sample value of each type, as text (the environment's spelling).
fn sample(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Flag => "true",
        ValueType::Count => "5000",
        ValueType::Duration => "2.5",
        ValueType::Fraction => "0.5",
        ValueType::Map => "x=1",
        _ => "v",
    }
}

#[test]
fn every_option_is_settable_by_name_and_from_the_environment() {
    for item in CLIENT_OPTIONS {
        if item.ty == ValueType::Callback {
            callback_is_code_not_text(item);
            continue;
        }
        let mut b = TokenClient::builder();
        b.set_text(item.name, sample(item.ty))
            .unwrap_or_else(|e| panic!("{}: {e}", item.name));
        let env = surface::env_name(item.name);
        let b = TokenClient::builder().from_vars(|n| (n == env).then(|| sample(item.ty).into()));
        let debug = format!("{b:?}");
        assert!(
            debug.contains("pending_error: None"),
            "{}: {debug}",
            item.name
        );
        let bad = TokenClient::builder().from_vars(|n| (n == env).then(|| "\u{1}=".into()));
        if matches!(
            item.ty,
            ValueType::Flag | ValueType::Count | ValueType::Duration | ValueType::Fraction
        ) {
            assert!(
                format!("{bad:?}").contains("pending_error: Some"),
                "{}",
                item.name
            );
        }
    }
    let mut b = TokenClient::builder();
    assert_eq!(
        b.set("timeout", OptionValue::Text("x".into()))
            .unwrap_err()
            .code(),
        "config"
    );
    assert_eq!(
        b.set("no_such_option", OptionValue::Flag(true))
            .unwrap_err()
            .code(),
        "config"
    );
    b.set(
        "timeout",
        OptionValue::Duration(Duration::from_millis(1500)),
    )
    .unwrap();
    // A bad environment value is reported by build(), as a config error.
    let err = TokenClient::builder()
        .from_vars(|n| match n {
            "M2M_AUTH_TOKEN_URL" => Some("https://a.example/token".into()),
            "M2M_AUTH_CLIENT_ID" => Some("id".into()),
            "M2M_AUTH_CLIENT_SECRET" => Some("s".into()),
            "M2M_AUTH_TIMEOUT" => Some("soon".into()),
            _ => None,
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "config");
    assert!(err.to_string().contains("timeout"), "{err}");
}

/// A callback option is set by value only: text (a variable, a flag) is a
/// config error, its variable is never read, and it has none in the export.
fn callback_is_code_not_text(item: &surface::Item) {
    let mut b = TokenClient::builder();
    assert_eq!(b.set_text(item.name, "v").unwrap_err().code(), "config");
    let env = surface::env_name(item.name);
    let b = TokenClient::builder().from_vars(|n| (n == env).then(|| "v".into()));
    assert!(format!("{b:?}").contains("pending_error: None"));
    let json: serde_json::Value = serde_json::from_str(&surface::to_json()).unwrap();
    let entry = json["client_options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == item.name)
        .unwrap();
    assert!(entry.get("env").is_none(), "{entry}");
    let provider = m2m_auth::AssertionProvider::new(|_| async { Ok::<_, String>("a.b.c") });
    let mut b = TokenClient::builder();
    b.set(item.name, OptionValue::Provider(provider)).unwrap();
}

#[test]
fn every_request_parameter_is_settable_by_name() {
    for item in surface::REQUEST_PARAMETERS {
        let mut r = TokenRequest::default();
        let v = OptionValue::parse(item.ty, item.name, sample(item.ty)).unwrap();
        r.set(item.name, v).unwrap();
        assert!(!r.is_default(), "{}", item.name);
    }
}

#[test]
fn every_stat_is_readable_by_name() {
    let stats = m2m_auth::Stats::default();
    let names: Vec<_> = stats.fields().iter().map(|f| f.0).collect();
    let declared: Vec<_> = surface::STATS.iter().map(|i| i.name).collect();
    assert_eq!(names, declared);
}

#[test]
fn every_verifier_stat_is_readable_by_name() {
    let stats = m2m_auth::VerifierStats::default();
    let names: Vec<_> = stats.fields().iter().map(|f| f.0).collect();
    let declared: Vec<_> = surface::VERIFIER_STATS.iter().map(|i| i.name).collect();
    assert_eq!(names, declared);
}

#[test]
fn an_explicit_endpoint_replaces_the_environment_s_whole() {
    let env = |n: &str| match n {
        "M2M_AUTH_DOMAIN" => Some("tenant.example.com".to_string()),
        "M2M_AUTH_CLIENT_ID" => Some("id".into()),
        "M2M_AUTH_CLIENT_SECRET" => Some("s".into()),
        _ => None,
    };
    // The environment names a domain; the caller names a token URL: the
    // caller's endpoint wins instead of "set exactly one".
    let client = TokenClient::builder()
        .from_vars(env)
        .token_url("http://127.0.0.1:9/token")
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("127.0.0.1:9/token"));
    let mut b = TokenClient::builder().from_vars(env);
    b.set_text("issuer", "https://issuer.example.com/").unwrap();
    assert!(b.build().is_ok());
    // Two endpoints in the environment itself stay a config error.
    let two = |n: &str| match n {
        "M2M_AUTH_TOKEN_URL" => Some("https://a.example.com/token".to_string()),
        other => env(other),
    };
    let err = TokenClient::builder().from_vars(two).build().unwrap_err();
    assert_eq!(err.code(), "config");
}

#[test]
fn every_verifier_option_is_settable_by_name() {
    for item in surface::VERIFIER_OPTIONS {
        let mut b = m2m_auth::Verifier::builder();
        let before = format!("{b:?}");
        // A flag's sample is its opposite default.
        let text = match item.ty {
            ValueType::Flag if item.default == "true" => "false",
            ty => sample(ty),
        };
        b.set_text(item.name, text)
            .unwrap_or_else(|e| panic!("{}: {e}", item.name));
        assert_ne!(format!("{b:?}"), before, "{} changed nothing", item.name);
        let v = OptionValue::parse(item.ty, item.name, sample(item.ty)).unwrap();
        b.set(item.name, v).unwrap();
    }
    let mut b = m2m_auth::Verifier::builder();
    assert_eq!(
        b.set("no_such_option", OptionValue::Flag(true))
            .unwrap_err()
            .code(),
        "config"
    );
    assert_eq!(
        b.set("leeway", OptionValue::Text("x".into()))
            .unwrap_err()
            .code(),
        "config"
    );
}

/// Each option the CLI (and any front end) takes as standing in for a client
/// secret does so in the engine: with it and no secret, build() does not ask
/// for a secret; with none of them, it does.
#[test]
fn secret_stand_ins_are_what_the_engine_accepts_instead_of_a_secret() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let key_file = dir.join("assertion_keys/p256.sec1.pem");
    let cert_file = dir.join("mtls_keys/client.pem");
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let base = || {
        let mut b = TokenClient::builder();
        b.set_text("token_url", "https://a.example/oauth/token")
            .unwrap();
        b.set_text("client_id", "id").unwrap();
        b
    };
    let missing = base().build().unwrap_err();
    assert!(
        missing.to_string().contains("client_secret is required"),
        "{missing}"
    );
    for name in surface::SECRET_STAND_INS {
        let mut b = base();
        match *name {
            "private_key" => b.set_text(name, &read(&key_file)),
            "private_key_file" => b.set_text(name, key_file.to_str().unwrap()),
            "client_assertion" => b.set_text(name, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"),
            "client_assertion_file" => b.set_text(name, key_file.to_str().unwrap()),
            "client_certificate" | "client_certificate_file" => {
                let value = if *name == "client_certificate" {
                    read(&cert_file)
                } else {
                    cert_file.to_str().unwrap().into()
                };
                b.set_text(name, &value).unwrap();
                b.set_text(
                    "client_key_file",
                    dir.join("mtls_keys/client.key").to_str().unwrap(),
                )
            }
            other => panic!("no sample for {other}"),
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = b.build() {
            assert!(
                !e.to_string().contains("client_secret is required"),
                "{name}: {e}"
            );
        }
    }
}
