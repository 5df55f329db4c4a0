//! The Rust runner of the shared conformance vectors: every
//! `tests/conformance/*.json` (format: `tests/conformance/FORMAT.md`) runs
//! against a fresh in-process dev/fault server, and every expectation is
//! checked, plus the canary (no error ever shows the client secret).
//!
//! `M2M_AUTH_VECTORS=name1,name2` runs only the vectors whose name contains
//! one of those strings. Failures of all vectors are collected and reported
//! together.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use m2m_auth::{ApiResponse, Error, ErrorDetail, RetryPolicy, Token, TokenClient, TokenRequest};
use m2m_auth_devserver::{ClientConfig, DevServer, FaultStep, ServerConfig, Target};
use serde_json::{json, Map, Value};

/// Vectors must be at least this many (issue #3).
const MIN_VECTORS: usize = 40;

type Res<T = ()> = std::result::Result<T, String>;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

#[test]
fn conformance_vectors() {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_VECTORS,
        "only {} vectors in {}",
        files.len(),
        dir.display()
    );
    let filter: Vec<String> = std::env::var("M2M_AUTH_VECTORS")
        .ok()
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Servers stay bound until the run ends, so that no later vector gets a
    // port (and so a cache key) an earlier one used.
    let mut servers = Vec::new();
    let (mut passed, mut skipped) = (0, 0);
    let mut failed: Vec<String> = Vec::new();
    let started = Instant::now();
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !filter.is_empty() && !filter.iter().any(|f| stem.contains(f.as_str())) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let vector: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failed.push(format!("{stem}: not JSON: {e}"));
                continue;
            }
        };
        if let Err(e) = check_shape(&vector, &stem) {
            failed.push(format!("{stem}: bad vector: {e}"));
            continue;
        }
        if let Some(reason) = vector.pointer("/skip/rust") {
            eprintln!("vector {stem}: skipped: {reason}");
            skipped += 1;
            continue;
        }
        let t0 = Instant::now();
        let mut run = Run::default();
        let outcome = rt.block_on(run.vector(&vector));
        servers.extend(run.server.take());
        match outcome {
            Ok(()) => {
                passed += 1;
                eprintln!("vector {stem}: ok ({} ms)", t0.elapsed().as_millis());
            }
            Err(e) => {
                eprintln!("vector {stem}: FAILED: {e}");
                failed.push(format!("{stem}: {e}"));
            }
        }
    }
    let summary = format!(
        "conformance: {passed} passed, {} failed, {skipped} skipped in {:.1} s",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    eprintln!("{summary}");
    drop(servers);
    assert!(
        failed.is_empty(),
        "{summary}\n{}",
        failed
            .iter()
            .map(|f| format!("  - {f}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(passed + skipped > 0, "no vector matched {filter:?}");
}

/// The top-level fields a vector may have, and that it names itself.
fn check_shape(v: &Value, stem: &str) -> Res {
    let obj = v.as_object().ok_or("not a JSON object")?;
    for k in obj.keys() {
        if ![
            "name",
            "design",
            "description",
            "server",
            "client",
            "steps",
            "skip",
        ]
        .contains(&k.as_str())
        {
            return Err(format!("unknown field {k:?}"));
        }
    }
    if obj.get("name").and_then(Value::as_str) != Some(stem) {
        return Err("`name` must equal the file name".into());
    }
    for k in ["design", "description"] {
        if !obj.get(k).is_some_and(Value::is_string) {
            return Err(format!("`{k}` (a string) is required"));
        }
    }
    if !obj.get("steps").is_some_and(Value::is_array) {
        return Err("`steps` (an array) is required".into());
    }
    if let Some(skip) = obj.get("skip") {
        let skip = skip.as_object().ok_or("`skip` must be an object")?;
        for (lang, why) in skip {
            if !["rust", "python", "node", "c"].contains(&lang.as_str()) {
                return Err(format!("skip: unknown language {lang:?}"));
            }
            if why.as_str().is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("skip.{lang} must say why"));
            }
        }
    }
    Ok(())
}

/// What one call produced.
enum Outcome {
    /// `build` succeeded.
    Built,
    Token(Token),
    Api(ApiResponse),
    Err(Error),
}

#[derive(Default)]
struct Run {
    server: Option<DevServer>,
    /// The first of the server's clients: the default credentials.
    first_client: Option<ClientConfig>,
    client_opts: Map<String, Value>,
    client: Option<TokenClient>,
    /// The secret of the client under test (for the canary check).
    secret: String,
    labels: HashMap<String, String>,
}

impl Run {
    async fn vector(&mut self, v: &Value) -> Res {
        let clients = match v.pointer("/server") {
            None => vec![{
                let mut c = ClientConfig::new("conf-client", "conf-secret");
                c.token_lifetime = Some(3600);
                c
            }],
            Some(s) => {
                let s = s.as_object().ok_or("server: not an object")?;
                if let Some(k) = s.keys().find(|k| *k != "clients") {
                    return Err(format!("server: unknown field {k:?}"));
                }
                let list = s.get("clients").cloned().unwrap_or(json!([]));
                serde_json::from_value(list).map_err(|e| format!("server.clients: {e}"))?
            }
        };
        self.first_client = clients.first().cloned();
        let server = DevServer::start(ServerConfig::with_clients(clients))
            .await
            .map_err(|e| format!("dev server: {e}"))?;
        self.server = Some(server);
        self.client_opts = match v.get("client") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err("client: not an object".into()),
        };
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            self.step(step)
                .await
                .map_err(|e| format!("step {i} {step}: {e}"))?;
        }
        Ok(())
    }

    fn server(&self) -> &DevServer {
        self.server.as_ref().expect("server started")
    }

    async fn step(&mut self, step: &Value) -> Res {
        let s = step.as_object().ok_or("a step is a JSON object")?;
        let has = |k: &str| s.contains_key(k);
        let allow = |keys: &[&str]| -> Res {
            match s.keys().find(|k| !keys.contains(&k.as_str())) {
                Some(k) => Err(format!("unknown field {k:?} in this step")),
                None => Ok(()),
            }
        };
        if has("faults") || has("api_faults") {
            allow(&["faults", "api_faults", "repeat_last"])?;
            let (target, steps) = match (s.get("faults"), s.get("api_faults")) {
                (Some(f), None) => (Target::Token, f),
                (None, Some(f)) => (Target::Api, f),
                _ => return Err("faults and api_faults in one step".into()),
            };
            let steps: Vec<FaultStep> =
                serde_json::from_value(steps.clone()).map_err(|e| format!("fault steps: {e}"))?;
            for f in &steps {
                f.validate()?;
            }
            let repeat = opt_bool(s, "repeat_last")?.unwrap_or(false);
            self.server().set_faults(target, steps, repeat);
        } else if has("clear_faults") {
            allow(&["clear_faults"])?;
            self.server().clear_faults(Target::Token);
            self.server().clear_faults(Target::Api);
        } else if has("sleep_ms") {
            allow(&["sleep_ms"])?;
            tokio::time::sleep(Duration::from_millis(req_u64(s, "sleep_ms")?)).await;
        } else if has("shutdown_server") {
            allow(&["shutdown_server"])?;
            let port = self.server().port();
            self.server().shutdown();
            wait_until_refused(port).await?;
        } else if has("expect_requests") {
            allow(&["expect_requests"])?;
            let want = req_u64(s, "expect_requests")?;
            let got = self.server().stats().token_requests;
            if got != want {
                return Err(format!("the server saw {got} token requests, not {want}"));
            }
        } else if has("expect_api_requests") {
            allow(&["expect_api_requests"])?;
            let want = req_u64(s, "expect_api_requests")?;
            let got = self.server().stats().api_requests;
            if got != want {
                return Err(format!("the server saw {got} API requests, not {want}"));
            }
        } else if has("expect_request") {
            allow(&["expect_request"])?;
            self.expect_request(&s["expect_request"])?;
        } else if let Some(call) = s.get("call").and_then(Value::as_str) {
            self.call(call, s).await?;
        } else {
            return Err("unknown step".into());
        }
        Ok(())
    }

    async fn call(&mut self, call: &str, s: &Map<String, Value>) -> Res {
        let allowed: &[&str] = match call {
            "build" => &["call", "client_override", "expect"],
            "get_token" | "fetch_token" => &["call", "request", "concurrency", "expect", "label"],
            "invalidate" => &["call", "request"],
            "call_api" => &["call", "method", "path", "request", "expect", "label"],
            other => return Err(format!("unknown call {other:?}")),
        };
        if let Some(k) = s.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("unknown field {k:?} for call {call}"));
        }
        let expect = s.get("expect");
        if call == "build" {
            let mut opts = self.client_opts.clone();
            match s.get("client_override") {
                None => {}
                Some(Value::Object(o)) => opts.extend(o.clone()),
                Some(_) => return Err("client_override: not an object".into()),
            }
            let built = self.build(&opts)?;
            let expect = expect.ok_or("build needs expect")?;
            return match built {
                Ok(c) => {
                    self.client = Some(c);
                    self.check(expect, &Outcome::Built, None)
                }
                Err(e) => {
                    self.client = None;
                    self.check(expect, &Outcome::Err(e), None)
                }
            };
        }
        if self.client.is_none() {
            let opts = self.client_opts.clone();
            match self.build(&opts)? {
                Ok(c) => self.client = Some(c),
                Err(e) => return Err(format!("the client does not build: {e}")),
            }
        }
        let client = self.client.clone().unwrap();
        let request = match s.get("request") {
            None => TokenRequest::default(),
            Some(r) => token_request(r)?,
        };
        if call == "invalidate" {
            return client
                .invalidate(&request)
                .map_err(|e| format!("invalidate: {e}"));
        }
        let expect = expect.ok_or("a call needs expect")?;
        let n = match s.get("concurrency") {
            None => 1,
            Some(v) => v
                .as_u64()
                .filter(|n| *n >= 1)
                .ok_or("concurrency: a positive integer")?,
        };
        let url = match call {
            "call_api" => {
                let path = s.get("path").and_then(Value::as_str).unwrap_or("/api");
                Some(format!("{}{path}", self.server().url()))
            }
            _ => None,
        };
        let method = s
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_string();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (client, request, url, method) =
                (client.clone(), request.clone(), url.clone(), method.clone());
            let call = call.to_string();
            tasks.push(tokio::spawn(async move {
                let t0 = Instant::now();
                let out = match call.as_str() {
                    "get_token" => client
                        .get_token(&request)
                        .await
                        .map_or_else(Outcome::Err, Outcome::Token),
                    "fetch_token" => client
                        .fetch_token(&request)
                        .await
                        .map_or_else(Outcome::Err, Outcome::Token),
                    _ => client
                        .call_api(&request, &method, url.as_deref().unwrap(), &[], None)
                        .await
                        .map_or_else(Outcome::Err, Outcome::Api),
                };
                (out, t0.elapsed())
            }));
        }
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.map_err(|e| format!("caller panicked: {e}"))?);
        }
        for (i, (out, elapsed)) in outcomes.iter().enumerate() {
            self.check(expect, out, Some(*elapsed)).map_err(|e| {
                if n > 1 {
                    format!("caller {i} of {n}: {e}")
                } else {
                    e
                }
            })?;
        }
        if let Some(label) = s.get("label") {
            let label = label.as_str().ok_or("label: a string")?;
            match &outcomes[0].0 {
                Outcome::Token(t) => {
                    self.labels
                        .insert(label.to_string(), t.access_token().to_string());
                }
                _ => return Err(format!("label {label:?} on a call that gave no token")),
            }
        }
        Ok(())
    }

    /// Builds the client under test from the vector's options. The outer
    /// error is a broken vector; the inner one is the engine's answer.
    fn build(&mut self, o: &Map<String, Value>) -> Res<Result<TokenClient, Error>> {
        const KNOWN: &[&str] = &[
            "token_url",
            "issuer",
            "domain",
            "client_id",
            "client_secret",
            "auth_method",
            "audience",
            "organization",
            "scope",
            "resource",
            "extra",
            "timeout_ms",
            "connect_timeout_ms",
            "leeway_ms",
            "refresh_ratio",
            "retry",
        ];
        if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("client: unknown option {k:?}"));
        }
        let server = self.server();
        let fill = |s: &str| {
            s.replace("{token_url}", &server.token_url())
                .replace("{issuer}", server.issuer())
                .replace("{url}", server.url())
        };
        let first = self.first_client.clone();
        let mut b = TokenClient::builder().no_proxy();
        // The same vectors with a shared store behind the process cache
        // (scripts/test-shared-stores.sh): docs/design.md §4, the same contract.
        if let Ok(cache) = std::env::var("M2M_AUTH_CONFORMANCE_CACHE") {
            b = b.cache(cache);
        }
        let endpoint_given = ["token_url", "issuer", "domain"]
            .iter()
            .any(|k| o.contains_key(*k));
        if !endpoint_given {
            b = b.token_url(server.token_url());
        }
        if let Some(v) = opt_str(o, "token_url")? {
            b = b.token_url(fill(v));
        }
        if let Some(v) = opt_str(o, "issuer")? {
            b = b.issuer(fill(v));
        }
        if let Some(v) = opt_str(o, "domain")? {
            b = b.domain(fill(v));
        }
        let id = opt_str(o, "client_id")?
            .map(str::to_string)
            .or_else(|| first.as_ref().map(|c| c.client_id.clone()))
            .ok_or("client_id: no default (the server has no client)")?;
        let secret = opt_str(o, "client_secret")?
            .map(str::to_string)
            .or_else(|| first.as_ref().map(|c| c.client_secret.clone()))
            .ok_or("client_secret: no default (the server has no client)")?;
        b = b.client_id(id).client_secret(secret.clone());
        self.secret = secret;
        if let Some(v) = opt_str(o, "auth_method")? {
            b = b.auth_method_name(v);
        }
        if let Some(v) = opt_str(o, "audience")? {
            b = b.audience(v);
        }
        if let Some(v) = opt_str(o, "organization")? {
            b = b.organization(v);
        }
        if let Some(v) = opt_str(o, "scope")? {
            b = b.scope([v]);
        }
        if let Some(v) = o.get("resource") {
            b = b.resource(str_list(v, "resource")?);
        }
        if let Some(v) = o.get("extra") {
            for (k, v) in str_map(v, "extra")? {
                b = b.extra(k, v);
            }
        }
        if let Some(ms) = opt_u64(o, "timeout_ms")? {
            b = b.timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = opt_u64(o, "connect_timeout_ms")? {
            b = b.connect_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = opt_u64(o, "leeway_ms")? {
            b = b.leeway(Duration::from_millis(ms));
        }
        if let Some(r) = o.get("refresh_ratio") {
            b = b.refresh_ratio(r.as_f64().ok_or("refresh_ratio: a number")?);
        }
        let mut policy = RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        };
        if let Some(r) = o.get("retry") {
            let r = r.as_object().ok_or("retry: an object")?;
            for k in r.keys() {
                if ![
                    "max_attempts",
                    "base_delay_ms",
                    "default_throttle_ms",
                    "max_retry_after_s",
                ]
                .contains(&k.as_str())
                {
                    return Err(format!("retry: unknown field {k:?}"));
                }
            }
            if let Some(n) = opt_u64(r, "max_attempts")? {
                policy.max_attempts = n as u32;
            }
            if let Some(ms) = opt_u64(r, "base_delay_ms")? {
                policy.base_delay = Duration::from_millis(ms);
            }
            if let Some(ms) = opt_u64(r, "default_throttle_ms")? {
                policy.default_throttle = Duration::from_millis(ms);
            }
            if let Some(s) = opt_u64(r, "max_retry_after_s")? {
                policy.max_retry_after = Duration::from_secs(s);
            }
        }
        Ok(b.retry_policy(policy).build())
    }

    fn expect_request(&self, e: &Value) -> Res {
        let e = e.as_object().ok_or("expect_request: an object")?;
        for k in e.keys() {
            if !["index", "form", "form_absent", "headers", "headers_absent"].contains(&k.as_str())
            {
                return Err(format!("expect_request: unknown field {k:?}"));
            }
        }
        let recorded = self.server().requests();
        let index = e
            .get("index")
            .and_then(Value::as_i64)
            .ok_or("expect_request.index: an integer")?;
        let i = if index < 0 {
            recorded.len() as i64 + index
        } else {
            index
        };
        let r = usize::try_from(i)
            .ok()
            .and_then(|i| recorded.get(i))
            .ok_or_else(|| {
                format!(
                    "no token request #{index} (the server recorded {})",
                    recorded.len()
                )
            })?;
        let form = common::form(&r.body);
        let values = |name: &str| -> Vec<String> {
            form.iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        if let Some(f) = e.get("form") {
            for (name, want) in f.as_object().ok_or("form: an object")? {
                let mut got = values(name);
                match want {
                    Value::String(w) => {
                        if got != [w.clone()] {
                            return Err(format!(
                                "form field {name:?}: wanted {w:?}, got {got:?} (request #{index})"
                            ));
                        }
                    }
                    Value::Array(_) => {
                        let mut w = str_list(want, name)?;
                        w.sort();
                        got.sort();
                        if got != w {
                            return Err(format!(
                                "form field {name:?}: wanted the values {w:?}, got {got:?} (request #{index})"
                            ));
                        }
                    }
                    _ => return Err(format!("form.{name}: a string or a list of strings")),
                }
            }
        }
        if let Some(list) = e.get("form_absent") {
            for name in str_list(list, "form_absent")? {
                let got = values(&name);
                if !got.is_empty() {
                    return Err(format!(
                        "form field {name:?} should be absent, got {got:?} (request #{index})"
                    ));
                }
            }
        }
        if let Some(h) = e.get("headers") {
            for (name, want) in h.as_object().ok_or("headers: an object")? {
                let want = want
                    .as_str()
                    .ok_or("headers: string values")?
                    .replace("{version}", env!("CARGO_PKG_VERSION"))
                    .replace("{language}", "rust");
                let got = r.headers.get(&name.to_ascii_lowercase());
                if got != Some(&want) {
                    return Err(format!(
                        "header {name:?}: wanted {want:?}, got {got:?} (request #{index})"
                    ));
                }
            }
        }
        if let Some(list) = e.get("headers_absent") {
            for name in str_list(list, "headers_absent")? {
                if let Some(got) = r.headers.get(&name.to_ascii_lowercase()) {
                    return Err(format!(
                        "header {name:?} should be absent, got {got:?} (request #{index})"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks one outcome against `E`; `elapsed` is the caller's wall time.
    fn check(&self, e: &Value, out: &Outcome, elapsed: Option<Duration>) -> Res {
        let e = e.as_object().ok_or("expect: an object")?;
        // The canary, whatever was expected.
        if let Outcome::Err(err) = out {
            canary(err, &self.secret)?;
        }
        const KNOWN: &[&str] = &[
            "ok",
            "error",
            "token_type",
            "expires_in_between",
            "scope",
            "extra",
            "same_token_as",
            "different_token_from",
            "status",
            "elapsed_ms_at_least",
            "elapsed_ms_at_most",
            "fields",
            "body_max_len",
            "retry_after_between_s",
        ];
        if let Some(k) = e.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("expect: unknown field {k:?}"));
        }
        let want_ok = e.get("ok") == Some(&Value::Bool(true));
        let want_err = e.get("error").and_then(Value::as_str);
        if want_ok == want_err.is_some() {
            return Err("expect needs exactly one of \"ok\": true and \"error\"".into());
        }
        if let Some(elapsed) = elapsed {
            let ms = elapsed.as_secs_f64() * 1000.0;
            if let Some(lo) = opt_u64(e, "elapsed_ms_at_least")? {
                if ms < lo as f64 {
                    return Err(format!("took {ms:.0} ms, expected at least {lo} ms"));
                }
            }
            if let Some(hi) = opt_u64(e, "elapsed_ms_at_most")? {
                if ms > hi as f64 {
                    return Err(format!("took {ms:.0} ms, expected at most {hi} ms"));
                }
            }
        }
        match (out, want_err) {
            (Outcome::Err(err), None) => {
                Err(format!("expected success, got {}: {err}", err.code()))
            }
            (Outcome::Built, None) => {
                if let Some(k) = e.keys().find(|k| *k != "ok") {
                    return Err(format!("{k} does not apply to build"));
                }
                Ok(())
            }
            (Outcome::Built, Some(code)) => {
                Err(format!("expected a {code} error, the client built"))
            }
            (Outcome::Token(t), None) => self.check_token(e, t),
            (Outcome::Api(r), None) => {
                if let Some(s) = opt_u64(e, "status")? {
                    if u64::from(r.status) != s {
                        return Err(format!(
                            "the API answered {}, expected {s}: {}",
                            r.status,
                            r.text()
                        ));
                    }
                }
                for k in [
                    "token_type",
                    "expires_in_between",
                    "scope",
                    "extra",
                    "same_token_as",
                    "different_token_from",
                ] {
                    if e.contains_key(k) {
                        return Err(format!("{k} does not apply to call_api"));
                    }
                }
                Ok(())
            }
            (Outcome::Token(_), Some(code)) => Err(format!("expected a {code} error, got a token")),
            (Outcome::Api(r), Some(code)) => Err(format!(
                "expected a {code} error, the API answered {}",
                r.status
            )),
            (Outcome::Err(err), Some(code)) => check_error(e, err, code),
        }
    }

    fn check_token(&self, e: &Map<String, Value>, t: &Token) -> Res {
        if let Some(want) = opt_str(e, "token_type")? {
            if t.token_type() != want {
                return Err(format!(
                    "token_type {:?}, expected {want:?}",
                    t.token_type()
                ));
            }
        }
        if let Some(range) = e.get("expires_in_between") {
            let (lo, hi) = range_of(range, "expires_in_between")?;
            let left = t.expires_in().as_secs_f64();
            if left < lo || left > hi {
                return Err(format!("expires in {left:.1} s, expected [{lo}, {hi}]"));
            }
        }
        if let Some(want) = e.get("scope") {
            let got = t
                .scope()
                .map(|s| Value::String(s.to_string()))
                .unwrap_or(Value::Null);
            if &got != want {
                return Err(format!("scope {got}, expected {want}"));
            }
        }
        if let Some(want) = e.get("extra") {
            for (k, v) in want.as_object().ok_or("extra: an object")? {
                if t.extra().get(k) != Some(v) {
                    return Err(format!(
                        "extra field {k:?}: {:?}, expected {v}",
                        t.extra().get(k)
                    ));
                }
            }
        }
        if let Some(label) = opt_str(e, "same_token_as")? {
            let other = self
                .labels
                .get(label)
                .ok_or_else(|| format!("no label {label:?}"))?;
            if t.access_token() != other {
                return Err(format!("a different token than {label:?}"));
            }
        }
        if let Some(label) = opt_str(e, "different_token_from")? {
            let other = self
                .labels
                .get(label)
                .ok_or_else(|| format!("no label {label:?}"))?;
            if t.access_token() == other {
                return Err(format!("the same token as {label:?}"));
            }
        }
        if e.contains_key("status") {
            return Err("status applies to call_api only".into());
        }
        Ok(())
    }
}

fn check_error(e: &Map<String, Value>, err: &Error, code: &str) -> Res {
    if err.code() != code {
        return Err(format!(
            "expected a {code} error, got {}: {err}",
            err.code()
        ));
    }
    if let Some(fields) = e.get("fields") {
        for (name, want) in fields.as_object().ok_or("fields: an object")? {
            let got = error_field(err, name)
                .ok_or_else(|| format!("a {} error has no field {name:?}", err.code()))?;
            if &got != want {
                return Err(format!(
                    "error field {name}: {got}, expected {want} ({err})"
                ));
            }
        }
    }
    if let Some(max) = opt_u64(e, "body_max_len")? {
        match err.detail() {
            ErrorDetail::Http { body, .. } if body.len() as u64 <= max => {}
            ErrorDetail::Http { body, .. } => {
                return Err(format!("http body excerpt of {} bytes > {max}", body.len()))
            }
            _ => return Err("body_max_len applies to http errors".into()),
        }
    }
    if let Some(range) = e.get("retry_after_between_s") {
        let (lo, hi) = range_of(range, "retry_after_between_s")?;
        let ra = err
            .retry_after()
            .ok_or("retry_after_between_s applies to throttled errors")?
            .as_secs_f64();
        if ra < lo || ra > hi {
            return Err(format!("retry_after {ra:.3} s, expected [{lo}, {hi}]"));
        }
    }
    for k in [
        "token_type",
        "expires_in_between",
        "scope",
        "extra",
        "same_token_as",
        "different_token_from",
        "status",
    ] {
        if e.contains_key(k) {
            return Err(format!("{k} does not apply to an error"));
        }
    }
    Ok(())
}

/// An error's field by its FORMAT.md name, as JSON (`null` when absent).
fn error_field(err: &Error, name: &str) -> Option<Value> {
    let s = |o: &Option<String>| o.clone().map(Value::String).unwrap_or(Value::Null);
    match (err.detail(), name) {
        (ErrorDetail::OAuth { error, .. }, "error") => Some(json!(error)),
        (
            ErrorDetail::OAuth {
                error_description, ..
            },
            "error_description",
        ) => Some(s(error_description)),
        (ErrorDetail::OAuth { error_uri, .. }, "error_uri") => Some(s(error_uri)),
        (ErrorDetail::OAuth { status, .. } | ErrorDetail::Http { status, .. }, "status") => {
            Some(json!(status))
        }
        (ErrorDetail::Transport { kind, .. }, "kind") => Some(json!(kind.as_str())),
        _ => None,
    }
}

/// No error shows the client secret, raw or form-encoded.
fn canary(err: &Error, secret: &str) -> Res {
    if secret.is_empty() {
        return Ok(());
    }
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    for text in [err.to_string(), format!("{err:?}")] {
        for needle in [secret, form.as_str()] {
            if text.contains(needle) {
                return Err(format!("CANARY: the error shows the client secret: {text}"));
            }
        }
    }
    Ok(())
}

/// Waits until nothing accepts connections on `port` any more.
async fn wait_until_refused(port: u16) -> Res {
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Err(_) => return Ok(()),
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    Err(format!(
        "port {port} still accepts connections after shutdown"
    ))
}

fn token_request(r: &Value) -> Res<TokenRequest> {
    let r = r.as_object().ok_or("request: an object")?;
    let mut out = TokenRequest::default();
    for (k, v) in r {
        match k.as_str() {
            "audience" => out.audience = Some(v.as_str().ok_or("audience: a string")?.into()),
            "organization" => {
                out.organization = Some(v.as_str().ok_or("organization: a string")?.into())
            }
            "scope" => out.scope = Some(vec![v.as_str().ok_or("scope: a string")?.into()]),
            "resource" => out.resource = Some(str_list(v, "resource")?),
            "extra" => out.extra = Some(str_map(v, "extra")?.into_iter().collect()),
            other => return Err(format!("request: unknown field {other:?}")),
        }
    }
    Ok(out)
}

fn range_of(v: &Value, what: &str) -> Res<(f64, f64)> {
    match v.as_array().map(|a| a.as_slice()) {
        Some([lo, hi]) => match (lo.as_f64(), hi.as_f64()) {
            (Some(lo), Some(hi)) => Ok((lo, hi)),
            _ => Err(format!("{what}: two numbers")),
        },
        _ => Err(format!("{what}: [lo, hi]")),
    }
}

fn str_list(v: &Value, what: &str) -> Res<Vec<String>> {
    v.as_array()
        .and_then(|a| {
            a.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| format!("{what}: a list of strings"))
}

fn str_map(v: &Value, what: &str) -> Res<Vec<(String, String)>> {
    v.as_object()
        .and_then(|m| {
            m.iter()
                .map(|(k, x)| x.as_str().map(|x| (k.clone(), x.to_string())))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| format!("{what}: a map of strings"))
}

fn opt_str<'a>(o: &'a Map<String, Value>, k: &str) -> Res<Option<&'a str>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{k}: a string")),
    }
}

fn opt_u64(o: &Map<String, Value>, k: &str) -> Res<Option<u64>> {
    match o.get(k) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{k}: a non-negative integer")),
    }
}

fn req_u64(o: &Map<String, Value>, k: &str) -> Res<u64> {
    opt_u64(o, k)?.ok_or_else(|| format!("{k}: required"))
}

fn opt_bool(o: &Map<String, Value>, k: &str) -> Res<Option<bool>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("{k}: true or false")),
    }
}
