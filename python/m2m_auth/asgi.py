"""ASGI integration: :class:`TokenMiddleware`, for any ASGI 3 application
(Starlette, FastAPI, Quart, Django's ASGI handler, ...). No extra needed.

::

    from m2m_auth import Verifier
    from m2m_auth.asgi import TokenMiddleware

    verifier = Verifier(issuer="https://your-tenant.us.auth0.com/",
                        audience="https://api.example.com")
    app = TokenMiddleware(app, verifier, scopes=["read:things"])

Every HTTP request must carry a valid bearer token with every scope of
``scopes``; the application then sees the token's :class:`Claims` in
``scope["state"]["m2m_claims"]`` (Starlette: ``request.state.m2m_claims``).
Otherwise the middleware answers itself: 401 with ``WWW-Authenticate: Bearer
error="invalid_token", ...``, 403 with ``error="insufficient_scope"``, or 503
when the issuer's keys cannot be fetched (from the engine, the same in every
language; never echoing the token). A WebSocket handshake without a valid
token is closed (code 1008) before it is accepted. Lifespan events pass
through.
"""

from __future__ import annotations

import json

from ._errors import M2MAuthError
from ._refusal import refusal, required
from ._verifier import Verifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, MutableMapping
    from typing import Any

    _Scope = MutableMapping[str, Any]
    _Message = MutableMapping[str, Any]
    _Receive = Callable[[], Awaitable[_Message]]
    _Send = Callable[[_Message], Awaitable[None]]
    _ASGIApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]

__all__ = ["TokenMiddleware"]


def _authorization(scope: _Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"authorization":
            return bytes(value).decode("latin-1")
    return None


class TokenMiddleware:
    """ASGI middleware that requires a valid bearer token (and ``scopes``) on
    every HTTP request and WebSocket handshake; ``realm``, when given, is
    named in the challenge. Verifies without blocking the event loop."""

    def __init__(
        self,
        app: _ASGIApp,
        verifier: Verifier,
        scopes: str | Iterable[str] | None = None,
        *,
        realm: str | None = None,
    ) -> None:
        self.app = app
        """The application behind the middleware."""
        self.verifier = verifier
        """The verifier of every request's token."""
        self.scopes = required(scopes)
        """The scopes every request's token must have."""
        self.realm = realm
        """The realm named in the challenge, or None."""

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        """Verifies the request's token, then calls the application or refuses."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            claims = await self.verifier.verify_request_async(_authorization(scope), self.scopes)
        except M2MAuthError as e:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            status, headers, body = refusal(e, self.realm)
            payload = json.dumps(body).encode()
            raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
            raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": payload})
            return
        # The request's own state (servers copy the application's per request;
        # copied again here so that nothing shared is changed).
        state = dict(scope.get("state") or {})
        state["m2m_claims"] = claims
        await self.app({**scope, "state": state}, receive, send)
