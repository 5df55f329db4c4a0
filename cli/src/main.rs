//! `m2m-auth`: the m2m-auth engine on the command line.
//!
//! - `m2m-auth token`: request a client credentials token and print it.
//! - `m2m-auth call URL`: call an API with a bearer token (one renewal on 401).
//! - `m2m-auth dev-server`: run the dev/fault authorization server offline.
//!
//! The client secret comes from `M2M_AUTH_CLIENT_SECRET` or, with
//! `--client-secret-stdin`, the first line of standard input; never from the
//! command line, where other users of the machine can read it.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use m2m_auth::{Error, ErrorDetail, ErrorKind, Secret, Token, TokenClient, TokenRequest};
use m2m_auth_devserver::{DevServer, ServerConfig};
use serde_json::{json, Value};

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 I/O or other failure; 2 usage; 3 config; 4 oauth (the server refused);
5 http; 6 transport; 7 invalid_response; 8 throttled; 9 cache; 22 `call`: the API answered >= 400.";

#[derive(Parser)]
#[command(
    name = "m2m-auth",
    version,
    about = "OAuth 2.0 client credentials tokens on the command line (m2m-auth)",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Request a token and print the token response as JSON (or only the
    /// access token with --raw).
    Token(TokenArgs),
    /// Call an API with `Authorization: Bearer <token>` and print its answer.
    /// If the API answers 401, the token is renewed once and the call repeated.
    Call(CallArgs),
    /// Run the dev/fault authorization server on 127.0.0.1 (for testing M2M
    /// apps offline). Prints one JSON line with its URLs on stdout.
    DevServer(DevServerArgs),
}

/// The client options; each flag overrides its `M2M_AUTH_*` variable.
#[derive(Args)]
struct ClientArgs {
    /// Token endpoint URL [env: M2M_AUTH_TOKEN_URL]
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// Auth0-style domain: https://DOMAIN/oauth/token [env: M2M_AUTH_DOMAIN]
    #[arg(long)]
    domain: Option<String>,
    /// Issuer; the token endpoint is discovered [env: M2M_AUTH_ISSUER]
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Client id [env: M2M_AUTH_CLIENT_ID]
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// client_secret_post (default) or client_secret_basic [env: M2M_AUTH_AUTH_METHOD]
    #[arg(long, value_name = "METHOD")]
    auth_method: Option<String>,
    /// The API the token is for [env: M2M_AUTH_AUDIENCE]
    #[arg(long)]
    audience: Option<String>,
    /// Scopes, space-separated or repeated [env: M2M_AUTH_SCOPE]
    #[arg(long)]
    scope: Vec<String>,
    /// Organization [env: M2M_AUTH_ORGANIZATION]
    #[arg(long)]
    organization: Option<String>,
    /// RFC 8707 resource indicator (repeatable)
    #[arg(long, value_name = "URI")]
    resource: Vec<String>,
    /// Extra form parameter (repeatable)
    #[arg(long, value_name = "NAME=VALUE")]
    extra: Vec<String>,
    /// Read the client secret from the first line of standard input
    /// (otherwise from M2M_AUTH_CLIENT_SECRET; never from the command line)
    #[arg(long)]
    client_secret_stdin: bool,
    /// Token cache: memory (this process only), file:/some/dir (shared by
    /// processes on this host: repeated commands reuse a token) or
    /// redis://host:port/db [env: M2M_AUTH_CACHE]
    #[arg(long, value_name = "SPEC")]
    cache: Option<String>,
    /// Overall deadline of the token request, in seconds [30]
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Ignore HTTP(S)_PROXY for the token request
    #[arg(long)]
    no_proxy: bool,
    /// Refused: a secret on the command line is visible to every user of the
    /// machine (ps, /proc, shell history).
    #[arg(long, hide = true, value_name = "SECRET")]
    client_secret: Option<String>,
}

