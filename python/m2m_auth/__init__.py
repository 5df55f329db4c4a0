"""m2m-auth: OAuth 2.0 client credentials (RFC 6749 §4.4) for services.

Request a token for an API, cache it, refresh it before it expires, never
stampede the token endpoint, ride out its outages, never leak a secret. The
engine is Rust (the same one as the Node and C packages); this package
translates its types, errors and async to Python::

    from m2m_auth import TokenClient

    client = TokenClient(domain="your-tenant.us.auth0.com", client_id="...",
                         client_secret="...", audience="https://api.example.com")
    # or TokenClient.from_env(): every option from M2M_AUTH_<NAME>
    token = client.get_token()
    headers = {"Authorization": token.authorization_header()}

The API side: :class:`Verifier` checks the access tokens an API receives
(RFC 9068), with the same rules in every language::

    from m2m_auth import Verifier

    verifier = Verifier(issuer="https://your-tenant.us.auth0.com/",
                        audience="https://api.example.com")
    claims = verifier.verify_request(request_authorization_header, scopes=["read:data"])

Adapters for HTTP clients: :mod:`m2m_auth.httpx` and :mod:`m2m_auth.requests`;
for servers: :mod:`m2m_auth.fastapi`, :mod:`m2m_auth.flask`, :mod:`m2m_auth.asgi`.
Engine log records go to the :mod:`logging` logger ``m2m_auth``.
"""

from __future__ import annotations

import os as _os

from . import _native
from ._client import TokenClient
from ._errors import (
    CacheError,
    ConfigError,
    InsufficientScopeError,
    HTTPError,
    InvalidResponseError,
    InvalidTokenError,
    M2MAuthError,
    OAuthError,
    ThrottledError,
    TransportError,
)
from ._native import ApiResponse, Claims, QuotaBucket, Stats, Token, VerifierStats
from ._provider import AssertionRequest
from ._verifier import Verifier, challenge

__version__: str = _native.__version__

__all__ = [
    "TokenClient",
    "AssertionRequest",
    "Token",
    "QuotaBucket",
    "Stats",
    "ApiResponse",
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
    "Verifier",
    "Claims",
    "VerifierStats",
    "challenge",
    "__version__",
]

# The engine handles fork() itself (a child gets its own runtime and
# connections); the binding's own locks (asyncio deliveries) are held across
# fork() so that the child never inherits one held by a vanished thread.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(
        before=_native._before_fork,
        after_in_parent=_native._after_fork_parent,
        after_in_child=_native._after_fork_child,
    )

# OpenTelemetry spans and metrics when `opentelemetry-api` is installed
# (docs/design.md §12; looked for at the first token request); nothing
# otherwise.
from . import _telemetry  # noqa: E402

_telemetry.install()
