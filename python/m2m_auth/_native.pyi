"""Native part of m2m_auth: the engine's types, errors and async for Python.
Use the `m2m_auth` package, not this module."""

import asyncio
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypedDict, final

from typing_extensions import Self, Unpack, disjoint_base

__all__ = [
    "__version__",
    "TokenClient",
    "Token",
    "Stats",
    "ApiResponse",
    "_before_fork",
    "_after_fork_parent",
    "_after_fork_child",
    "_flush_logs",
    "_check_url",
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

class _ClientOptions(TypedDict, total=False):
    """Every client option (surface `client_options`; None: not given).
    tests/test_parity.py checks this list against tests/surface.json."""

    token_url: _Text | None
    domain: _Text | None
    issuer: _Text | None
    client_id: _Text | None
    client_secret: _Secret | None
    auth_method: _Text | None
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
        """The token type: `Bearer` (normalized from any case)."""
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
        """The value for an HTTP `Authorization` header: `Bearer <token>`."""

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
    def as_dict(self) -> dict[str, int]:
        """Every counter by name, in the engine's order."""

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
        """Calls an API with `Authorization: Bearer <token>`; on a 401, renews the
        token once and calls again."""
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

def _before_fork() -> None: ...
def _after_fork_parent() -> None: ...
def _after_fork_child() -> None: ...
def _check_url(url: str) -> None:
    """Raises `ConfigError` unless `url` may carry a token."""

def _flush_logs() -> None:
    """Delivers every queued engine log record to Python logging now."""
