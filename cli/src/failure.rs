//! Failures: the message for stderr and the exit status (one per error
//! code, listed in `--help`).

use m2m_auth::{Error, ErrorDetail, ErrorKind};

/// A failure: its message for stderr and the exit status.
pub struct Failure {
    /// What went wrong, free of secrets.
    pub message: String,
    /// The process's exit status.
    pub status: u8,
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

/// An I/O failure while doing `what` (status 1).
pub fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure {
        message: format!("{what}: {e}"),
        status: 1,
    }
}

/// A configuration failure (status 3, as the engine's `config` errors).
pub fn config_failure(message: impl Into<String>) -> Failure {
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
        ErrorKind::InsufficientScope => 11,
        _ => 1,
    }
}
