"""Native part of m2m_auth: the engine's types, errors and async for Python.
Use the `m2m_auth` package, not this module."""

import asyncio
import datetime
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypedDict, final

from typing_extensions import Self, Unpack, disjoint_base

from ._provider import AssertionRequest

__all__ = [
    "__version__",
    "TokenClient",
    "Token",
    "Stats",
    "QuotaBucket",
    "ApiResponse",
    "Verifier",
    "Claims",
    "VerifierStats",
    "challenge",
    "_before_fork",
    "_after_fork_parent",
    "_after_fork_child",
    "_flush_logs",
    "_set_telemetry_sink",
    "_live_stats",
    "_telemetry_names",
    "_check_url",
    "_same_origin",
]

__version__: str

# Python's shape of each ValueType of the engine's surface (tests/surface.json).
_Text = str
_Secret = str
_Flag = bool
_Count = int
_Duration = float | datetime.timedelta  # seconds
_Fraction = float
_List = str | Sequence[str]
_Map = Mapping[str, str]
_Pem = str | bytes | Sequence[str | bytes]
_Callback = Callable[[AssertionRequest], str | Awaitable[str]]

class _ClientOptions(TypedDict, total=False):
    """Every client option (surface `client_options`; None: not given).
    tests/test_parity.py checks this list against tests/surface.json."""

    token_url: _Text | None
    domain: _Text | None
    issuer: _Text | None
    client_id: _Text | None
    client_secret: _Secret | None
    auth_method: _Text | None
    private_key: _Secret | None
    private_key_file: _Text | None
    key_id: _Text | None
    signing_alg: _Text | None
    client_assertion: _Secret | None
    client_assertion_file: _Text | None
    client_assertion_provider: _Callback | None
    assertion_audience: _Text | None
    client_certificate: _Pem | None
    client_certificate_file: _Text | None
    client_key: _Secret | None
    client_key_file: _Text | None
    dpop: _Flag | None
    dpop_key: _Secret | None
    dpop_key_file: _Text | None
    dpop_accept_bearer: _Flag | None
    audience: _Text | None
    scope: _List | None
    organization: _Text | None
    resource: _List | None
    extra: _Map | None
    timeout: _Duration | None
    connect_timeout: _Duration | None
    max_response_bytes: _Count | None
    ca_certs: _Pem | None
    proxy: _Text | None
    no_proxy: _Flag | None
    leeway: _Duration | None
    refresh_ratio: _Fraction | None
    refresh_jitter: _Fraction | None
    default_expires_in: _Duration | None
    max_attempts: _Count | None
    retry_base_delay: _Duration | None
    retry_max_delay: _Duration | None
    retry_jitter: _Fraction | None
    default_throttle: _Duration | None
    max_retry_after: _Duration | None
    cache: _Text | None
    cache_strict: _Flag | None
    lease_ttl: _Duration | None
    store_timeout: _Duration | None
    max_cache_keys: _Count | None

class _RequestParameters(TypedDict, total=False):
    """Every request parameter (surface `request_parameters`; None: the
    client's default). Checked by tests/test_parity.py."""

    audience: _Text | None
    scope: _List | None
    organization: _Text | None
    resource: _List | None
    extra: _Map | None

class _VerifierOptions(TypedDict, total=False):
    """Every verifier option (surface `verifier_options`; None: not given).
    Checked by tests/test_parity.py."""

    issuer: _Text | None
    jwks_uri: _Text | None
    jwks: _Text | None
    audience: _List | None
    algorithms: _List | None
    leeway: _Duration | None
    strict_typ: _Flag | None
    max_token_bytes: _Count | None
    jwks_cache_ttl: _Duration | None
    jwks_refetch_interval: _Duration | None
    timeout: _Duration | None
    ca_certs: _Pem | None
    cache_size: _Count | None
    dpop: _Text | None
    dpop_algorithms: _List | None
    dpop_max_age: _Duration | None
    dpop_replay_cache_size: _Count | None
    dpop_nonce: _Flag | None
    dpop_nonce_secret: _Secret | None

