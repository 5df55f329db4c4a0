//! The client options as flags of `token` and `call`, generated from
//! [`surface::CLIENT_OPTIONS`] (one flag per option, `--` + its name with
//! `_` replaced by `-`), and the client they build: the `M2M_AUTH_*`
//! variables first ([`TokenClientBuilder::from_vars`]), then the flags over
//! them ([`TokenClientBuilder::set_text`] / [`TokenClientBuilder::set`]).
//!
//! How a value is spelled follows its [`ValueType`]: durations in seconds
//! (a float), a flag as a switch (`--no-proxy`, or `--no-proxy=false`), a
//! list as a repeated flag (each value may hold several, space-separated), a
//! map as repeated `--extra NAME=VALUE`, PEM text from a file
//! (`--ca-certs-file FILE`; `--client-certificate FILE`, as
//! `--client-certificate-file` is the option of that name), and a secret
//! never on the command line: `--client-secret-stdin` reads it from
//! standard input, `--client-secret` is refused (likewise
//! `--private-key-stdin` and `--client-key-stdin`, which read all of
//! standard input, and `--client-assertion-stdin`; key, assertion and
//! certificate files are `--private-key-file` / `--client-assertion-file` /
//! `--client-key-file` / `--client-certificate-file`).

use std::collections::BTreeMap;
use std::io::BufRead;

use clap::builder::ValueParser;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use m2m_auth::surface::{self, Item, ValueType};
use m2m_auth::{OptionValue, Secret, TokenClient, TokenClientBuilder};

use crate::failure::{config_failure, io_failure, Failure};

/// The options that name the endpoint: one given as a flag hides the
/// others' variables, so `--token-url` wins over `M2M_AUTH_DOMAIN`.
const ENDPOINT: [&str; 3] = ["token_url", "domain", "issuer"];

/// The secrets read whole from standard input (PEM spans several lines);
/// every other secret is its first line.
const MULTI_LINE: [&str; 3] = ["private_key", "client_key", "dpop_key"];

/// The heading of the generated flags in `--help`.
const HEADING: &str = "Client options (each overrides its M2M_AUTH_* variable)";

/// The long flag of an option: its name with `_` replaced by `-`.
pub fn flag_name(name: &str) -> String {
    name.replace('_', "-")
}

/// The long flag that takes `item` on the command line: `--<name>`, except
/// PEM text (`--<name>-file`, a path; `--<name>` when an option
/// `<name>_file` has that flag) and secrets (`--<name>-stdin`).
pub fn long_flag(item: &Item) -> String {
    match item.ty {
        ValueType::Pem if surface::client_option(&format!("{}_file", item.name)).is_some() => {
            flag_name(item.name)
        }
        ValueType::Pem => format!("{}-file", flag_name(item.name)),
        ValueType::Secret => format!("{}-stdin", flag_name(item.name)),
        _ => flag_name(item.name),
    }
}

/// An option given on the command line, as the user wrote it.
enum Given {
    /// One value (text, a number, a flag's `true`/`false`).
    One(String),
    /// A list: every occurrence of the flag.
    Many(Vec<String>),
    /// A map: every `NAME=VALUE`.
    Pairs(BTreeMap<String, String>),
    /// PEM files to read.
    Files(Vec<String>),
    /// A secret to read from standard input.
    Stdin,
}