#[derive(Args)]
struct TokenArgs {
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

#[derive(Args)]
struct CallArgs {
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

#[derive(Args)]
struct DevServerArgs {
    /// Clients as JSON: {"clients": [{"client_id", "client_secret", ...}]}
    /// (tests/server/PROTOCOL.md); default: demo-client / demo-secret
    #[arg(long, value_name = "FILE")]
    clients: Option<String>,
    /// Port on 127.0.0.1 [chosen by the OS]
    #[arg(long)]
    port: Option<u16>,
    /// Reuse each signed token until half its lifetime has passed
    #[arg(long)]
    cheap_tokens: bool,
    /// Exit when standard input closes
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

/// A failure: its message for stderr and the exit status.
struct Failure {
    message: String,
    status: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let mut message = e.to_string();
        if let ErrorDetail::OAuth {
            error_uri: Some(uri),
            ..
        } = e.detail()
        {
            message.push_str(&format!(" (see {uri})"));
        }
        Failure {
            message,
            status: exit_status(e.kind()),
        }
    }
}

fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure {
        message: format!("{what}: {e}"),
        status: 1,
    }
}

fn config_failure(message: impl Into<String>) -> Failure {
    Failure {
        message: format!("config: {}", message.into()),
        status: 3,
    }
}

/// One exit status per error code (listed in `--help`).
fn exit_status(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Config => 3,
        ErrorKind::OAuth => 4,
        ErrorKind::Http => 5,
        ErrorKind::Transport => 6,
        ErrorKind::InvalidResponse => 7,
        ErrorKind::Throttled => 8,
        ErrorKind::Cache => 9,
        ErrorKind::InvalidToken => 10,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Token(args) => runtime().and_then(|rt| rt.block_on(token(args))),
        Command::Call(args) => runtime().and_then(|rt| rt.block_on(call(args))),
        Command::DevServer(args) => dev_server(args),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(f) => {
            eprintln!("m2m-auth: {}", f.message);
            ExitCode::from(f.status)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure("tokio runtime", e))
}

const ENDPOINT_VARS: [&str; 3] = ["M2M_AUTH_TOKEN_URL", "M2M_AUTH_DOMAIN", "M2M_AUTH_ISSUER"];

impl ClientArgs {
    /// The client: the `M2M_AUTH_*` variables, overridden by the flags.
    /// `stdin_taken` is true when standard input carries something else.
    fn build(&self, stdin_taken: bool) -> Result<TokenClient, Failure> {
        if self.client_secret.is_some() {
            return Err(config_failure(
                "--client-secret is not accepted: a secret on the command line is visible to \
                 other users; set M2M_AUTH_CLIENT_SECRET or pipe it to --client-secret-stdin",
            ));
        }
        let flag_endpoint =
            self.token_url.is_some() || self.domain.is_some() || self.issuer.is_some();
        let mut b = TokenClient::builder().from_vars(|name| {
            if flag_endpoint && ENDPOINT_VARS.contains(&name) {
                return None;
            }
            std::env::var(name).ok()
        });
        if let Some(v) = &self.token_url {
            b = b.token_url(v);
        }
        if let Some(v) = &self.domain {
            b = b.domain(v);
        }
        if let Some(v) = &self.issuer {
            b = b.issuer(v);
        }
        if let Some(v) = &self.client_id {
            b = b.client_id(v);
        }
        if self.client_secret_stdin {
            if stdin_taken {
                return Err(config_failure(
                    "--client-secret-stdin and a body from standard input cannot be combined",
                ));
            }
            b = b.client_secret(read_secret_line()?);
        } else if std::env::var("M2M_AUTH_CLIENT_SECRET").map_or(true, |s| s.is_empty()) {
            return Err(config_failure(
                "no client secret: set M2M_AUTH_CLIENT_SECRET or pipe it to --client-secret-stdin",
            ));
        }
        if let Some(v) = &self.auth_method {
            b = b.auth_method_name(v);
        }
        if let Some(v) = &self.audience {
            b = b.audience(v);
        }
        if !self.scope.is_empty() {
            b = b.scope(self.scope.clone());
        }
        if let Some(v) = &self.organization {
            b = b.organization(v);
        }
        if !self.resource.is_empty() {
            b = b.resource(self.resource.clone());
        }
        for kv in &self.extra {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| config_failure(format!("--extra {kv:?}: expected NAME=VALUE")))?;
            b = b.extra(k, v);
        }
        if let Some(v) = &self.cache {
            b = b.cache(v);
        }
        if let Some(secs) = self.timeout {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(config_failure(
                    "--timeout must be a positive number of seconds",
                ));
            }
            b = b.timeout(Duration::from_secs_f64(secs));
        }
        if self.no_proxy {
            b = b.no_proxy();
        }
        Ok(b.build()?)
    }
}

/// The first line of standard input, without its line ending.
fn read_secret_line() -> Result<Secret, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| io_failure("reading the client secret from standard input", e))?;
    let secret = Secret::new(line);
    let trimmed = secret.expose().trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(config_failure(
            "--client-secret-stdin: standard input held no secret",
        ));
    }
    Ok(Secret::new(trimmed))
}