@final
class Token:
    """An access token from the token endpoint (RFC 6749 §5.1).

    `repr()` shows its metadata and a short SHA-256 fingerprint, never the
    token. Send it with `authorization_header()`."""

    @property
    def access_token(self) -> str:
        """The access token, to send as a bearer credential."""
    @property
    def token_type(self) -> str:
        """The token type: `Bearer`, or `DPoP` for a DPoP-bound token (normalized
        from any case)."""
    @property
    def expires_in(self) -> float:
        """Seconds left until `expires_at` (0.0 once passed)."""
    @property
    def expires_at(self) -> float:
        """When the token expires, in seconds since the epoch (as `time.time()`)."""
    @property
    def refresh_at(self) -> float:
        """When the engine stops serving this token as fresh and renews it in the
        background, in seconds since the epoch."""
    @property
    def scope(self) -> str | None:
        """The granted scope (space-separated), or None."""
    @property
    def extra(self) -> dict[str, Any]:
        """Every other field of the token response (a new `dict` on each access)."""
    @property
    def fingerprint(self) -> str:
        """A short SHA-256 fingerprint of the token, safe to log."""
    def authorization_header(self) -> str:
        """The value for an HTTP `Authorization` header: `Bearer <token>`, or
        `DPoP <token>` for a DPoP-bound token (with a proof:
        `TokenClient.dpop_proof()`)."""

@final
class Stats:
    """A snapshot of a client's counters: one attribute per counter of the
    surface (`stats`), and `as_dict()`."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def hits(self) -> int:
        """Calls answered from the cache."""
    @property
    def misses(self) -> int:
        """Calls that waited for a token request."""
    @property
    def fetches(self) -> int:
        """Token requests this client made."""
    @property
    def refreshes(self) -> int:
        """Of those, background refreshes of a still-usable token."""
    @property
    def failures(self) -> int:
        """Token requests that ended in an error."""
    @property
    def shared_hits(self) -> int:
        """Tokens taken from the shared cache."""
    @property
    def store_errors(self) -> int:
        """Shared cache operations that failed."""
    @property
    def throttles(self) -> int:
        """Calls refused as throttled without a request (Retry-After, rate limit or exhausted quota)."""
    @property
    def quota_remaining(self) -> int | None:
        """The lowest remaining token quota over the current buckets (absent when the server reports none)."""
    def as_dict(self) -> dict[str, int]:
        """Every counter by name, in the engine's order."""

@final
class QuotaBucket:
    """One token quota bucket as the token endpoint last reported it
    (`TokenClient.quota()`); `repr()` shows every field."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def scope(self) -> Literal["client", "organization"]:
        """Whose quota: the client's or its organization's."""
    @property
    def bucket(self) -> Literal["per_hour", "per_day"]:
        """Which window."""
    @property
    def quota(self) -> int:
        """Tokens allowed in the window."""
    @property
    def remaining(self) -> int:
        """Tokens left in the window when the response came."""
    @property
    def reset_at(self) -> float:
        """When the window resets, in seconds since the epoch."""

@final
class ApiResponse:
    """An API's answer to `TokenClient.call_api()`."""

    @property
    def status(self) -> int:
        """The HTTP status."""
    @property
    def headers(self) -> list[tuple[str, str]]:
        """The response headers as `(name, value)` pairs, names in lower case."""
    @property
    def body(self) -> bytes:
        """The body."""
    def text(self) -> str:
        """The body as text (UTF-8, invalid bytes replaced)."""
    def json(self) -> Any:
        """The body parsed as JSON."""

