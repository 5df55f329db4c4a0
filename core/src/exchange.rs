//! One token request on the wire: the form, the endpoint, attempts with
//! backoff inside the overall deadline (docs/design.md §2, §3, §5).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;
use tracing::debug;
use url::Url;

use crate::client::{Failure, Fetched, Inner};
use crate::clock;
use crate::config::{Endpoint, Settings};
use crate::discovery;
use crate::dpop::DpopKey;
use crate::error::{Error, ErrorDetail, Result, TransportKind};
use crate::http::Transport;
use crate::redact::Redactor;
use crate::request::Resolved;
use crate::response::{parse_retry_after, parse_token_response_scrubbed, Accept};
use crate::retry::{classify, Verdict};
use crate::secret::SecretBytes;
use crate::telemetry::Trace;

/// One attempt's body, Basic header, and assertion scrubber.
type Attempt<'a> = (bytes::Bytes, Option<&'a HeaderValue>, Option<Redactor>);

impl Inner {
    /// This process's transport (built on first use, and anew in a forked
    /// child, whose copy of the parent's connections is unusable).
    pub(crate) fn transport(&self) -> Result<Transport> {
        self.transport
            .get_or_try_init(|| match &self.identity_files {
                Some(files) => Transport::new(&self.with_identity(files.latest())),
                None => Transport::new(&self.settings),
            })
    }

    fn with_identity(&self, id: std::sync::Arc<crate::mtls::ClientIdentity>) -> Settings {
        let mut s = self.settings.clone();
        s.client_identity = Some(id);
        s
    }

    /// On each token request (never on the cached path): a client
    /// certificate whose files changed rebuilds the transport, so that this
    /// request and later `call_api`s present the new one. A file that
    /// cannot be used now is a `config` error for this request; the
    /// transport stays as it was.
    fn refresh_identity(&self) -> Result<()> {
        if let Some(files) = &self.identity_files {
            if let Some(id) = files.changed()? {
                self.transport
                    .replace(Transport::new(&self.with_identity(id))?);
                debug!(target: "m2m_auth", client_id = %self.client_id, "client certificate files changed: new TLS identity");
            }
        }
        Ok(())
    }

    async fn token_endpoint(&self, transport: &Transport) -> Result<&Url> {
        match &self.endpoint {
            Endpoint::TokenUrl(u) => Ok(u),
            Endpoint::Issuer(issuer) => {
                // A client with a certificate does mutual TLS, and so uses
                // the metadata's mtls_endpoint_aliases (RFC 8705 §5).
                let mtls = self.settings.client_identity.is_some();
                self.discovered
                    .get_or_try_init(|| discovery::token_endpoint(transport, issuer, mtls))
                    .await
            }
        }
    }

