//! `m2m-auth token` and `m2m-auth call`.

use std::io::Read;

use clap::Args;
use m2m_auth::TokenRequest;

use crate::failure::{config_failure, io_failure, Failure};
use crate::options::ClientArgs;
use crate::output::{escape_controls, metadata, pretty, status_line, token_response, write_stdout};

/// The flags of `token`.
#[derive(Args)]
pub struct TokenArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// Print only the access token
    #[arg(long, conflicts_with = "metadata")]
    raw: bool,
    /// Print the token's metadata (type, lifetime, scope, SHA-256
    /// fingerprint) but never the token itself
    #[arg(long)]
    metadata: bool,
}

/// The flags of `call`.
#[derive(Args)]
pub struct CallArgs {
    /// The API URL (https://, or http:// on loopback)
    url: String,
    /// HTTP method [GET, or POST when a body is given]
    #[arg(short = 'X', long, value_name = "METHOD")]
    method: Option<String>,
    /// Request body
    #[arg(short = 'd', long, value_name = "BODY", conflicts_with = "data_file")]
    data: Option<String>,
    /// Request body from a file (`-`: standard input)
    #[arg(long, value_name = "FILE")]
    data_file: Option<String>,
    /// Extra request header, `Name: value` (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Print the status line and the response headers before the body
    #[arg(short = 'i', long)]
    include: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// Requests a token and prints it (JSON, `--raw` or `--metadata`, which
/// also shows the token quota the server reported).
pub async fn token(args: TokenArgs) -> Result<u8, Failure> {
    let client = args.client.build(false)?;
    let token = client.get_token(&TokenRequest::default()).await?;
    let out = if args.raw {
        format!("{}\n", token.access_token())
    } else if args.metadata {
        pretty(&metadata(&token, &client.quota()))
    } else {
        pretty(&token_response(&token))
    };
    write_stdout(out.as_bytes())?;
    Ok(0)
}

/// Calls the API and prints its answer; status 22 when it is >= 400.
pub async fn call(args: CallArgs) -> Result<u8, Failure> {
    let from_stdin = args.data_file.as_deref() == Some("-");
    let client = args.client.build(from_stdin)?;
    let body = read_body(&args)?;
    let method = match &args.method {
        Some(m) => m.to_ascii_uppercase(),
        None if body.is_some() => "POST".into(),
        None => "GET".into(),
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| config_failure(format!("--header {h:?}: expected `Name: value`")))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let resp = client
        .call_api(&TokenRequest::default(), &method, &args.url, &headers, body)
        .await?;
    let mut out = Vec::new();
    if args.include {
        out.extend_from_slice(format!("HTTP/1.1 {}\n", status_line(resp.status)).as_bytes());
        for (k, v) in &resp.headers {
            let line = escape_controls(&format!("{k}: {v}"));
            out.extend_from_slice(format!("{line}\n").as_bytes());
        }
        out.push(b'\n');
    }
    out.extend_from_slice(&resp.body);
    if args.include && !resp.body.ends_with(b"\n") {
        out.push(b'\n');
    }
    write_stdout(&out)?;
    if resp.status >= 400 {
        eprintln!("m2m-auth: the API answered {}", status_line(resp.status));
        return Ok(22);
    }
    Ok(0)
}

/// The request body: `--data`, or `--data-file` (`-`: standard input).
fn read_body(args: &CallArgs) -> Result<Option<Vec<u8>>, Failure> {
    Ok(match (&args.data, &args.data_file) {
        (Some(d), _) => Some(d.clone().into_bytes()),
        (None, Some(f)) if f == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| io_failure("reading the body from standard input", e))?;
            Some(buf)
        }
        (None, Some(f)) => Some(std::fs::read(f).map_err(|e| io_failure(f, e))?),
        (None, None) => None,
    })
}