async fn token(args: TokenArgs) -> Result<u8, Failure> {
    let client = args.client.build(false)?;
    let token = client.get_token(&TokenRequest::default()).await?;
    let out = if args.raw {
        format!("{}\n", token.access_token())
    } else if args.metadata {
        pretty(&metadata(&token))
    } else {
        pretty(&token_response(&token))
    };
    write_stdout(out.as_bytes())?;
    Ok(0)
}

/// The token response as the server sent it (fields in RFC 6749 order, then
/// the others), with `expires_in` counted from now.
fn token_response(t: &Token) -> Vec<(String, Value)> {
    let mut fields = vec![
        ("access_token".to_string(), json!(t.access_token())),
        ("token_type".to_string(), json!(t.token_type())),
        ("expires_in".to_string(), json!(t.expires_in().as_secs())),
    ];
    if let Some(s) = t.scope() {
        fields.push(("scope".into(), json!(s)));
    }
    for (k, v) in t.extra() {
        if !fields.iter().any(|(f, _)| f == k) {
            fields.push((k.clone(), v.clone()));
        }
    }
    fields
}

/// What is safe to show: never the token, nor the values of fields the
/// engine does not know (a server may send other credentials there).
fn metadata(t: &Token) -> Vec<(String, Value)> {
    let unix = |at: SystemTime| at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    vec![
        ("token_type".into(), json!(t.token_type())),
        ("expires_in".into(), json!(t.expires_in().as_secs())),
        ("expires_at".into(), json!(unix(t.expires_at()))),
        ("scope".into(), json!(t.scope())),
        ("fingerprint".into(), json!(t.fingerprint())),
        (
            "other_fields".into(),
            json!(t.extra().keys().collect::<Vec<_>>()),
        ),
    ]
}

/// A JSON object with its fields in this order, one per line.
fn pretty(fields: &[(String, Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {}: {}", Value::String(k.clone()), v))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| io_failure("writing to standard output", e))
}

async fn call(args: CallArgs) -> Result<u8, Failure> {
    let from_stdin = args.data_file.as_deref() == Some("-");
    let client = args.client.build(from_stdin)?;
    let body = match (&args.data, &args.data_file) {
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
    };
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
            out.extend_from_slice(format!("{k}: {v}\n").as_bytes());
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

fn status_line(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    format!("{status} {reason}").trim_end().to_string()
}

fn dev_server(args: DevServerArgs) -> Result<u8, Failure> {
    let mut config = match &args.clients {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?;
            ServerConfig::from_json(&text).map_err(|e| config_failure(format!("{path}: {e}")))?
        }
        None => ServerConfig::default(),
    };
    if let Some(p) = args.port {
        config.port = p;
    }
    if args.cheap_tokens {
        config.cheap_tokens = true;
    }
    if args.exit_on_stdin_eof {
        std::thread::spawn(|| {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => std::process::exit(0),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => std::process::exit(0),
                }
            }
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure("tokio runtime", e))?;
    rt.block_on(async move {
        let clients = config.clients.clone();
        let server = DevServer::start(config)
            .await
            .map_err(|e| io_failure("starting the dev server", e))?;
        // One JSON line for scripts (as m2m-auth-devserver prints), then a
        // human summary on stderr.
        write_stdout(format!("{}\n", server.startup_line()).as_bytes())?;
        let mut text = format!(
            "m2m-auth dev-server listening on {url}\n  \
             token endpoint  {token}\n  \
             issuer          {url} (discovery: {url}/.well-known/openid-configuration)\n  \
             JWKS            {jwks}\n  \
             protected API   {api}\n  \
             control API     {control} (fault scripts: tests/server/PROTOCOL.md)\n",
            url = server.url(),
            token = server.token_url(),
            jwks = server.jwks_uri(),
            api = server.api_url(),
            control = server.control_url(),
        );
        for c in &clients {
            let methods = c
                .auth_methods
                .as_ref()
                .map_or("client_secret_post, client_secret_basic".into(), |m| {
                    m.join(", ")
                });
            let audiences = c.audiences.as_ref().map_or("any".into(), |a| a.join(", "));
            text.push_str(&format!(
                "  client          {} ({methods}; audiences: {audiences}; tokens for {} s)\n",
                c.client_id,
                c.lifetime()
            ));
        }
        text.push_str("Stop it with Ctrl-C.\n");
        eprint!("{text}");
        std::future::pending::<Result<u8, Failure>>().await
    })
}
