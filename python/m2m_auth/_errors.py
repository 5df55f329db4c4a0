"""Exceptions: one class per error code of the behaviour contract (docs/design.md §6).

Every exception m2m_auth raises for a failed call is an :class:`M2MAuthError`
with the code as ``.code`` and the code's fields as attributes. Messages and
fields never hold a secret: text that came from a server is scrubbed of the
client's credentials by the engine before it gets here. Exceptions pickle
(``pickle.loads(pickle.dumps(e))`` keeps the message and the fields).
"""

from __future__ import annotations

__all__ = [
    "M2MAuthError",
    "ConfigError",
    "OAuthError",
    "HTTPError",
    "TransportError",
    "InvalidResponseError",
    "ThrottledError",
    "CacheError",
    "InvalidTokenError",
]


class M2MAuthError(Exception):
    """Base class of every m2m_auth error; ``.code`` is the error code."""

    code: str = "m2m_auth"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The error message (the same as ``str(error)``)."""
        return str(self.args[0]) if self.args else ""


class ConfigError(M2MAuthError, ValueError):
    """A bad or missing option (raised before any I/O), or a closed client."""

    code = "config"


class OAuthError(M2MAuthError):
    """The authorization server refused the request (RFC 6749 §5.2)."""

    code = "oauth"

    def __init__(
        self,
        message: str = "",
        *,
        error: str = "",
        error_description: str | None = None,
        error_uri: str | None = None,
        status: int = 0,
    ) -> None:
        super().__init__(message)
        self.error = error
        """The OAuth ``error`` code, e.g. ``invalid_client``."""
        self.error_description = error_description
        """The server's ``error_description``, if any."""
        self.error_uri = error_uri
        """The server's ``error_uri``, if any."""
        self.status = status
        """The HTTP status it came with."""


class HTTPError(M2MAuthError):
    """A non-OAuth HTTP failure of the token endpoint."""

    code = "http"

    def __init__(self, message: str = "", *, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status."""
        self.body = body
        """The first bytes of the body (at most 512), lossily decoded."""


class TransportError(M2MAuthError):
    """Could not talk to the server: connect, timeout, reset, TLS or I/O."""

    code = "transport"

    def __init__(self, message: str = "", *, kind: str = "io") -> None:
        super().__init__(message)
        self.kind = kind
        """What failed: ``connect``, ``timeout``, ``reset``, ``tls`` or ``io``."""


class InvalidResponseError(M2MAuthError):
    """A 200 response that is not a valid token response."""

    code = "invalid_response"

    def __init__(self, message: str = "", *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        """What is wrong with it."""


class ThrottledError(M2MAuthError):
    """Refused locally, without I/O, until ``retry_after`` seconds have passed."""

    code = "throttled"

    def __init__(self, message: str = "", *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds until a request may be sent again."""


class CacheError(M2MAuthError):
    """A shared cache is unreachable or corrupt."""

    code = "cache"


class InvalidTokenError(M2MAuthError):
    """(Verifier) a token failed validation."""

    code = "invalid_token"

    def __init__(self, message: str = "", *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        """Why."""