@disjoint_base
class TokenClient:
    """An OAuth 2.0 client credentials client with a process-wide token cache."""

    def __new__(cls, **options: Unpack[_ClientOptions]) -> Self: ...
    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Unpack[_ClientOptions]
    ) -> Self:
        """A client configured from the `M2M_AUTH_<OPTION>` variables of `environ`
        (default `os.environ`); keyword `overrides` win over the environment."""
    def get_token(self, **params: Unpack[_RequestParameters]) -> Token:
        """A usable token: from the cache when it holds one, else from the token
        endpoint (one request per key however many callers wait). Releases the
        GIL while it waits."""
    def fetch_token(self, **params: Unpack[_RequestParameters]) -> Token:
        """A new token from the token endpoint, bypassing (and then updating) the cache."""
    def invalidate(self, **params: Unpack[_RequestParameters]) -> None:
        """Drops the cached token for this request."""
    def invalidate_rejected(self, token: Token | str, **params: Unpack[_RequestParameters]) -> None:
        """Drops the cached token for this request only if it is still `token`
        (e.g. the token an API just answered 401 to)."""
    def call_api(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        **params: Unpack[_RequestParameters],
    ) -> ApiResponse:
        """Calls an API with `Authorization: Bearer <token>` (a DPoP token: `DPoP
        <token>` and a proof, once more on a `use_dpop_nonce` 401); on a 401,
        renews the token once and calls again."""
    def dpop_proof(self, method: str, url: str, access_token: Token | str | None = None) -> str:
        """A DPoP proof (RFC 9449) for one HTTP request, signed with this client's
        DPoP key: send it as the `DPoP` header with `Authorization: DPoP <token>`.
        With `access_token`, the proof carries its hash (`ath`). `ConfigError`
        with `dpop` off."""
    def request_headers(self, method: str, url: str, token: Token) -> dict[str, str]:
        """The headers that send `token` with the HTTP request `method url`:
        `"Authorization"` and, for a DPoP token only, `"DPoP"` (a new proof of
        this request). `ConfigError` for a URL that must not carry a token."""
    def dpop_response(
        self,
        url: str,
        token: Token,
        status: int,
        www_authenticate: str | None = None,
        dpop_nonce: str | None = None,
    ) -> bool:
        """Reads an API's answer to a request sent with `token` (its status,
        `WWW-Authenticate` and `DPoP-Nonce`): for a DPoP token, remembers the
        nonce and is True when the answer asks for the request once more with
        it (send it again with new `request_headers()`, once); False for a
        Bearer token."""
    def _get_token_async(self, **params: Unpack[_RequestParameters]) -> Token | asyncio.Future[Token]: ...
    def _fetch_token_async(self, **params: Unpack[_RequestParameters]) -> asyncio.Future[Token]: ...
    def _call_api_async(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        **params: Unpack[_RequestParameters],
    ) -> asyncio.Future[ApiResponse]: ...
    def stats(self) -> Stats:
        """This client's counters."""
    def quota(self) -> list[QuotaBucket]:
        """The token quota the endpoint last reported (Auth0's quota
        headers): the buckets not yet reset; empty if none was sent."""
    def close(self) -> None:
        """Closes the client: later calls raise `ConfigError`."""
    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
    @property
    def client_id(self) -> str:
        """The client id."""
    @property
    def auth_method(self) -> str:
        """The client authentication method."""
    @property
    def dpop_thumbprint(self) -> str | None:
        """The RFC 7638 thumbprint of the DPoP key (the `cnf.jkt` of this client's
        tokens), None with `dpop` off."""

@final
class Claims:
    """The claims of a verified access token. Never holds the token itself."""

    @property
    def issuer(self) -> str:
        """`iss`: the issuer (equal to the verifier's)."""
    @property
    def subject(self) -> str | None:
        """`sub`, or None."""
    @property
    def audience(self) -> list[str]:
        """`aud` as a list (a string `aud` gives one entry)."""
    @property
    def client_id(self) -> str | None:
        """`client_id`, or None."""
    @property
    def scopes(self) -> list[str]:
        """The granted scopes: `scope` split on spaces, or the `scp` array."""
    @property
    def expires_at(self) -> float:
        """`exp`, in seconds since the epoch."""
    @property
    def issued_at(self) -> float | None:
        """`iat`, in seconds since the epoch, or None."""
    @property
    def not_before(self) -> float | None:
        """`nbf`, in seconds since the epoch, or None."""
    @property
    def jwt_id(self) -> str | None:
        """`jti`, or None."""
    def has_scope(self, scope: str) -> bool:
        """True when `scope` is one of `scopes`."""
    def get(self, name: str, default: Any = None) -> Any:
        """The claim `name` as `json.loads` would give it, or `default`."""
    def __getitem__(self, name: str, /) -> Any: ...
    def __contains__(self, name: object, /) -> bool: ...
    def as_dict(self) -> dict[str, Any]:
        """Every claim, as a new `dict`."""
    def to_json(self) -> str:
        """Every claim as JSON text."""

