"""DPoP at the server adapters (issue #14): a real FastAPI app, a raw ASGI
app under uvicorn and a Flask app under werkzeug, each verifying requests
with the dev server's JWKS, called over HTTP by the client adapters (httpx
and requests, which send proofs and answer use_dpop_nonce with one retry)
with DPoP-bound tokens from the dev server, and by hand.

The answers are the engine's (`Verifier.challenge`, docs/design.md §11):
200 with a token and its proof; a replayed proof → 401 `DPoP
error="invalid_dpop_proof"`; the bound token as Bearer → 401 `dpop_bound`;
nonce mode → 401 `use_dpop_nonce` with a `DPoP-Nonce`, one retry, 200 (and
every answer gives the nonce); `dpop="required"` refuses Bearer; a missing
scope → 403 under the DPoP scheme. Never a token or proof in an answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
from conftest import AUDIENCE
from devserver import DevServer
from test_server_adapters import APPS, REALM, SCOPE, Served, assert_no_token
from test_verifier_dpop import PEM, pyjwt_proof

from m2m_auth import TokenClient, Verifier
from m2m_auth.httpx import M2MAuth as HttpxAuth
from m2m_auth.requests import M2MAuth as RequestsAuth

ALGS = 'algs="ES256 ES384 EdDSA RS256 PS256"'
SECRET = "the-api's-nonce-secret-32-bytes-or-more"


def counted(kind: str, app: Any, seen: list[str]) -> Any:
    """`app`, noting the path of every HTTP request that reaches it."""
    if kind == "flask":
        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            seen.append(environ["PATH_INFO"])
            return app(environ, start_response)
        return wsgi

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await app(scope, receive, send)
    return asgi


class Api:
    """One app served on 127.0.0.1 with its verifier and request count."""

    def __init__(self, kind: str, verifier: Verifier) -> None:
        self.seen: list[str] = []
        self.served = Served(kind, counted(kind, APPS[kind](verifier), self.seen))
        self.url = self.served.url + "/things"
        self.realm = REALM[kind]


@pytest.fixture
def api(server: DevServer) -> Iterator[Callable[..., Api]]:
    started: list[Api] = []

    def start(kind: str, **options: Any) -> Api:
        verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri, **options)
        started.append(Api(kind, verifier))
        return started[-1]

    yield start
    for a in started:
        a.served.stop()


def send(url: str, authorization: str | None = None, dpop: str | None = None) -> httpx.Response:
    headers = {k: v for k, v in (("Authorization", authorization), ("DPoP", dpop)) if v is not None}
    return httpx.get(url, headers=headers, timeout=10, trust_env=False)


def body(r: httpx.Response) -> Any:
    """The refusal's JSON (FastAPI puts an HTTPException's under "detail")."""
    data = r.json()
    return data.get("detail", data)


@pytest.mark.parametrize("kind", sorted(APPS))
def test_a_dpop_token_and_its_proof(kind: str, api: Callable[..., Api], make_client: Callable[..., TokenClient]) -> None:
    app = api(kind)
    client = make_client(dpop=True, scope=SCOPE)
    # Through the httpx adapter: a proof per request.
    with httpx.Client(auth=HttpxAuth(client), trust_env=False, timeout=10) as http:
        for _ in range(2):
            r = http.get(app.url)
            assert r.status_code == 200, r.text
            assert r.json()["client_id"] == "demo-client" and "dpop-nonce" not in r.headers
    # By hand: the same proof twice is a replay.
    token = client.get_token()
    proof = client.dpop_proof("GET", app.url, token)
    assert send(app.url, token.authorization_header(), proof).status_code == 200
    r = send(app.url, token.authorization_header(), proof)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        f'DPoP {app.realm}error="invalid_dpop_proof", error_description="dpop_replay", {ALGS}')
    assert body(r) == {"error": "invalid_token", "reason": "dpop_replay"}
    assert_no_token(r, token.access_token)
    assert_no_token(r, proof)
    # The bound token as Bearer, with or without a proof.
    for dpop in (None, client.dpop_proof("GET", app.url, token)):
        r = send(app.url, "Bearer " + token.access_token, dpop)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == (
            f'DPoP {app.realm}error="invalid_token", error_description="dpop_bound", {ALGS}')
    # A proof for another URL.
    r = send(app.url, token.authorization_header(), client.dpop_proof("GET", app.url + "/other", token))
    assert r.status_code == 401 and 'error_description="dpop_proof"' in r.headers["www-authenticate"]
    assert len(app.seen) == 7


@pytest.mark.parametrize("kind", sorted(APPS))
def test_a_proof_made_by_pyjwt(kind: str, api: Callable[..., Api], make_client: Callable[..., TokenClient]) -> None:
    app = api(kind, dpop="required")
    token = make_client(dpop=True, dpop_key_file=str(PEM), scope=SCOPE).get_token()
    r = send(app.url, "DPoP " + token.access_token, pyjwt_proof(token.access_token, "GET", app.url))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("adapter", ["httpx", "requests"])
@pytest.mark.parametrize("kind", sorted(APPS))
def test_nonce_mode_costs_one_retry(
    kind: str, adapter: str, api: Callable[..., Api], make_client: Callable[..., TokenClient]
) -> None:
    app = api(kind, dpop_nonce=True, dpop_nonce_secret=SECRET)
    client = make_client(dpop=True, scope=SCOPE)
    # Without a nonce: 401 use_dpop_nonce with the nonce to use.
    token = client.get_token()
    r = send(app.url, token.authorization_header(), client.dpop_proof("GET", app.url, token))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        f'DPoP {app.realm}error="use_dpop_nonce", error_description="dpop_nonce", {ALGS}')
    assert r.headers["dpop-nonce"]
    client = make_client(dpop=True, scope=SCOPE)  # a client that has no nonce yet
    app.seen.clear()
    if adapter == "httpx":
        with httpx.Client(auth=HttpxAuth(client), trust_env=False, timeout=10) as http:
            answers = [http.get(app.url) for _ in range(2)]
    else:
        with requests.Session() as http:
            http.trust_env = False
            http.auth = RequestsAuth(client)
            answers = [http.get(app.url, timeout=10) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.headers["dpop-nonce"]  # successes give the nonce too
    # The first call: the challenge and one retry; the second: the nonce at once.
    assert len(app.seen) == 3


@pytest.mark.parametrize("kind", sorted(APPS))
def test_dpop_required_refuses_bearer(
    kind: str, api: Callable[..., Api], client: TokenClient, make_client: Callable[..., TokenClient]
) -> None:
    app = api(kind, dpop="required")
    bearer = client.get_token(scope=SCOPE)
    r = send(app.url, bearer.authorization_header())
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith(f"DPoP {app.realm}")
    assert_no_token(r, bearer.access_token)
    r = send(app.url)
    assert r.status_code == 401 and r.headers["www-authenticate"] == f"DPoP {app.realm}{ALGS}"
    # The default (allowed) takes both.
    both = api(kind)
    assert send(both.url, bearer.authorization_header()).status_code == 200
    dpop_client = make_client(dpop=True, scope=SCOPE)
    with httpx.Client(auth=HttpxAuth(dpop_client), trust_env=False, timeout=10) as http:
        assert http.get(both.url).status_code == 200


@pytest.mark.parametrize("kind", sorted(APPS))
def test_a_missing_scope_is_403_under_dpop(
    kind: str, api: Callable[..., Api], make_client: Callable[..., TokenClient]
) -> None:
    app = api(kind)
    client = make_client(dpop=True, scope="write:data")
    with httpx.Client(auth=HttpxAuth(client), trust_env=False, timeout=10) as http:
        r = http.get(app.url)
    assert r.status_code == 403, r.text
    assert r.headers["www-authenticate"] == f'DPoP {app.realm}error="insufficient_scope", scope="{SCOPE}", {ALGS}'
    assert body(r) == {"error": "insufficient_scope", "required_scope": SCOPE}
