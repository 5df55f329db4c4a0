//! The dev server under a vector: access to it, what it recorded
//! (`expect_request`), and waiting for it to go away (`shutdown_server`).

use std::time::{Duration, Instant};

use m2m_auth_devserver::DevServer;
use serde_json::Value;

use crate::common;
use crate::run::Run;
use crate::vector::str_list;
use crate::Res;

impl Run {
    pub(crate) fn server(&self) -> &DevServer {
        self.server.as_ref().expect("server started")
    }

    pub(crate) fn expect_request(&self, e: &Value) -> Res {
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
}

/// Waits until nothing accepts connections on `port` any more.
pub(crate) async fn wait_until_refused(port: u16) -> Res {
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
