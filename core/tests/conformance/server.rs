//! The dev server under a vector: access to it, what it recorded
//! (`expect_request`), and waiting for it to go away (`shutdown_server`).

use std::time::{Duration, Instant};

use m2m_auth_devserver::DevServer;
use serde_json::Value;

use crate::common;
use crate::run::Run;
use crate::vector::{opt_bool, str_list};
use crate::Res;

impl Run {
    pub(crate) fn server(&self) -> &DevServer {
        self.server.as_ref().expect("server started")
    }

    pub(crate) fn expect_request(&self, e: &Value) -> Res {
        let e = e.as_object().ok_or("expect_request: an object")?;
        for k in e.keys() {
            if ![
                "index",
                "form",
                "form_absent",
                "headers",
                "headers_absent",
                "headers_present",
            ]
            .contains(&k.as_str())
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
        if let Some(list) = e.get("headers_present") {
            for name in str_list(list, "headers_present")? {
                if !r.headers.contains_key(&name.to_ascii_lowercase()) {
                    return Err(format!("header {name:?} is missing (request #{index})"));
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

impl Run {
    /// `dpop_control`: the body of `POST /_control/dpop` (each field optional).
    pub(crate) fn dpop_control(&mut self, c: &Value) -> Res {
        let c = c.as_object().ok_or("dpop_control: an object")?;
        if let Some(k) = c
            .keys()
            .find(|k| !["nonce_token", "nonce_api", "rotate"].contains(&k.as_str()))
        {
            return Err(format!("dpop_control: unknown field {k:?}"));
        }
        let (token, api) = self.dpop_nonce;
        self.dpop_nonce = (
            opt_bool(c, "nonce_token")?.unwrap_or(token),
            opt_bool(c, "nonce_api")?.unwrap_or(api),
        );
        self.server()
            .set_dpop_nonce(self.dpop_nonce.0, self.dpop_nonce.1);
        if opt_bool(c, "rotate")?.unwrap_or(false) {
            self.server().rotate_dpop_nonce();
        }
        Ok(())
    }

    /// `expect_stats`: each named counter of `/_control/stats` equals N.
    pub(crate) fn expect_stats(&self, want: &Value) -> Res {
        let want = want.as_object().ok_or("expect_stats: an object")?;
        let got = serde_json::to_value(self.server().stats()).map_err(|e| e.to_string())?;
        for (name, n) in want {
            let n = n.as_u64().ok_or("expect_stats: integer values")?;
            match got.get(name).and_then(Value::as_u64) {
                None => return Err(format!("expect_stats: the server has no counter {name:?}")),
                Some(g) if g != n => return Err(format!("the server's {name} is {g}, not {n}")),
                Some(_) => {}
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
