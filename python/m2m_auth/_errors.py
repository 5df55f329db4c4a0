"""Exceptions: one class per error code of the behaviour contract (docs/design.md §6).

Every exception m2m_auth raises for a failed call is an :class:`M2MAuthError`
with the code as ``.code`` and every error field of the engine's surface
(``tests/surface.json``: ``error``, ``error_description``, ``error_uri``,
``status``, ``body``, ``kind``, ``reason``, ``required_scope``,
``retry_after``) as an attribute,
``None`` when the error has no such field. ``retry_after`` is in seconds.
Messages and fields never hold a secret: text that came from a server is
scrubbed of the client's credentials by the engine before it gets here.
Exceptions pickle (``pickle.loads(pickle.dumps(e))`` keeps the message and
the fields).
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
    "InsufficientScopeError",
]


class M2MAuthError(Exception):
    """Base class of every m2m_auth error; ``.code`` is the error code.

    Every error field is an attribute (``None`` when absent): ``error``,
    ``error_description``, ``error_uri`` (oauth: the server's), ``status``
    (oauth, http: the HTTP status), ``body`` (http: the first bytes of the
    body, at most 512), ``kind`` (transport: ``connect``, ``timeout``,
    ``reset``, ``tls`` or ``io``), ``reason`` (invalid_response,
    invalid_token: what is wrong), ``required_scope`` (insufficient_scope:
    every scope the request requires, space-separated), ``retry_after``
    (throttled: seconds until a request may be sent again).
    """

    code: str = "m2m_auth"
    # The error fields (surface ERROR_FIELDS; tests/test_parity.py checks the
    # list): None on errors that do not have them.
    error: str | None = None
    error_description: str | None = None
    error_uri: str | None = None
    status: int | None = None
    body: str | None = None
    kind: str | None = None
    reason: str | None = None
    required_scope: str | None = None
    retry_after: float | None = None

    def __init__(self, message: str = "", **fields: object) -> None:
        super().__init__(message)
        for name, value in fields.items():
            if name not in _FIELDS:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}")
            if value is not None:
                setattr(self, name, value)

    @property
    def message(self) -> str:
        """The error message (the same as ``str(error)``)."""
        return str(self.args[0]) if self.args else ""


# The names an error's constructor takes besides the message.
_FIELDS = frozenset(M2MAuthError.__annotations__)


class ConfigError(M2MAuthError, ValueError):
    """A bad or missing option (raised before any I/O), or a closed client."""

    code = "config"


class OAuthError(M2MAuthError):
    """The authorization server refused the request (RFC 6749 §5.2):
    ``error``, ``error_description``, ``error_uri``, ``status``."""

    code = "oauth"


class HTTPError(M2MAuthError):
    """A non-OAuth HTTP failure of the token endpoint: ``status``, ``body``."""

    code = "http"


class TransportError(M2MAuthError):
    """Could not talk to the server: ``kind`` is connect, timeout, reset, tls or io."""

    code = "transport"


class InvalidResponseError(M2MAuthError):
    """A 200 response that is not a valid token response: ``reason``."""

    code = "invalid_response"


class ThrottledError(M2MAuthError):
    """Refused locally, without I/O, until ``retry_after`` seconds have passed."""

    code = "throttled"


class CacheError(M2MAuthError):
    """A shared cache is unreachable or corrupt."""

    code = "cache"


class InvalidTokenError(M2MAuthError):
    """(Verifier) a token failed validation: ``reason`` is a stable code
    (``missing``, ``malformed``, ``too_large``, ``disallowed_algorithm``,
    ``unknown_key``, ``weak_key``, ``bad_signature``, ``bad_typ``, ``crit``,
    ``wrong_issuer``, ``wrong_audience``, ``expired``, ``not_yet_valid``,
    ``missing_claim``, ``bad_claim_type``; DPoP: ``dpop_proof``,
    ``dpop_replay``, ``dpop_nonce``, ``dpop_bound``). Never holds the token
    or a proof."""

    code = "invalid_token"


class InsufficientScopeError(M2MAuthError):
    """(Verifier) a valid token lacks a scope the request requires:
    ``required_scope`` lists every required scope, space-separated."""

    code = "insufficient_scope"


# The class of each code (the native module raises through this).
_BY_CODE: dict[str, type[M2MAuthError]] = {
    c.code: c
    for c in (
        ConfigError,
        OAuthError,
        HTTPError,
        TransportError,
        InvalidResponseError,
        ThrottledError,
        CacheError,
        InvalidTokenError,
        InsufficientScopeError,
    )
}