    /// The form body of one attempt, the Basic header if any, and a
    /// scrubber for the client assertion made for it if any. The body is
    /// built in a wiped buffer and handed to the HTTP stack as `Bytes` that
    /// own it, so no copy of the secret outlives the request
    /// (docs/design.md §7). A `client_assertion_provider` is asked within
    /// `deadline`.
    async fn form(
        &self,
        request: &Resolved,
        url: &Url,
        deadline: tokio::time::Instant,
    ) -> Result<Attempt<'_>> {
        let assertion =
            tokio::time::timeout_at(deadline, self.auth.assertion(&self.client_id, url))
                .await
                .unwrap_or_else(|_| {
                    Err(Error::transport(
                        TransportKind::Timeout,
                        format!(
                        "no client assertion within {:?} (the client_assertion_provider did not \
                         answer)",
                        self.settings.timeout
                    ),
                    ))
                })?;
        let mut form = SecretBytes::with_capacity(256);
        form.append_pair("grant_type", "client_credentials");
        let authorization = self
            .auth
            .apply(&self.client_id, assertion.as_ref(), &mut form);
        request.append_form(&mut form);
        let scrubber = assertion.map(|a| Redactor::for_secret(&self.client_id, &a));
        Ok((form.into_bytes(), authorization, scrubber))
    }

    /// Requests a token: attempts with backoff inside the caller's overall
    /// `deadline` (which time spent waiting for another process's lease
    /// already counts against). Every error leaving here is scrubbed of the
    /// credentials. `dpop` signs the DPoP proofs (with `dpop` on).
    pub(crate) async fn request_token(
        &self,
        request: &Resolved,
        dpop: Option<&DpopKey>,
        deadline: tokio::time::Instant,
    ) -> Result<Fetched, Failure> {
        let scrub = |e: Error| e.map_text(|t| self.redactor.scrub(t));
        self.refresh_identity().map_err(scrub)?;
        let transport = self.transport().map_err(scrub)?;
        let transport = &transport;
        let url = within_deadline(
            deadline,
            self.settings.timeout,
            self.token_endpoint(transport),
        )
        .await
        .map_err(scrub)?
        .clone();
        let retry = &self.settings.retry;
        // The secret methods send the same body on every attempt; the
        // assertion methods a new assertion (and so a new body) each time.
        let fixed = if self.auth.method().is_assertion() {
            None
        } else {
            Some(self.form(request, &url, deadline).await.map_err(scrub)?)
        };
        debug!(
            target: "m2m_auth",
            endpoint = %url,
            client_id = %self.client_id,
            audience = request.audience.as_deref().unwrap_or(""),
            scope = request.scope_string().unwrap_or_default(),
            "requesting token"
        );
        let accept = match &self.dpop {
            None => Accept::Bearer,
            Some(d) => Accept::Dpop {
                bearer_too: d.accept_bearer,
            },
        };
        // RFC 9449 §8: one more request with the nonce the server asked for,
        // not counted as an attempt (it is no failure of the server's).
        let mut nonce_retry_done = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let proof = match (&self.dpop, dpop) {
                (Some(d), Some(key)) => Some(d.proof_with(key, "POST", &url, None).map_err(scrub)?),
                _ => None,
            };
            let (body, authorization, assertion) = match &fixed {
                // A reference to the same wiped buffer, not a copy.
                Some((body, authorization, _)) => (body.clone(), *authorization, None),
                None => self.form(request, &url, deadline).await.map_err(scrub)?,
            };
            // What the server echoes of this attempt's assertion is scrubbed
            // too (after the client's own credentials).
            let scrub = |e: Error| match &assertion {
                Some(r) => scrub(e).map_text(|t| r.scrub(t)),
                None => scrub(e),
            };
            let sent_at = clock::precise();
            let sent_wall = SystemTime::now();
            Trace::attempt(&url);
            let post = transport.post_form(&url, authorization, proof.as_deref(), body);
            let (error, retry_after) = match within_deadline(deadline, self.settings.timeout, post)
                .await
            {
                Ok(raw) => {
                    Trace::status(raw.status);
                    if let Some(d) = &self.dpop {
                        d.remember_nonce(&url, raw.dpop_nonce.as_deref());
                    }
                    let quota_throttle =
                        self.quota
                            .record(&raw.quota, SystemTime::now(), retry.max_retry_after);
                    let scrub_body = |t| {
                        let t = self.redactor.scrub_body(t, raw.complete);
                        match &assertion {
                            Some(r) => r.scrub_body(t, raw.complete),
                            None => t,
                        }
                    };
                    let rules = &self.settings.response;
                    match parse_token_response_scrubbed(
                        raw.status,
                        &raw.body,
                        raw.complete,
                        rules,
                        &scrub_body,
                        accept,
                    ) {
                        Ok(response) => {
                            return Ok(Fetched {
                                response,
                                sent_at,
                                sent_wall,
                                throttle: quota_throttle,
                            })
                        }
                        Err(e)
                            if !nonce_retry_done
                                && asks_for_nonce(&e, &raw, self.dpop.is_some()) =>
                        {
                            nonce_retry_done = true;
                            attempt -= 1;
                            debug!(target: "m2m_auth", "token endpoint asked for a DPoP nonce; sending it");
                            continue;
                        }
                        Err(e) => {
                            let ra = raw.retry_after.as_deref().and_then(|v| {
                                parse_retry_after(v, SystemTime::now(), retry.max_retry_after)
                            });
                            let error = scrub(e);
                            if let Some(q) = quota_throttle {
                                // No retry can succeed before the bucket
                                // resets (docs/design.md §5).
                                let throttle = Some(ra.map_or(q, |ra| ra.max(q)));
                                return Err(Failure { error, throttle });
                            }
                            (error, ra)
                        }
                    }
                }
                Err(e) => (scrub(e), None),
            };
            let verdict = classify(&error);
            debug!(target: "m2m_auth", attempt, code = error.code(), error = %error, ?verdict, "token request attempt failed");
            if verdict == Verdict::Fatal {
                return Err(error.into());
            }
            let backoff = retry.backoff(attempt);
            let delay = retry_after.map_or(backoff, |ra| ra.max(backoff));
            let out_of_time = tokio::time::Instant::now() + delay >= deadline;
            if attempt >= retry.max_attempts || out_of_time {
                let throttle = match verdict {
                    Verdict::RetryThenThrottle => {
                        Some(retry_after.unwrap_or(retry.default_throttle))
                    }
                    _ => retry_after,
                };
                return Err(Failure { error, throttle });
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// Whether a token endpoint's error is `use_dpop_nonce` with a
/// `DPoP-Nonce` to use (RFC 9449 §8).
fn asks_for_nonce(e: &Error, raw: &crate::http::RawResponse, dpop: bool) -> bool {
    dpop && raw.dpop_nonce.is_some()
        && matches!(e.detail(), ErrorDetail::OAuth { error, .. } if error == "use_dpop_nonce")
}

/// `fut`, or a timeout error once `deadline` passes.
async fn within_deadline<T>(
    deadline: tokio::time::Instant,
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout_at(deadline, fut)
        .await
        .unwrap_or_else(|_| {
            Err(Error::transport(
                TransportKind::Timeout,
                format!("no complete response within {timeout:?}"),
            ))
        })
}
