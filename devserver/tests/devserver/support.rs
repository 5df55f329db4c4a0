//! A tiny raw HTTP/1.1 client (it can observe resets, stalls and endless
//! bodies byte by byte) and helpers shared by the tests.

use std::io;
use std::net::SocketAddr;

use base64::Engine as _;
use m2m_auth_devserver::{DevServer, ServerConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

pub(crate) fn raw_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        r.push_str("Host: 127.0.0.1\r\n");
    }
    r.push_str("Connection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

pub(crate) fn parse(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

pub(crate) async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Resp> {
    let host = format!("127.0.0.1:{}", addr.port());
    let mut all = vec![("Host", host.as_str())];
    all.extend(
        headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host")),
    );
    if let Some(h) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")) {
        all[0] = *h;
    }
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&raw_request(method, path, &all, body)).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    if raw.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no response"));
    }
    Ok(parse(&raw))
}

/// A control API call as a test harness makes it: JSON body, the server's
/// control token as a Bearer token.
pub(crate) async fn control(srv: &DevServer, method: &str, path: &str, body: &str) -> Resp {
    let auth = format!("Bearer {}", srv.control_token());
    http(
        srv.local_addr(),
        method,
        path,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        body.as_bytes(),
    )
    .await
    .unwrap()
}

pub(crate) const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub(crate) async fn post_form(addr: SocketAddr, body: &str) -> Resp {
    http(addr, "POST", "/oauth/token", &[FORM], body.as_bytes())
        .await
        .unwrap()
}

pub(crate) async fn demo_token(addr: SocketAddr) -> Resp {
    post_form(
        addr,
        "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
    )
    .await
}

fn b64url_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub(crate) fn jwt_parts(jwt: &str) -> (Value, Value) {
    let mut it = jwt.split('.');
    (
        b64url_json(it.next().unwrap()),
        b64url_json(it.next().unwrap()),
    )
}

pub(crate) async fn start() -> DevServer {
    DevServer::start(ServerConfig::default()).await.unwrap()
}