@final
class VerifierStats:
    """A snapshot of a verifier's counters, and `as_dict()`."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def verified(self) -> int:
        """Tokens that verified (cache hits included)."""
    @property
    def cache_hits(self) -> int:
        """Of those, answered from the verified-token cache."""
    @property
    def jwks_fetches(self) -> int:
        """JWKS requests made."""
    @property
    def failures(self) -> int:
        """Verifications that failed."""
    def as_dict(self) -> dict[str, int]:
        """Every counter by name."""

@disjoint_base
class Verifier:
    """Verifies RFC 9068 access tokens (JWTs) against an issuer's keys: Bearer,
    or DPoP-bound with their proof (`verify_http_request`)."""

    def __new__(cls, **options: Unpack[_VerifierOptions]) -> Self: ...
    def verify(self, token: str) -> Claims:
        """Verifies a bare access token and returns its claims (GIL released)."""
    def verify_request(self, authorization: str | None, scopes: str | Iterable[str] | None = None) -> Claims:
        """Verifies an `Authorization` header (`Bearer <token>`), then requires `scopes`."""
    def _verify_async(self, token: str) -> Claims | asyncio.Future[Claims]: ...
    def _verify_request_async(
        self, authorization: str | None, scopes: str | Iterable[str] | None = None
    ) -> Claims | asyncio.Future[Claims]: ...
    def verify_http_request(
        self,
        method: str,
        url: str,
        authorization: str | None,
        dpop: str | None = None,
        scopes: str | Iterable[str] | None = None,
    ) -> Claims:
        """Verifies a request as it arrived (method, absolute URL, `Authorization`,
        `DPoP`), Bearer or DPoP, then requires `scopes` (GIL released)."""
    def _verify_http_request_async(
        self,
        method: str,
        url: str,
        authorization: str | None,
        dpop: str | None = None,
        scopes: str | Iterable[str] | None = None,
    ) -> Claims | asyncio.Future[Claims]: ...
    def challenge(
        self, error: BaseException, authorization: str | None = None, realm: str | None = None
    ) -> tuple[int, str | None, str | None]:
        """The answer to a failed verification with this verifier's DPoP options:
        `(status, www_authenticate, dpop_nonce)`."""
    def dpop_nonce(self) -> str | None:
        """The `DPoP-Nonce` to send now (with `dpop_nonce` on), else None."""
    def stats(self) -> VerifierStats:
        """This verifier's counters."""

def challenge(error: BaseException, realm: str | None = None) -> tuple[int, str | None]:
    """The RFC 6750 answer to a failed verification: `(status, www_authenticate)`."""

def _before_fork() -> None: ...
def _after_fork_parent() -> None: ...
def _after_fork_child() -> None: ...
def _check_url(url: str) -> None:
    """Raises `ConfigError` unless `url` may carry a token."""

def _same_origin(first: str, next: str) -> bool:
    """Whether a redirect from `first` to `next` may carry the token's headers."""

def _flush_logs() -> None:
    """Delivers every queued engine log record to Python logging now."""

def _set_telemetry_sink(
    callback: Callable[[list[tuple[str, str, str, int, str, int | None, int, int, bool]], bool], object] | None,
) -> None:
    """Sets the callable receiving token request records (None removes it)."""

def _live_stats() -> list[tuple[str, Stats]]:
    """Every live client's stats by client id."""

def _telemetry_names() -> tuple[str, str, list[str], list[tuple[str, str, str]]]:
    """The engine's OpenTelemetry names: scope, span, the span's attributes
    (in the engine's order) and every metric as (name, kind, stat)."""