/// The client options of one command line.
#[derive(Default)]
pub struct ClientArgs {
    /// The options given as flags, in the order of the surface.
    given: Vec<(&'static Item, Given)>,
    /// A secret option given on the command line (refused).
    refused: Option<&'static Item>,
}

/// The id of the hidden flag that refuses a secret on the command line.
fn refused_id(item: &Item) -> String {
    format!("{}_refused", item.name)
}

/// The value name shown in `--help`, from the type (for text, the last word
/// of the name: `--token-url <URL>`, `--client-id <ID>`).
pub fn value_name(item: &Item) -> String {
    match item.ty {
        ValueType::Duration => "SECONDS".into(),
        ValueType::Count => "N".into(),
        ValueType::Fraction => "FRACTION".into(),
        ValueType::Flag => "BOOL".into(),
        ValueType::Map => "NAME=VALUE".into(),
        ValueType::Pem => "FILE".into(),
        _ => item
            .name
            .rsplit('_')
            .next()
            .unwrap_or(item.name)
            .to_ascii_uppercase(),
    }
}

/// The help line: the item's doc, how the flag takes it, its default and
/// its variable.
fn help(item: &Item) -> String {
    let env = surface::env_name(item.name);
    let how = match item.ty {
        ValueType::List => " Repeatable; a value may hold several, space-separated.",
        ValueType::Map => " Repeatable.",
        ValueType::Pem => " Read from FILE (repeatable); the variable holds the PEM text.",
        ValueType::Secret if MULTI_LINE.contains(&item.name) => {
            " Read from standard input (all of it), never from the command line."
        }
        ValueType::Secret => {
            " Read from the first line of standard input, never from the command line."
        }
        _ => "",
    };
    let default = match item.default {
        "" => String::new(),
        d => format!(" [default: {d}]"),
    };
    format!("{}{how}{default} [env: {env}]", item.doc)
}

/// Checks a value by the item's type when the command line is parsed, so a
/// bad number is a usage error (status 2) naming its flag.
pub fn parser(item: &'static Item) -> ValueParser {
    match item.ty {
        ValueType::Duration | ValueType::Count | ValueType::Fraction | ValueType::Flag => {
            ValueParser::new(move |s: &str| -> Result<String, String> {
                OptionValue::parse(item.ty, item.name, s)
                    .map(|_| s.to_string())
                    .map_err(|e| config_message(&e.to_string()))
            })
        }
        ValueType::Map => ValueParser::new(|s: &str| -> Result<String, String> {
            match s.split_once('=') {
                Some((k, _)) if !k.trim().is_empty() => Ok(s.to_string()),
                _ => Err("expected NAME=VALUE".into()),
            }
        }),
        _ => ValueParser::string(),
    }
}

/// An engine error's message without its `config: ` code.
fn config_message(message: &str) -> String {
    message.strip_prefix("config: ").unwrap_or(message).into()
}

/// The flags of one option.
fn args_of(item: &'static Item) -> Vec<Arg> {
    let arg = Arg::new(item.name)
        .long(long_flag(item))
        .help(help(item))
        .help_heading(HEADING);
    match item.ty {
        ValueType::Secret => vec![
            arg.action(ArgAction::SetTrue),
            Arg::new(refused_id(item))
                .long(flag_name(item.name))
                .value_name("SECRET")
                .hide(true),
        ],
        ValueType::Flag => vec![arg
            .value_name(value_name(item))
            .value_parser(parser(item))
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")],
        ValueType::List | ValueType::Map | ValueType::Pem => vec![arg
            .value_name(value_name(item))
            .value_parser(parser(item))
            .action(ArgAction::Append)],
        ValueType::Duration | ValueType::Count | ValueType::Fraction => vec![arg
            .value_name(value_name(item))
            .value_parser(parser(item))
            .allow_negative_numbers(true)],
        _ => vec![arg.value_name(value_name(item)).value_parser(parser(item))],
    }
}

impl Args for ClientArgs {
    fn augment_args(cmd: Command) -> Command {
        // Code (a callback) cannot be a flag.
        cmd.args(
            surface::CLIENT_OPTIONS
                .iter()
                .filter(|i| surface::is_text(i))
                .flat_map(args_of),
        )
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ClientArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = ClientArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        let strings = |id: &str| -> Vec<String> {
            m.get_many::<String>(id)
                .map(|v| v.cloned().collect())
                .unwrap_or_default()
        };
        for item in surface::CLIENT_OPTIONS
            .iter()
            .filter(|i| surface::is_text(i))
        {
            let given = match item.ty {
                ValueType::Secret => {
                    if m.get_one::<String>(&refused_id(item)).is_some() {
                        self.refused = Some(item);
                    }
                    m.get_flag(item.name).then_some(Given::Stdin)
                }
                ValueType::List => Some(Given::Many(strings(item.name))),
                ValueType::Map => Some(Given::Pairs(
                    strings(item.name)
                        .iter()
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                        .collect(),
                )),
                ValueType::Pem => Some(Given::Files(strings(item.name))),
                _ => m.get_one::<String>(item.name).cloned().map(Given::One),
            };
            let empty = match &given {
                Some(Given::Many(v) | Given::Files(v)) => v.is_empty(),
                Some(Given::Pairs(v)) => v.is_empty(),
                _ => given.is_none(),
            };
            self.given.retain(|(i, _)| i.name != item.name);
            if let (false, Some(g)) = (empty, given) {
                self.given.push((item, g));
            }
        }
        Ok(())
    }
}

impl ClientArgs {
    /// Whether the option `name` was given as a flag.
    fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(i, _)| i.name == name)
    }

    /// Whether the option `name` was given as a flag or a variable.
    fn given_or_env(&self, name: &str) -> bool {
        self.has(name) || surface::client_option(name).is_some_and(|i| !env_is_empty(i))
    }

