//! `m2m-auth-devserver`: runs the dev/fault server (see PROTOCOL.md) and
//! prints one JSON line with its URLs on stdout.

use std::io::{Read, Write};
use std::process::exit;

use m2m_auth_devserver::{DevServer, ServerConfig};

const USAGE: &str = "\
usage: m2m-auth-devserver [--clients FILE] [--port N] [--cheap-tokens] [--tls] [--client-ca FILE]
                          [--dpop-nonce] [--exit-on-stdin-eof]

  --clients FILE       clients JSON ({\"clients\":[...]}); default: demo-client/demo-secret
  --port N             port on 127.0.0.1 (default: chosen by the OS)
  --cheap-tokens       reuse each signed token until half its lifetime has passed
  --tls                also listen for https (mutual TLS) on an OS-chosen port
  --client-ca FILE     CA certificates (PEM) issuing tls_client_auth certificates; implies --tls
  --dpop-nonce         the token endpoint and /api demand a DPoP nonce (RFC 9449 §8, §9)
  --exit-on-stdin-eof  exit when standard input closes
  --help               show this help

Prints one JSON line on stdout: {\"url\",\"issuer\",\"token_url\",\"jwks_uri\",\"api_url\",\"control_url\",\"control_token\"}
(with --tls also \"https_url\",\"mtls_token_url\",\"tls_ca_pem\").
The control API needs \"Authorization: Bearer CONTROL_TOKEN\".
See PROTOCOL.md for the endpoints, the control API and fault steps.";

fn die(msg: &str) -> ! {
    eprintln!("m2m-auth-devserver: {msg}");
    exit(2)
}

fn main() {
    let mut clients_file: Option<String> = None;
    let mut port: Option<u16> = None;
    let mut cheap = false;
    let mut tls = false;
    let mut dpop_nonce = false;
    let mut client_ca: Option<String> = None;
    let mut exit_on_eof = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> String {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| die(&format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--clients" => clients_file = Some(value("--clients")),
            "--port" => {
                let v = value("--port");
                port = Some(
                    v.parse()
                        .unwrap_or_else(|_| die(&format!("invalid port {v:?}"))),
                );
            }
            "--cheap-tokens" => cheap = true,
            "--tls" => tls = true,
            "--dpop-nonce" => dpop_nonce = true,
            "--client-ca" => client_ca = Some(value("--client-ca")),
            "--exit-on-stdin-eof" => exit_on_eof = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => die(&format!("unknown argument {other:?}\n{USAGE}")),
        }
    }

    let mut config = match &clients_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|e| die(&format!("reading {path}: {e}")));
            ServerConfig::from_json(&text).unwrap_or_else(|e| die(&format!("{path}: {e}")))
        }
        None => ServerConfig::default(),
    };
    if let Some(p) = port {
        config.port = p;
    }
    if cheap {
        config.cheap_tokens = true;
    }
    if tls {
        config.tls = true;
    }
    if dpop_nonce {
        config.dpop_nonce = true;
    }
    if let Some(path) = client_ca {
        let pem =
            std::fs::read_to_string(&path).unwrap_or_else(|e| die(&format!("reading {path}: {e}")));
        config.client_ca = Some(pem);
    }

    if exit_on_eof {
        std::thread::spawn(|| {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => exit(0),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => exit(0),
                }
            }
        });
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(&format!("tokio runtime: {e}")));
    rt.block_on(async move {
        let server = DevServer::start(config)
            .await
            .unwrap_or_else(|e| die(&format!("starting: {e}")));
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", server.startup_line())
            .and_then(|_| out.flush())
            .is_err()
        {
            exit(1);
        }
        drop(out);
        std::future::pending::<()>().await;
    });
}
