//! `TokenClient`: the engine's client for Python.
//!
//! Options and request parameters come through one generic extractor each
//! (`options.rs`); `get_token` is installed by `hot.rs` (the hot path). Every
//! call that may wait does so on the engine's future with the GIL released
//! (sync) or on the asyncio loop (async). The engine handles `fork()`: a
//! forked child uses the same client (and its stats) with its own runtime
//! and connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use m2m_auth::TokenRequest;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::aio::{self, Completion};
use crate::hot::Memo;
use crate::runtime::block_on;
use crate::types::{ApiResponse, QuotaBucket, Stats, Token};
use crate::{convert, errors, logs, options};

/// An OAuth 2.0 client credentials client with a process-wide token cache.
///
/// Takes every client option as a keyword (`TokenClient.from_env()` reads
/// them from the `M2M_AUTH_*` variables). Clients with the same endpoint,
/// credentials and parameters share cached tokens and in-flight requests
/// process-wide. Thread-safe; usable from any number of threads and event
/// loops at once, and in a forked child.
#[pyclass(
    frozen,
    subclass,
    weakref,
    module = "m2m_auth._native",
    name = "TokenClient"
)]
pub(crate) struct TokenClient {
    pub(crate) client: m2m_auth::TokenClient,
    pub(crate) memo: Arc<Memo>,
    pub(crate) closed: AtomicBool,
}

type ApiArgs = (TokenRequest, Vec<(String, String)>, Option<Vec<u8>>);

impl TokenClient {
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(errors::config(py, "this TokenClient is closed"));
        }
        Ok(())
    }

    fn wrap(&self, py: Python<'_>, token: m2m_auth::Token, default: bool) -> PyResult<Py<Token>> {
        if default {
            self.memo.wrap(py, token)
        } else {
            Py::new(py, Token::new(token))
        }
    }

    /// `get_token` (past the hot path) and `fetch_token`.
    pub(crate) fn token(
        &self,
        py: Python<'_>,
        request: TokenRequest,
        fetch: bool,
    ) -> PyResult<Py<Token>> {
        self.check_open(py)?;
        let default = request.is_default();
        if !fetch {
            if let Some(t) = self.client.cached_token(&request) {
                return self.wrap(py, t, default);
            }
        }
        let client = self.client.clone();
        let result = block_on(py, async move {
            if fetch {
                client.fetch_token(&request).await
            } else {
                client.get_token(&request).await
            }
        })?;
        match result {
            Ok(t) => self.wrap(py, t, default),
            Err(e) => Err(errors::to_py(py, &e)),
        }
    }

    fn token_async(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyDict>>,
        fetch: bool,
    ) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let method = if fetch { "fetch_token" } else { "get_token" };
        let request = options::request(py, method, params)?;
        let default = request.is_default();
        if !fetch {
            if let Some(t) = self.client.cached_token(&request) {
                return Ok(self.wrap(py, t, default)?.into_any());
            }
        }
        let client = self.client.clone();
        let memo = default.then(|| self.memo.clone());
        aio::spawn(py, async move {
            let result = if fetch {
                client.fetch_token(&request).await
            } else {
                client.get_token(&request).await
            };
            Box::new(move |py: Python<'_>| match result {
                Ok(t) => Ok(match memo {
                    Some(memo) => memo.wrap(py, t)?.into_any(),
                    None => Py::new(py, Token::new(t))?.into_any(),
                }),
                Err(e) => Err(errors::to_py(py, &e)),
            }) as Completion
        })
    }

    /// `call_api`'s request, headers and body.
    fn api_args(
        &self,
        py: Python<'_>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ApiArgs> {
        self.check_open(py)?;
        let request = options::request(py, "call_api", params)?;
        let headers = match headers {
            Some(h) if !h.is_none() => convert::headers(py, h)?,
            _ => Vec::new(),
        };
        let body = match body {
            Some(b) if !b.is_none() => Some(convert::bytes(py, b, "body")?),
            _ => None,
        };
        Ok((request, headers, body))
    }
}

impl TokenClient {
    fn from_builder(py: Python<'_>, builder: m2m_auth::TokenClientBuilder) -> PyResult<Self> {
        let client = builder.build().map_err(|e| errors::to_py(py, &e))?;
        Ok(TokenClient {
            client,
            memo: Arc::default(),
            closed: AtomicBool::new(false),
        })
    }
}

/// The keyword by which `from_env` hands its mapping to the constructor.
const ENVIRON: &str = "_environ";

