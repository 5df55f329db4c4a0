"""Native part of m2m_auth: the engine's types, errors and async for Python.
Use the `m2m_auth` package, not this module."""

import asyncio
import datetime
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, final

from typing_extensions import Self, disjoint_base

__all__ = [
    "__version__",
    "TokenClient",
    "Token",
    "Stats",
    "RetryPolicy",
    "ApiResponse",
    "_before_fork",
    "_after_fork_parent",
    "_after_fork_child",
    "_flush_logs",
    "_check_url",
]

__version__: str

_Seconds = float | datetime.timedelta
_Strings = str | Iterable[str]

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
    def expires_at(self) -> datetime.datetime:
        """When the token expires: an aware UTC `datetime`."""
    @property
    def refresh_at(self) -> datetime.datetime:
        """When the engine stops serving this token as fresh and renews it in the
        background: an aware UTC `datetime`."""
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
    """A snapshot of a client's counters."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def hits(self) -> int:
        """Calls answered from the cache (fresh, or usable while refreshing)."""
    @property
    def misses(self) -> int:
        """Calls that waited for a token request (their own or a shared one)."""
    @property
    def fetches(self) -> int:
        """Token requests this client made (each may take several attempts)."""
    @property
    def refreshes(self) -> int:
        """Of those, background refreshes of a still-usable token."""
    @property
    def failures(self) -> int:
        """Token requests that ended in an error."""

@final
class RetryPolicy:
    """How token requests are retried and throttled (docs/design.md §5). Every argument
    left out keeps the engine's default; durations are in seconds."""

    def __new__(
        cls,
        *,
        max_attempts: int | None = None,
        base_delay: _Seconds | None = None,
        max_delay: _Seconds | None = None,
        jitter: float | None = None,
        default_throttle: _Seconds | None = None,
        max_retry_after: _Seconds | None = None,
    ) -> Self: ...
    @property
    def max_attempts(self) -> int:
        """Attempts in all, the first included."""
    @property
    def base_delay(self) -> float:
        """Backoff before the second attempt, doubled for each later one (seconds)."""
    @property
    def max_delay(self) -> float:
        """Longest backoff between two attempts (seconds)."""
    @property
    def jitter(self) -> float:
        """Random spread of each backoff, as a fraction (0.1 = ±10 %)."""
    @property
    def default_throttle(self) -> float:
        """How long a key is throttled after a 429/5xx without `Retry-After`."""
    @property
    def max_retry_after(self) -> float:
        """Cap on any `Retry-After` the server asks for (seconds)."""

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

    def __new__(
        cls,
        *,
        token_url: str | None = None,
        domain: str | None = None,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str | None = None,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
        timeout: _Seconds | None = None,
        connect_timeout: _Seconds | None = None,
        leeway: _Seconds | None = None,
        refresh_ratio: float | None = None,
        retry: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        default_expires_in: _Seconds | None = None,
        ca_certs: str | bytes | Iterable[str | bytes] | None = None,
        proxy: str | None = None,
        no_proxy: bool = False,
        cache: str | None = None,
        max_cache_keys: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Self: ...
    def get_token(
        self,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Token:
        """A usable token: from the cache when it holds one, else from the token
        endpoint (one request per key however many callers wait). Releases the
        GIL while it waits."""
    def fetch_token(
        self,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Token:
        """A new token from the token endpoint, bypassing (and then updating) the cache."""
    def invalidate(
        self,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Drops the cached token for this request, e.g. after an API answered 401."""
    def invalidate_rejected(
        self,
        token: Token | str,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Drops the cached token for this request only if it is still `token`
        (e.g. the token an API just answered 401 to)."""
    def call_api(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """Calls an API with `Authorization: Bearer <token>`; on a 401, renews the
        token once and calls again."""
    def _get_token_async(
        self,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Token | asyncio.Future[Token]: ...
    def _fetch_token_async(
        self,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> asyncio.Future[Token]: ...
    def _call_api_async(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        audience: str | None = None,
        scope: _Strings | None = None,
        organization: str | None = None,
        resource: _Strings | None = None,
        extra: Mapping[str, str] | None = None,
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
