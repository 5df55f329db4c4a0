"""ASGI integration: :class:`TokenMiddleware`, for any ASGI 3 application
(Starlette, FastAPI, Quart, Django's ASGI handler, ...). No extra needed.

::

    from m2m_auth import Verifier
    from m2m_auth.asgi import TokenMiddleware

    verifier = Verifier(issuer="https://your-tenant.us.auth0.com/",
                        audience="https://api.example.com")
    app = TokenMiddleware(app, verifier, scopes=["read:things"])

Every HTTP request must carry a valid token (Bearer, or DPoP-bound with its
proof as the verifier's ``dpop`` option allows) with every scope of
``scopes``; the application then sees the token's :class:`Claims` in
``scope["state"]["m2m_claims"]`` (Starlette: ``request.state.m2m_claims``).
The request itself is verified (``Verifier.verify_http_request``): its
method, its absolute URL from the ASGI scope (scheme, ``Host`` header,
``root_path`` and path: behind a proxy, run the server with its
proxy-headers settings so that this is the public URL), ``Authorization``
and ``DPoP`` headers. Otherwise the middleware answers itself: 401 with
``WWW-Authenticate: Bearer error="invalid_token", ...`` (``DPoP
error="invalid_dpop_proof"``, ``use_dpop_nonce``, ... for DPoP), 403 with
``error="insufficient_scope"``, or 503 when the issuer's keys cannot be
fetched (from the engine's ``Verifier.challenge``, the same in every
language; never echoing the token). In DPoP nonce mode every HTTP answer
carries ``DPoP-Nonce``. A WebSocket handshake without a valid token is
closed (code 1008) before it is accepted. Lifespan events pass through.
"""

from __future__ import annotations

import json

from ._errors import M2MAuthError
from ._refusal import dpop_header, refusal, required
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


def _headers(scope: _Scope, name: bytes) -> list[str]:
    """Every value of the request header ``name`` (lower case), in order."""
    return [bytes(v).decode("latin-1") for k, v in scope.get("headers") or () if k.lower() == name]


def _url(scope: _Scope) -> str:
    """The absolute URL the client addressed, as Starlette's ``request.url``
    builds it: the scheme, the ``Host`` header (else the server's address)
    and the path under ``root_path`` (the query is not part of a DPoP
    proof's ``htu``)."""
    scheme = scope.get("scheme") or "http"
    host = next(iter(_headers(scope, b"host")), None)
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host, port = server[0], server[1]
        default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
        if port is not None and port != default:
            host = f"{host}:{port}"
    path = scope.get("path") or "/"
    root = scope.get("root_path") or ""
    if root and not path.startswith(root):
        path = root + path
    return f"{scheme}://{host}{path}"


class TokenMiddleware:
    """ASGI middleware that requires a valid bearer token (and ``scopes``) on
    every HTTP request and WebSocket handshake (Bearer or DPoP); ``realm``,
    when given, is named in the challenge. Verifies without blocking the
    event loop."""

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
        authorization = next(iter(_headers(scope, b"authorization")), None)
        dpop = dpop_header(_headers(scope, b"dpop"))
        method = scope.get("method") or "GET"
        try:
            claims = await self.verifier.verify_http_request_async(
                method, _url(scope), authorization, dpop, self.scopes
            )
        except M2MAuthError as e:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            status, headers, body = refusal(self.verifier, e, authorization, self.realm)
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
        await self.app({**scope, "state": state}, receive, self._with_nonce(send))

    def _with_nonce(self, send: _Send) -> _Send:
        """``send``, adding ``DPoP-Nonce`` to the response in nonce mode (RFC
        9449 §8.2: every answer may give the nonce to use next)."""
        nonce = self.verifier.dpop_nonce()
        if nonce is None:
            return send
        header = (b"dpop-nonce", nonce.encode("latin-1"))

        async def send_with_nonce(message: _Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        return send_with_nonce
