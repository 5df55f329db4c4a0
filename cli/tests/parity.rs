//! Parity of the CLI with the surface: every client option of
//! `tests/surface.json` (the export of `m2m_auth::surface`) is a flag of
//! `token` and `call`, named by the rule (`--` + the name with `_` replaced
//! by `-`; a secret as `--NAME-stdin`, PEM text as `--NAME` or
//! `--NAME-file`, only `--NAME` when `NAME_file` is an option), documented by the item's doc line and variable, accepted
//! with a sample value of its type, and stronger than its `M2M_AUTH_*`
//! variable.

mod support;

use std::path::PathBuf;

use m2m_auth_devserver::DevServer;
use serde_json::Value;
use support::{cmd, form_field, run, server, text, JWT_CLIENT, JWT_KEY, SECRET};

/// One client option, as `tests/surface.json` declares it.
struct Opt {
    name: String,
    ty: String,
    doc: String,
    env: String,
}

/// The client options of `tests/surface.json`, and the names of the
/// request parameters (their values reach the token request's form).
fn surface() -> (Vec<Opt>, Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/surface.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k}: {v}")).into();
    let options = json["client_options"]
        .as_array()
        .unwrap()
        .iter()
        // A callback is code: no flag, no variable.
        .filter(|o| o["type"] != "callback")
        .map(|o| Opt {
            name: s(o, "name"),
            ty: s(o, "type"),
            doc: s(o, "doc"),
            env: s(o, "env"),
        })
        .collect::<Vec<_>>();
    assert!(options.len() > 20, "{path:?} lists the client options");
    let params = json["request_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(p, "name"))
        .collect();
    (options, params)
}

/// The flags the naming rule allows for an option (PEM text: `--NAME`
/// alone when an option `NAME_file` has `--NAME-file`).
fn flags_for(o: &Opt) -> Vec<String> {
    let flag = format!("--{}", o.name.replace('_', "-"));
    let file_option = format!("{}_file", o.name);
    match o.ty.as_str() {
        "secret" => vec![format!("{flag}-stdin")],
        "pem" if surface().0.iter().any(|x| x.name == file_option) => vec![flag],
        "pem" => vec![format!("{flag}-file"), flag],
        _ => vec![flag],
    }
}

/// The help line that documents `flag`, if any.
fn help_line<'h>(help: &'h str, flag: &str) -> Option<&'h str> {
    help.lines().find(|l| {
        l.trim_start()
            .strip_prefix(flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '[', '=']))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_a_flag_for_every_client_option() {
    let (options, _) = surface();
    for sub in ["token", "call"] {
        let out = run(cmd(&[sub, "--help"]), "").await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let help = text(&out.stdout);
        for o in &options {
            let flags = flags_for(o);
            let line = flags
                .iter()
                .find_map(|f| help_line(&help, f))
                .unwrap_or_else(|| panic!("{sub} --help has none of {flags:?}:\n{help}"));
            assert!(line.contains(&o.doc), "{sub}: doc of {}: {line}", o.name);
            assert!(
                line.contains(&o.env),
                "{sub}: variable of {}: {line}",
                o.name
            );
        }
        // The secret is never taken on the command line, so never offered.
        assert!(help_line(&help, "--client-secret").is_none(), "{help}");
        // Every flag of the client options' section belongs to an option.
        let section = help
            .split_once("Client options")
            .unwrap_or_else(|| panic!("no client options section: {help}"))
            .1;
        for line in section.lines().skip(1) {
            let Some(flag) = line.split_whitespace().next() else {
                continue;
            };
            let flag = flag.split(['[', '=']).next().unwrap();
            assert!(
                options
                    .iter()
                    .any(|o| flags_for(o).iter().any(|f| f == flag)),
                "{sub}: {flag} is no option of the surface"
            );
        }
    }
}

/// How a sample run of one option went wrong, if it did.
fn usage_error(flag: &str, out: &std::process::Output) -> Option<String> {
    let err = text(&out.stderr);
    (out.status.code() == Some(2) || err.contains(flag)).then_some(err)
}

