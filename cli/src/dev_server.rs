//! `m2m-auth dev-server`: the dev/fault authorization server of the
//! `m2m-auth-devserver` crate, on 127.0.0.1.

use std::io::Read;

use clap::Args;
use m2m_auth_devserver::{DevServer, ServerConfig};

use crate::failure::{config_failure, io_failure, Failure};
use crate::output::write_stdout;

/// The flags of `dev-server`.
#[derive(Args)]
pub struct DevServerArgs {
    /// Clients as JSON: {"clients": [{"client_id", "client_secret", ...}]}
    /// (devserver/PROTOCOL.md); default: demo-client / demo-secret
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

/// Runs the server until the process is stopped (or, with
/// `--exit-on-stdin-eof`, until standard input closes).
pub fn run(args: DevServerArgs) -> Result<u8, Failure> {
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
        std::thread::spawn(exit_on_stdin_eof);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure("tokio runtime", e))?;
    rt.block_on(async move {
        let summary_clients = config.clients.clone();
        let server = DevServer::start(config)
            .await
            .map_err(|e| io_failure("starting the dev server", e))?;
        // One JSON line for scripts (as m2m-auth-devserver prints), then a
        // human summary on stderr. The control token is only in the JSON
        // line: stderr is often captured into logs.
        write_stdout(format!("{}\n", server.startup_line()).as_bytes())?;
        eprint!("{}", summary(&server, &summary_clients));
        std::future::pending::<Result<u8, Failure>>().await
    })
}

/// Reads standard input until it closes, then exits the process.
fn exit_on_stdin_eof() {
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
}

/// The summary for people: the server's URLs and its clients.
fn summary(server: &DevServer, clients: &[m2m_auth_devserver::ClientConfig]) -> String {
    let mut text = format!(
        "m2m-auth dev-server listening on {url}\n  \
         token endpoint  {token}\n  \
         issuer          {url} (discovery: {url}/.well-known/openid-configuration)\n  \
         JWKS            {jwks}\n  \
         protected API   {api}\n  \
         control API     {control} (fault scripts: devserver/PROTOCOL.md;\n                  \
         send Authorization: Bearer <control_token from the JSON line on stdout>)\n",
        url = server.url(),
        token = server.token_url(),
        jwks = server.jwks_uri(),
        api = server.api_url(),
        control = server.control_url(),
    );
    for c in clients {
        let methods = m2m_auth_devserver::AUTH_METHODS
            .into_iter()
            .filter(|m| c.allows_method(m))
            .collect::<Vec<_>>()
            .join(", ");
        let audiences = c.audiences.as_ref().map_or("any".into(), |a| a.join(", "));
        text.push_str(&format!(
            "  client          {} ({methods}; audiences: {audiences}; tokens for {} s)\n",
            c.client_id,
            c.lifetime()
        ));
    }
    text.push_str("Stop it with Ctrl-C.\n");
    text
}
