//! Every log line of the process at TRACE, captured for the canary tests
//! (secrets.rs, secrets_keys.rs): they assert that no secret or key shows in
//! any of them.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The captured output of the process's tracing subscriber.
#[derive(Clone, Default)]
pub struct TraceCapture(Arc<Mutex<Vec<u8>>>);

impl Write for TraceCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl TraceCapture {
    /// Installs the process's subscriber (once per test binary): everything
    /// at TRACE, ours and our dependencies', except the in-process dev
    /// server's own lines (the server is not the code under test).
    pub fn install() -> Self {
        let capture = Self::default();
        let sink = capture.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,m2m_auth_devserver=off",
            ))
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .init();
        capture
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