#[pymethods]
impl TokenClient {
    /// Every option the engine declares, as a keyword (an unknown one is a
    /// `TypeError`, a value of the wrong shape a `ConfigError`).
    #[new]
    #[pyo3(signature = (**options))]
    fn py_new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        // `from_env` passes its mapping as `_environ` (so that subclasses
        // are built through their own constructor): read the engine's way.
        let base = match options.map(|o| o.get_item(ENVIRON)).transpose()?.flatten() {
            Some(environ) => {
                options.map(|o| o.del_item(ENVIRON)).transpose()?;
                options::from_environ(&environ)
            }
            None => m2m_auth::TokenClient::builder(),
        };
        let builder = options::client_builder(py, base, options)?;
        TokenClient::from_builder(py, builder)
    }

    /// A client configured from the `M2M_AUTH_<OPTION>` variables of
    /// `environ` (default `os.environ`): every option has one. Keyword
    /// `overrides` are the constructor's and win over the environment.
    #[classmethod]
    #[pyo3(signature = (environ=None, **overrides))]
    fn from_env<'py>(
        cls: &Bound<'py, PyType>,
        environ: Option<&Bound<'py, PyAny>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let environ = match environ {
            Some(e) if !e.is_none() => e.clone(),
            _ => py.import("os")?.getattr("environ")?,
        };
        let kwargs = PyDict::new(py);
        if let Some(overrides) = overrides {
            kwargs.update(overrides.as_mapping())?;
        }
        kwargs.set_item(ENVIRON, environ)?;
        cls.call((), Some(&kwargs))
    }

    /// A new token from the token endpoint, bypassing (and then updating) the
    /// cache. Joins a request for the same key already in flight. Releases
    /// the GIL while it waits. Keywords: the request parameters, as for
    /// `get_token()`.
    #[pyo3(signature = (**params))]
    fn fetch_token(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<Token>> {
        let request = options::request(py, "fetch_token", params)?;
        self.token(py, request, true)
    }

    /// Drops the cached token for this request (keywords as for
    /// `get_token()`). The next call fetches a new one.
    #[pyo3(signature = (**params))]
    fn invalidate(&self, py: Python<'_>, params: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        self.check_open(py)?;
        let request = options::request(py, "invalidate", params)?;
        logs::refresh_level(py);
        let result = self.client.invalidate(&request);
        logs::flush();
        result.map_err(|e| errors::to_py(py, &e))
    }

    /// Drops the cached token for this request only if it is still `token`
    /// (a `Token`, or its access token), e.g. the token an API just answered
    /// 401 to: a concurrent caller may already have renewed it, and that
    /// renewal is kept. What the HTTP client adapters call on a 401.
    #[pyo3(signature = (token, **params))]
    fn invalidate_rejected(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let request = options::request(py, "invalidate_rejected", params)?;
        logs::refresh_level(py);
        let token = convert::access_token(token, "token")?;
        let result = self.client.invalidate_rejected(&request, &token);
        logs::flush();
        result.map_err(|e| errors::to_py(py, &e))
    }

    /// Calls an API with `Authorization: Bearer <token>` (a DPoP token: `DPoP
    /// <token>` and a proof; a `use_dpop_nonce` 401 gets one more call with
    /// a new proof). If the API answers 401, the token is invalidated, a new one fetched, and the call made
    /// once more; whatever the API answers then is returned. `headers`: a
    /// mapping of extra request headers; `body`: `bytes` or `str`; further
    /// keywords: the request parameters. Redirects are not followed.
    /// Releases the GIL while it waits.
    #[pyo3(signature = (method, url, *, headers=None, body=None, **params))]
    fn call_api(
        &self,
        py: Python<'_>,
        method: String,
        url: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ApiResponse> {
        let (request, headers, body) = self.api_args(py, headers, body, params)?;
        let client = self.client.clone();
        let result = block_on(py, async move {
            client
                .call_api(&request, &method, &url, &headers, body)
                .await
        })?;
        result
            .map(|response| ApiResponse { response })
            .map_err(|e| errors::to_py(py, &e))
    }

    /// A DPoP proof (RFC 9449) for one HTTP request `method url`, signed with
    /// this client's DPoP key, for sending a DPoP token with any HTTP client:
    /// `Authorization: DPoP <token>` plus `DPoP: <proof>`. With
    /// `access_token` (a `Token` or its access token), the proof carries its
    /// hash (`ath`); the nonce `url`'s server sent last is in it. Then hand
    /// the answer to `dpop_response()`. `ConfigError` with `dpop` off.
    #[pyo3(signature = (method, url, access_token=None))]
    fn dpop_proof(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        access_token: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        self.check_open(py)?;
        let token = match access_token {
            Some(t) if !t.is_none() => Some(convert::access_token(t, "access_token")?),
            _ => None,
        };
        logs::refresh_level(py);
        // Signing (RSA: about a millisecond) runs without the GIL.
        let proof = py.detach(|| self.client.dpop_proof(method, url, token.as_deref()));
        logs::flush();
        proof.map_err(|e| errors::to_py(py, &e))
    }

    /// The headers that send `token` with the HTTP request `method url`, as
    /// a dict: `"Authorization"` (`Bearer <token>` or `DPoP <token>`) and,
    /// for a DPoP token only, `"DPoP"` (a new proof of this request, with
    /// `ath` and the last nonce of `url`'s server). `ConfigError` for a URL
    /// that must not carry a token (`https://`, or `http://` to loopback; no
    /// user info, no fragment). Then hand the answer to `dpop_response()`.
    fn request_headers<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        url: &str,
        token: &Bound<'py, crate::types::Token>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.check_open(py)?;
        let token = token.get().token.clone();
        logs::refresh_level(py);
        // Signing (RSA: about a millisecond) runs without the GIL.
        let headers = py.detach(|| self.client.request_headers(method, url, &token));
        logs::flush();
        let headers = headers.map_err(|e| errors::to_py(py, &e))?;
        let out = PyDict::new(py);
        out.set_item("Authorization", headers.authorization.as_str())?;
        if let Some(proof) = &headers.dpop {
            out.set_item("DPoP", proof.as_str())?;
        }
        Ok(out)
    }

    /// Reads an API's answer to a request for `url` sent with `token`: its
    /// status and its `WWW-Authenticate` and `DPoP-Nonce` headers. For a
    /// DPoP token: remembers the nonce for that server's next proofs; True
    /// when the answer asks for the request once more with it (401
    /// `use_dpop_nonce`): send it again with new `request_headers()`, once.
    /// For a Bearer token: False, nothing remembered.
    #[pyo3(signature = (url, token, status, www_authenticate=None, dpop_nonce=None))]
    fn dpop_response(
        &self,
        py: Python<'_>,
        url: &str,
        token: &Bound<'_, crate::types::Token>,
        status: u16,
        www_authenticate: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> PyResult<bool> {
        self.check_open(py)?;
        Ok(self.client.dpop_response(
            url,
            &token.get().token,
            status,
            www_authenticate,
            dpop_nonce,
        ))
    }

    /// The RFC 7638 thumbprint of the DPoP key (the `cnf.jkt` of this
    /// client's tokens), None with `dpop` off.
    #[getter]
    fn dpop_thumbprint(&self) -> Option<&str> {
        self.client.dpop_thumbprint()
    }

    /// `get_token()` for asyncio: the token itself on a fresh cache hit, else
    /// an `asyncio.Future` of this loop. Use `get_token_async()`.
    #[pyo3(signature = (**params))]
    fn _get_token_async(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        self.token_async(py, params, false)
    }

    /// `fetch_token()` for asyncio: an `asyncio.Future` of this loop. Use
    /// `fetch_token_async()`.
    #[pyo3(signature = (**params))]
    fn _fetch_token_async(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        self.token_async(py, params, true)
    }

    /// `call_api()` for asyncio: an `asyncio.Future` of this loop. Use
    /// `call_api_async()`.
    #[pyo3(signature = (method, url, *, headers=None, body=None, **params))]
    fn _call_api_async(
        &self,
        py: Python<'_>,
        method: String,
        url: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let (request, headers, body) = self.api_args(py, headers, body, params)?;
        let client = self.client.clone();
        aio::spawn(py, async move {
            let result = client
                .call_api(&request, &method, &url, &headers, body)
                .await;
            Box::new(move |py: Python<'_>| match result {
                Ok(response) => Ok(Py::new(py, ApiResponse { response })?.into_any()),
                Err(e) => Err(errors::to_py(py, &e)),
            }) as Completion
        })
    }

    /// This client's counters (one set per client; a forked child goes on
    /// from the parent's counts at the fork).
    fn stats(&self) -> Stats {
        Stats(self.client.stats())
    }

    /// The token quota the token endpoint last reported for this client
    /// (Auth0's quota headers): its buckets not yet reset, oldest scope
    /// first; empty if the server sends none.
    fn quota(&self) -> Vec<QuotaBucket> {
        self.client.quota().into_iter().map(QuotaBucket).collect()
    }

    /// Closes the client: later calls raise `ConfigError`. Cached tokens stay
    /// in the process-wide cache for other clients with the same key.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::Relaxed);
        self.memo.clear(py);
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> &str {
        self.client.client_id()
    }

    /// The client authentication method (`client_secret_post`, `client_secret_basic`).
    #[getter]
    fn auth_method(&self) -> &'static str {
        self.client.auth_method().as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenClient(client_id={:?}, auth_method={:?}{})",
            self.client.client_id(),
            self.client.auth_method().as_str(),
            if self.closed.load(Ordering::Relaxed) {
                ", closed"
            } else {
                ""
            }
        )
    }
}
