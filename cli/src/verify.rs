//! `m2m-auth verify`: verify an access token (RFC 9068) as an API would and
//! print its claims. The verifier's options are flags generated from
//! [`surface::VERIFIER_OPTIONS`] (one per option, named and spelled as the
//! client options are in [`crate::options`]: durations in seconds, lists
//! repeatable, PEM from `--ca-certs-file`), plus `--jwks-file FILE` (a
//! static JWKS read from a file) and `--require-scope` (repeatable). A
//! secret option (`dpop_nonce_secret`) is read from standard input
//! (`--dpop-nonce-secret-stdin`), never from the command line. With
//! `--url` (and `--method`, `--dpop-proof`) the `--authorization` header is
//! verified as a request to that URL carried it, `Bearer` or `DPoP`. Every
//! rule is the engine's; this file only reads flags and prints.

use std::io::Read;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use m2m_auth::surface::{self, Item, ValueType};
use m2m_auth::{HttpRequest, OptionValue, Verifier};

use crate::failure::{config_failure, io_failure, Failure};
use crate::options::{long_flag, parser, read_secret_line, value_name};
use crate::output::write_stdout;

/// The heading of the generated flags in `--help`.
const HEADING: &str = "Verifier options";

/// The most read from standard input: a token is at most
/// `max_token_bytes` (16 KiB by default), so more is only ever refused.
const MAX_STDIN_BYTES: u64 = 16 << 20;

/// The flags of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The access token (the compact JWS, without `Bearer `); `-` reads it
    /// from standard input
    #[arg(value_name = "TOKEN | -", required_unless_present = "authorization")]
    token: Option<String>,
    /// Instead of TOKEN: an Authorization header as a request carried it
    /// (`Bearer <token>`); no bearer token in it fails with reason missing
    #[arg(long, value_name = "HEADER", conflicts_with = "token")]
    authorization: Option<String>,
    /// A static JWKS read from FILE (instead of --jwks-uri or discovery from
    /// the issuer)
    #[arg(long, value_name = "FILE", conflicts_with = "jwks")]
    jwks_file: Option<String>,
    /// A scope the token must grant (repeatable; a value may hold several,
    /// space-separated); one missing fails with insufficient_scope
    #[arg(long, value_name = "SCOPE")]
    require_scope: Vec<String>,
    /// With --authorization: the absolute URL the request was sent to; the
    /// header is then verified as that request carried it, Bearer or DPoP
    #[arg(long, value_name = "URL", requires = "authorization")]
    url: Option<String>,
    /// With --url: the request's method
    #[arg(long, value_name = "METHOD", default_value = "GET", requires = "url")]
    method: String,
    /// With --url: the request's DPoP header (the proof)
    #[arg(long, value_name = "PROOF", requires = "url")]
    dpop_proof: Option<String>,
    #[command(flatten)]
    verifier: VerifierArgs,
}

/// The verifier options given as flags, in the order of the surface.
#[derive(Default)]
pub struct VerifierArgs {
    given: Vec<(&'static Item, Vec<String>)>,
}

/// The help line: the item's doc, how the flag takes it, its default.
fn help(item: &Item) -> String {
    let how = match item.ty {
        ValueType::List => " Repeatable; a value may hold several, space-separated.",
        ValueType::Pem => " Read from FILE (repeatable).",
        ValueType::Duration => " In seconds.",
        _ => "",
    };
    let default = match item.default {
        "" => String::new(),
        d => format!(" [default: {d}]"),
    };
    format!("{}{how}{default}", item.doc)
}

/// The flag of one option.
fn arg_of(item: &'static Item) -> Arg {
    let arg = Arg::new(item.name)
        .long(long_flag(item))
        .help(help(item))
        .help_heading(HEADING)
        .value_name(value_name(item))
        .value_parser(parser(item));
    match item.ty {
        // A secret never on the command line: the flag says "read stdin".
        ValueType::Secret => Arg::new(item.name)
            .long(long_flag(item))
            .help(format!(
                "{} Read from the first line of standard input, never from the command line.",
                item.doc
            ))
            .help_heading(HEADING)
            .action(ArgAction::SetTrue),
        ValueType::Flag => arg
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true"),
        ValueType::List | ValueType::Pem => arg.action(ArgAction::Append),
        ValueType::Duration | ValueType::Count | ValueType::Fraction => {
            arg.allow_negative_numbers(true)
        }
        _ => arg,
    }
}

impl Args for VerifierArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(surface::VERIFIER_OPTIONS.iter().map(arg_of))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for VerifierArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = VerifierArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for item in surface::VERIFIER_OPTIONS {
            let values: Vec<String> = if item.ty == ValueType::Secret {
                // Read when the verifier is built (a marker here).
                if m.get_flag(item.name) {
                    vec![String::new()]
                } else {
                    Vec::new()
                }
            } else {
                m.get_many::<String>(item.name)
                    .map(|v| v.cloned().collect())
                    .unwrap_or_default()
            };
            self.given.retain(|(i, _)| i.name != item.name);
            if !values.is_empty() {
                self.given.push((item, values));
            }
        }
        Ok(())
    }
}