/// The arguments that give option `o` a sample value of its type, and
/// whether the token request must then succeed (false for options whose
/// meaning this test cannot know: a text option it has no sample for).
fn sample(o: &Opt, s: &DevServer, ca: &str) -> (Vec<String>, bool) {
    let flag = flags_for(o)[0].clone();
    let with = |values: &[&str]| -> Vec<String> {
        values
            .iter()
            .flat_map(|v| [flag.clone(), v.to_string()])
            .collect()
    };
    let known = |v: &str| (with(&[v]), true);
    match (o.name.as_str(), o.ty.as_str()) {
        ("token_url", _) => known(&s.token_url()),
        ("domain" | "issuer", _) => known(s.url()),
        ("client_id", _) => known("cli-client"),
        ("auth_method", _) => known("client_secret_basic"),
        // A ready assertion this test cannot make: only the flag is checked.
        ("client_assertion", _) => (vec![flag], false),
        // A client certificate needs its key (and the reverse): the fixture
        // pair, with the client secret (client_secret_post over http).
        ("client_certificate" | "client_certificate_file", _) => (
            vec![
                flag,
                mtls_fixture("client.pem"),
                "--client-key-file".into(),
                mtls_fixture("client.key"),
            ],
            true,
        ),
        ("client_key_file", _) => (
            vec![
                flag,
                mtls_fixture("client.key"),
                "--client-certificate-file".into(),
                mtls_fixture("client.pem"),
            ],
            true,
        ),
        ("client_key", _) => (
            vec![
                flag,
                "--client-certificate-file".into(),
                mtls_fixture("client.pem"),
            ],
            true,
        ),
        // The DPoP options other than `dpop` need it on; the key is core's
        // P-256 test key (on standard input for dpop_key).
        ("dpop_accept_bearer" | "dpop_key", _) => (vec![flag, "--dpop".into()], true),
        ("dpop_key_file", _) => (vec![flag, dpop_key_path(), "--dpop".into()], true),
        ("cache", _) => known("memory"),
        ("proxy", _) => known("http://127.0.0.1:9"),
        ("audience", _) => known("https://api.example.com"),
        ("organization", _) => known("org_1"),
        ("resource", _) => (
            with(&["https://r1.example.com/", "https://r2.example.com/"]),
            true,
        ),
        (_, "secret" | "flag") => (vec![flag], true),
        (_, "count") => known("4096"),
        (_, "duration") => known("2.5"),
        (_, "fraction") => known("0.5"),
        (_, "list") => (with(&["read:data", "write:data admin"]), true),
        (_, "map") => (with(&["tenant=t1", "region=eu"]), true),
        (_, "pem") => known(ca),
        (_, "text" | "instant") => (with(&["sample"]), false),
        (name, ty) => panic!("{name}: no sample for the type {ty}"),
    }
}

/// core's P-256 test key, a DPoP key.
fn dpop_key_path() -> String {
    format!(
        "{}/../core/tests/verify_keys/p256.pem",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A file of core's mutual-TLS fixtures.
fn mtls_fixture(name: &str) -> String {
    format!(
        "{}/../core/tests/mtls_keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flag_takes_a_sample_value_of_its_type() {
    let (options, params) = surface();
    let s = server().await;
    let ca = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/ca.pem");
    let ca = ca.to_str().unwrap();
    let endpoints = ["token_url", "domain", "issuer"];
    for o in &options {
        let (given, must_succeed) = sample(o, &s, ca);
        let mut args: Vec<String> = vec!["token".into(), "--raw".into()];
        if !endpoints.contains(&o.name.as_str()) {
            args.extend(["--token-url".into(), s.token_url()]);
        }
        // The private key signs for the private_key_jwt client.
        let id = if o.name == "private_key" {
            JWT_CLIENT
        } else {
            "cli-client"
        };
        if o.name != "client_id" {
            args.extend(["--client-id".into(), id.into()]);
        }
        args.extend(given.iter().cloned());
        let mut c = cmd(&args);
        let stdin = if o.name == "private_key" {
            JWT_KEY.to_string()
        } else if o.name == "client_key" {
            c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
            std::fs::read_to_string(mtls_fixture("client.key")).unwrap()
        } else if o.name == "dpop_key" {
            c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
            std::fs::read_to_string(dpop_key_path()).unwrap()
        } else if o.ty == "secret" {
            format!("{SECRET}\n")
        } else {
            c.env("M2M_AUTH_CLIENT_SECRET", SECRET);
            String::new()
        };
        if o.name == "proxy" {
            // Nobody listens at the proxy; a loopback token endpoint is
            // never proxied (docs/design.md §1), so the request goes direct.
            c.env_remove("NO_PROXY").env("M2M_AUTH_MAX_ATTEMPTS", "1");
        }
        s.reset();
        let out = run(c, &stdin).await;
        let flag = &given[0];
        if let Some(err) = usage_error(flag, &out) {
            panic!("{flag} is refused: {err}");
        }
        if o.name == "proxy" {
            assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
            assert_eq!(s.stats().token_requests, 1, "{flag}: not sent direct");
            continue;
        }
        if !must_succeed {
            continue;
        }
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        if params.contains(&o.name) {
            let r = &s.requests()[0];
            assert!(
                form_field(&r.body, &o.name).is_some()
                    || (o.ty == "map" && form_field(&r.body, "tenant").is_some()),
                "{flag}: not in the request: {}",
                r.body
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_variable_is_read_and_its_flag_overrides_it() {
    let (options, _) = surface();
    let s = server().await;
    // Options whose text can be wrong whatever the server: a wrong value in
    // the variable is a config error (it is read), hidden by the flag.
    let typed = ["duration", "count", "fraction", "flag"];
    for o in options.iter().filter(|o| typed.contains(&o.ty.as_str())) {
        let base = || {
            let mut c = cmd(&["token", "--token-url", &s.token_url()]);
            c.env("M2M_AUTH_CLIENT_ID", "cli-client")
                .env("M2M_AUTH_CLIENT_SECRET", SECRET)
                .env(&o.env, "not-a-value");
            c
        };
        let out = run(base(), "").await;
        assert_eq!(out.status.code(), Some(3), "{}: {:?}", o.env, out);
        assert!(text(&out.stderr).contains(&o.name), "{}", text(&out.stderr));
        let (given, _) = sample(o, &s, "");
        let mut c = base();
        c.args(&given);
        let out = run(c, "").await;
        assert!(out.status.success(), "{given:?}: {}", text(&out.stderr));
    }
}
