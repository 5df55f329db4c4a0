//! `m2m-auth`: the m2m-auth engine on the command line.
//!
//! - `m2m-auth token`: request a client credentials token and print it.
//! - `m2m-auth call URL`: call an API with a bearer token (one renewal on 401).
//! - `m2m-auth verify TOKEN`: verify an access token as an API would and
//!   print its claims ([`verify`]).
//! - `m2m-auth dev-server`: run the dev/fault authorization server offline.
//!
//! Every client option of [`m2m_auth::surface::CLIENT_OPTIONS`] is a flag
//! of `token` and `call` ([`options`]). The client secret comes from
//! `M2M_AUTH_CLIENT_SECRET` or, with `--client-secret-stdin`, the first line
//! of standard input; never from the command line, where other users of the
//! machine can read it.

mod commands;
mod dev_server;
mod failure;
mod options;
mod output;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{CallArgs, TokenArgs};
use dev_server::DevServerArgs;
use failure::{io_failure, Failure};
use verify::VerifyArgs;

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 I/O or other failure; 2 usage; 3 config; 4 oauth (the server refused);
5 http; 6 transport; 7 invalid_response; 8 throttled; 9 cache; 10 invalid_token;
11 insufficient_scope; 22 `call`: the API answered >= 400.";

/// The command line.
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

/// The subcommands.
#[derive(Subcommand)]
enum Command {
    /// Request a token and print the token response as JSON (or only the
    /// access token with --raw).
    Token(TokenArgs),
    /// Call an API with `Authorization: Bearer <token>` and print its answer.
    /// If the API answers 401, the token is renewed once and the call repeated.
    Call(CallArgs),
    /// Verify an access token (RFC 9068) as an API would: print its claims
    /// as JSON, or the error code and reason on stderr (exit status by
    /// code: 10 invalid_token, 11 insufficient_scope).
    Verify(VerifyArgs),
    /// Run the dev/fault authorization server on 127.0.0.1 (for testing M2M
    /// apps offline). Prints one JSON line with its URLs on stdout.
    DevServer(DevServerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Token(args) => runtime().and_then(|rt| rt.block_on(commands::token(args))),
        Command::Call(args) => runtime().and_then(|rt| rt.block_on(commands::call(args))),
        Command::Verify(args) => runtime().and_then(|rt| rt.block_on(verify::verify(args))),
        Command::DevServer(args) => dev_server::run(args),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(f) => {
            // Error messages quote what servers said.
            eprintln!("m2m-auth: {}", output::escape_controls(&f.message));
            ExitCode::from(f.status)
        }
    }
}

/// A runtime for one `token`, `call` or `verify` command.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io_failure("tokio runtime", e))
}