impl VerifierArgs {
    /// Whether a secret option is to be read from standard input.
    fn reads_stdin(&self) -> bool {
        self.given.iter().any(|(i, _)| i.ty == ValueType::Secret)
    }

    /// The verifier these flags (and `jwks`, the text of --jwks-file)
    /// describe; the engine checks every value.
    fn build(&self, jwks: Option<String>) -> Result<Verifier, Failure> {
        let mut b = Verifier::builder().user_agent_language("cli");
        for (item, values) in &self.given {
            match item.ty {
                ValueType::List => b.set(item.name, OptionValue::List(values.clone()))?,
                ValueType::Secret => {
                    let secret = read_secret_line(&long_flag(item))?;
                    b.set(item.name, OptionValue::Secret(secret))?;
                }
                ValueType::Pem => {
                    for path in values {
                        let pem = std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?;
                        b.set_text(item.name, &pem)?;
                    }
                }
                _ => {
                    for v in values {
                        b.set_text(item.name, v)?;
                    }
                }
            }
        }
        if let Some(jwks) = jwks {
            b.set("jwks", OptionValue::Text(jwks))?;
        }
        Ok(b.build()?)
    }
}

/// The token: the argument, or standard input for `-` (surrounding
/// whitespace removed, at most [`MAX_STDIN_BYTES`] read).
fn read_token(arg: &str) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| io_failure("reading the token from standard input", e))?;
    // Bytes that are not UTF-8 are the engine's to refuse (malformed).
    Ok(String::from_utf8_lossy(&buf).trim().to_string())
}

/// Verifies the token and prints its claims as JSON.
pub async fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    let jwks = match &args.jwks_file {
        None => None,
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?),
    };
    // Standard input holds one thing: the token or a secret option.
    if args.token.as_deref() == Some("-") && args.verifier.reads_stdin() {
        return Err(config_failure(
            "standard input holds the token (-) or a secret option, not both",
        ));
    }
    let verifier = args.verifier.build(jwks)?;
    let scopes: Vec<&str> = args
        .require_scope
        .iter()
        .flat_map(|s| s.split(' '))
        .filter(|s| !s.is_empty())
        .collect();
    let claims = match (&args.authorization, &args.token) {
        (Some(header), _) if args.url.is_some() => {
            let request = HttpRequest {
                method: &args.method,
                url: args.url.as_deref().unwrap_or_default(),
                authorization: Some(header),
                dpop: args.dpop_proof.as_deref(),
            };
            verifier.verify_http_request(&request, &scopes).await?
        }
        (Some(header), _) => verifier.verify_request(Some(header), &scopes).await?,
        (None, Some(arg)) => {
            let token = read_token(arg)?;
            if scopes.is_empty() {
                verifier.verify(&token).await?
            } else {
                // The engine's scope rule, through the header a request
                // would carry.
                let header = format!("Bearer {token}");
                verifier.verify_request(Some(&header), &scopes).await?
            }
        }
        // clap requires one of them.
        (None, None) => verifier.verify("").await?,
    };
    // A map of JSON values always serializes.
    let mut out = serde_json::to_string_pretty(claims.json()).unwrap_or_else(|_| claims.to_json());
    out.push('\n');
    write_stdout(out.as_bytes())?;
    Ok(0)
}
