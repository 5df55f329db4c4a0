//! Running a vector: the dev server it asks for, then its steps one by one
//! (faults, sleeps, expectations on the server, and calls on the client).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use m2m_auth::{ApiResponse, Error, Token, TokenClient, TokenRequest};
use m2m_auth_devserver::{ClientConfig, DevServer, FaultStep, ServerConfig, Target};
use serde_json::{Map, Value};

use crate::server::wait_until_refused;
use crate::vector::{opt_bool, opt_str, req_u64, token_request};
use crate::Res;

/// What one call produced.
pub(crate) enum Outcome {
    /// `build` succeeded.
    Built,
    Token(Token),
    Api(ApiResponse),
    Err(Error),
}

#[derive(Default)]
pub(crate) struct Run {
    pub(crate) server: Option<DevServer>,
    /// The first of the server's clients: the default credentials.
    pub(crate) first_client: Option<ClientConfig>,
    pub(crate) client_opts: Map<String, Value>,
    pub(crate) client: Option<TokenClient>,
    /// The secret of the client under test (for the canary check).
    pub(crate) secret: String,
    pub(crate) labels: HashMap<String, String>,
    /// The secret parts of the client's `dpop_key` (the canary's too).
    pub(crate) key_parts: Vec<String>,
    /// The dev server's DPoP nonce mode: (token endpoint, `/api`).
    pub(crate) dpop_nonce: (bool, bool),
}

impl Run {
    pub(crate) async fn vector(&mut self, v: &Value) -> Res {
        let (mut tls, mut client_ca, mut dpop_nonce) = (false, None, false);
        let default_clients = || {
            let mut c = ClientConfig::new("conf-client", "conf-secret");
            c.token_lifetime = Some(3600);
            vec![c]
        };
        let clients = match v.pointer("/server") {
            None => default_clients(),
            Some(s) => {
                let s = s.as_object().ok_or("server: not an object")?;
                let known = ["clients", "tls", "client_ca_file", "dpop_nonce"];
                if let Some(k) = s.keys().find(|k| !known.contains(&k.as_str())) {
                    return Err(format!("server: unknown field {k:?}"));
                }
                tls = s.get("tls").and_then(Value::as_bool).unwrap_or(false);
                dpop_nonce = opt_bool(s, "dpop_nonce")?.unwrap_or(false);
                if let Some(path) = opt_str(s, "client_ca_file")? {
                    let path = crate::client::repo_path(path);
                    let pem = std::fs::read_to_string(&path)
                        .map_err(|e| format!("server.client_ca_file {path:?}: {e}"))?;
                    client_ca = Some(pem);
                }
                match s.get("clients") {
                    None => default_clients(),
                    Some(list) => serde_json::from_value(list.clone())
                        .map_err(|e| format!("server.clients: {e}"))?,
                }
            }
        };
        self.first_client = clients.first().cloned();
        let mut config = ServerConfig::with_clients(clients);
        config.tls = tls;
        config.client_ca = client_ca;
        config.dpop_nonce = dpop_nonce;
        self.dpop_nonce = (dpop_nonce, dpop_nonce);
        let server = DevServer::start(config)
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
        } else if has("dpop_control") {
            allow(&["dpop_control"])?;
            self.dpop_control(&s["dpop_control"])?;
        } else if has("expect_stats") {
            allow(&["expect_stats"])?;
            self.expect_stats(&s["expect_stats"])?;
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
}