    /// The client: the `M2M_AUTH_*` variables, overridden by the flags.
    /// `stdin_taken` is true when standard input carries something else.
    pub fn build(&self, stdin_taken: bool) -> Result<TokenClient, Failure> {
        if let Some(item) = self.refused {
            return Err(config_failure(format!(
                "--{} is not accepted: a secret on the command line is visible to other \
                 users; set {} or pipe it to --{}",
                flag_name(item.name),
                surface::env_name(item.name),
                long_flag(item)
            )));
        }
        let endpoint_flag = ENDPOINT.iter().any(|n| self.has(n));
        let hidden: Vec<String> = surface::CLIENT_OPTIONS
            .iter()
            .filter(|i| self.has(i.name) || (endpoint_flag && ENDPOINT.contains(&i.name)))
            .map(|i| surface::env_name(i.name))
            .collect();
        let mut b = TokenClient::builder().from_vars(|var| {
            if hidden.iter().any(|h| h == var) {
                return None;
            }
            std::env::var(var).ok()
        });
        // Only the client secret is ever required, and only when no key or
        // assertion stands in for it (flag or variable).
        let keyed = surface::SECRET_STAND_INS
            .iter()
            .any(|n| self.given_or_env(n));
        for item in surface::CLIENT_OPTIONS {
            if item.name == "client_secret" && !keyed && !self.has(item.name) && env_is_empty(item)
            {
                let (words, flag) = (item.name.replace('_', " "), long_flag(item));
                let env = surface::env_name(item.name);
                return Err(config_failure(format!(
                    "no {words}: set {env} or pipe it to --{flag}"
                )));
            }
        }
        for (item, given) in &self.given {
            apply(&mut b, item, given, stdin_taken)?;
        }
        Ok(b.build()?)
    }
}

/// Whether the variable of `item` is unset or empty.
fn env_is_empty(item: &Item) -> bool {
    std::env::var(surface::env_name(item.name)).map_or(true, |s| s.is_empty())
}

/// Sets one option given as a flag.
fn apply(
    b: &mut TokenClientBuilder,
    item: &Item,
    given: &Given,
    stdin_taken: bool,
) -> Result<(), Failure> {
    let name = item.name;
    match given {
        Given::One(text) => b.set_text(name, text)?,
        Given::Many(values) => b.set(name, OptionValue::List(values.clone()))?,
        Given::Pairs(map) => b.set(name, OptionValue::Map(map.clone()))?,
        Given::Files(paths) => {
            for path in paths {
                let pem = std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?;
                b.set_text(name, &pem)?;
            }
        }
        Given::Stdin => {
            let flag = long_flag(item);
            if stdin_taken {
                return Err(config_failure(format!(
                    "--{flag} and a body from standard input cannot be combined"
                )));
            }
            let secret = if MULTI_LINE.contains(&name) {
                read_secret_all(&flag)?
            } else {
                read_secret_line(&flag)?
            };
            b.set(name, OptionValue::Secret(secret))?;
        }
    }
    Ok(())
}

/// The next line of standard input, without its line ending.
pub(crate) fn read_secret_line(flag: &str) -> Result<Secret, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| io_failure(&format!("--{flag}: reading standard input"), e))?;
    let secret = Secret::new(line);
    let trimmed = secret.expose().trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(config_failure(format!(
            "--{flag}: standard input held no secret"
        )));
    }
    Ok(Secret::new(trimmed))
}

/// All of standard input (a multi-line PEM key), read into one fixed
/// zeroizing buffer (a growing `Vec` would leave unwiped copies behind).
fn read_secret_all(flag: &str) -> Result<Secret, Failure> {
    use std::io::Read;
    const MAX: usize = 64 * 1024;
    let mut buf = zeroize::Zeroizing::new(vec![0u8; MAX]);
    let mut len = 0;
    let mut stdin = std::io::stdin().lock();
    loop {
        let n = stdin
            .read(&mut buf[len..])
            .map_err(|e| io_failure(&format!("--{flag}: reading standard input"), e))?;
        if n == 0 {
            break;
        }
        len += n;
        if len == MAX {
            return Err(config_failure(format!(
                "--{flag}: standard input holds more than {MAX} bytes"
            )));
        }
    }
    let text = std::str::from_utf8(&buf[..len])
        .map_err(|_| config_failure(format!("--{flag}: standard input is not UTF-8 text")))?;
    if text.trim().is_empty() {
        return Err(config_failure(format!(
            "--{flag}: standard input held no secret"
        )));
    }
    Ok(Secret::new(text))
}
