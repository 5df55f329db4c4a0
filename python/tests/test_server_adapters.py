"""The server adapters over HTTP: a real FastAPI app and a raw ASGI app under
uvicorn, a real Flask app under werkzeug's server, each on 127.0.0.1 in a
thread, called with httpx with tokens from the dev server.

Each answers RFC 6750: 401 (a bare ``Bearer`` challenge without a token,
``error="invalid_token"`` with the reason for a bad one), 403
``insufficient_scope`` naming the required scope, 503 when the issuer's
keys cannot be fetched, 200 with the claims otherwise; never the token.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import AUDIENCE
from devserver import DevServer
from fastapi import Depends, FastAPI
from flask import Flask, g
from werkzeug.serving import make_server

from m2m_auth import Claims, TokenClient, Verifier
from m2m_auth.asgi import TokenMiddleware
from m2m_auth.fastapi import require_token as fastapi_require_token
from m2m_auth.flask import require_token as flask_require_token

SCOPE = "read:data"
DPOP_ALGS = 'algs="ES256 ES384 EdDSA RS256 PS256"'


# -- the three apps, each requiring SCOPE on GET /things -------------------------


def fastapi_app(verifier: Verifier) -> Any:
    app = FastAPI()

    @app.get("/things")
    async def things(claims: Claims = Depends(fastapi_require_token(verifier, scopes=[SCOPE]))) -> dict[str, Any]:
        return {"ok": True, "client_id": claims.client_id, "scopes": claims.scopes}

    @app.get("/open")
    async def open_route() -> dict[str, Any]:
        return {"ok": True}

    return app


def flask_app(verifier: Verifier) -> Any:
    app = Flask("m2m_auth_test")

    @app.get("/things")
    @flask_require_token(verifier, scopes=SCOPE)
    def things() -> dict[str, Any]:
        claims: Claims = g.m2m_claims
        return {"ok": True, "client_id": claims.client_id, "scopes": claims.scopes}

    return app


def asgi_app(verifier: Verifier) -> Any:
    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        claims: Claims = scope["state"]["m2m_claims"]
        body = json.dumps({"ok": True, "client_id": claims.client_id, "scopes": claims.scopes}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return TokenMiddleware(inner, verifier, scopes=(SCOPE,), realm="api")


APPS: dict[str, Callable[[Verifier], Any]] = {"fastapi": fastapi_app, "flask": flask_app, "asgi": asgi_app}
REALM = {"fastapi": "", "flask": "", "asgi": 'realm="api", '}


# -- serving an app on 127.0.0.1 in a thread --------------------------------------


class Served:
    """One app served over HTTP on 127.0.0.1 (uvicorn for ASGI, werkzeug for WSGI)."""

    def __init__(self, kind: str, app: Any) -> None:
        if kind == "flask":
            self._wsgi = make_server("127.0.0.1", 0, app, threaded=True)
            self.url = f"http://127.0.0.1:{self._wsgi.server_port}"
            self._thread = threading.Thread(target=self._wsgi.serve_forever, daemon=True)
            self._thread.start()
            return
        self._wsgi = None
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._uvicorn = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
        self._thread = threading.Thread(target=self._uvicorn.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        if self._wsgi is not None:
            self._wsgi.shutdown()
            self._wsgi.server_close()
        else:
            self._uvicorn.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[Callable[[str, Verifier], Served]]:
    started: list[Served] = []

    def start(kind: str, verifier: Verifier) -> Served:
        s = Served(kind, APPS[kind](verifier))
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def get(url: str, authorization: str | None = None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.get(url + "/things", headers=headers, timeout=10, trust_env=False)


def assert_no_token(response: httpx.Response, token: str) -> None:
    text = response.text + json.dumps(dict(response.headers))
    assert token not in text
    for part in token.split(".")[1:]:
        assert part not in text


# -- tests ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(APPS))
def test_a_token_with_the_scope_is_let_through(
    kind: str, server: DevServer, client: TokenClient, serve: Callable[[str, Verifier], Served]
) -> None:
    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri)
    app = serve(kind, verifier)
    token = client.get_token(scope=f"{SCOPE} write:data")
    for _ in range(3):  # the first fetches the JWKS; the others hit the cache
        r = get(app.url, token.authorization_header())
        assert r.status_code == 200, r.text
        assert r.json() == {"ok": True, "client_id": "demo-client", "scopes": [SCOPE, "write:data"]}
        assert "www-authenticate" not in r.headers
    assert server.stats()["jwks_requests"] == 1
    assert verifier.stats().cache_hits == 2


@pytest.mark.parametrize("kind", sorted(APPS))
def test_refusals_follow_rfc_6750(
    kind: str, server: DevServer, client: TokenClient, serve: Callable[[str, Verifier], Served]
) -> None:
    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri)
    app = serve(kind, verifier)
    realm = REALM[kind]

    # No token at all: a bare challenge (RFC 6750 §3.1: no error code), one
    # for each scheme taken (dpop "allowed", the default: RFC 9449 §7.1).
    for authorization in (None, "", "Basic ZGVtbzpzZWNyZXQ=", "Bearer"):
        r = get(app.url, authorization)
        assert r.status_code == 401, (authorization, r.text)
        assert r.headers["www-authenticate"] == ("Bearer " + realm).rstrip(", ") + f", DPoP {realm}{DPOP_ALGS}"
        assert "missing" in r.text

    # A bad token: invalid_token with the reason, never the token.
    good = client.get_token(scope=SCOPE).access_token
    head, payload, signature = good.split(".")
    forged = f"{head}.{payload}.{signature[:-6]}AAAAAA"
    r = get(app.url, "Bearer " + forged)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == f'Bearer {realm}error="invalid_token", error_description="bad_signature"'
    assert_no_token(r, forged)
    r = get(app.url, "Bearer not-a-jwt")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].endswith('error_description="malformed"')
    assert "not-a-jwt" not in r.text + str(r.headers)

    # A valid token without the scope: 403 naming the required scope.
    unscoped = client.get_token(scope="write:data").access_token
    r = get(app.url, "Bearer " + unscoped)
    assert r.status_code == 403, r.text
    assert r.headers["www-authenticate"] == f'Bearer {realm}error="insufficient_scope", scope="{SCOPE}"'
    assert_no_token(r, unscoped)


@pytest.mark.parametrize("kind", sorted(APPS))
def test_unreachable_keys_are_503(
    kind: str, client: TokenClient, serve: Callable[[str, Verifier], Served]
) -> None:
    gone = DevServer()
    issuer, jwks_uri = gone.issuer, gone.jwks_uri
    gone.stop()  # its port now refuses connections
    verifier = Verifier(issuer=issuer, audience=AUDIENCE, jwks_uri=jwks_uri, timeout=5)
    app = serve(kind, verifier)
    token = client.get_token(scope=SCOPE).access_token
    r = get(app.url, "Bearer " + token)
    assert r.status_code == 503, r.text
    assert "www-authenticate" not in r.headers
    assert_no_token(r, token)


def test_fastapi_routes_without_the_dependency_stay_open(
    server: DevServer, serve: Callable[[str, Verifier], Served]
) -> None:
    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri)
    app = serve("fastapi", verifier)
    r = httpx.get(app.url + "/open", timeout=10, trust_env=False)
    assert r.status_code == 200
    assert server.stats()["jwks_requests"] == 0


def test_asgi_websockets_need_a_token_and_lifespan_passes(server: DevServer, client: TokenClient) -> None:
    # Called as a server calls it (no WebSocket library in the test tools).
    import asyncio

    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri)
    seen: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    app = TokenMiddleware(inner, verifier, scopes=SCOPE)

    async def call(scope: dict[str, Any]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent

    assert asyncio.run(call({"type": "websocket", "headers": []})) == [{"type": "websocket.close", "code": 1008}]
    assert seen == []
    assert asyncio.run(call({"type": "lifespan"})) == []
    assert seen == [{"type": "lifespan"}]
    token = client.get_token(scope=SCOPE)
    header = [(b"authorization", token.authorization_header().encode())]
    assert asyncio.run(call({"type": "websocket", "headers": header, "state": {"shared": 1}})) == []
    assert seen[-1]["state"]["m2m_claims"].client_id == "demo-client"
    assert seen[-1]["state"]["shared"] == 1
