"""The engine's rule for which headers a token goes with, from Python:
`request_headers` for a Bearer and a DPoP token, `dpop_response` with a
Bearer token, and redirects followed by the requests and httpx adapters (to
the dev server's /api on the same origin, which checks DPoP proofs, and to a
test-local server on another origin, which records what it got)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import requests
from devserver import DevServer
from dpop_check import verify_proof

from m2m_auth import ConfigError, TokenClient
from m2m_auth.httpx import M2MAuth as HttpxAuth
from m2m_auth.requests import M2MAuth as RequestsAuth

NONCE_CHALLENGE = 'DPoP error="use_dpop_nonce", algs="ES256"'


class Landing:
    """An HTTP server on 127.0.0.1 (another origin than the dev server's)
    that answers 200 and keeps the headers of every request."""

    def __init__(self) -> None:
        seen: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(401 if self.path == "/401" else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.seen = seen
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/landing"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def landing() -> Iterator[Landing]:
    s = Landing()
    yield s
    s.stop()


def test_a_bearer_token_gets_authorization_only(server: DevServer, client: TokenClient) -> None:
    token = client.get_token()
    headers = client.request_headers("GET", server.api_url, token)
    assert headers == {"Authorization": f"Bearer {token.access_token}"}
    with httpx.Client(trust_env=False) as http:
        assert http.get(server.api_url, headers=headers).status_code == 200
    # A Bearer answer is no DPoP answer: False, nothing remembered.
    assert client.dpop_response(server.api_url, token, 401, NONCE_CHALLENGE, "n-1") is False


def test_a_dpop_token_gets_a_proof(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True)
    token = client.get_token()
    headers = client.request_headers("POST", server.api_url + "?q=1", token)
    assert set(headers) == {"Authorization", "DPoP"}
    assert headers["Authorization"] == f"DPoP {token.access_token}"
    _, claims = verify_proof(headers["DPoP"], "POST", server.api_url, token.access_token)
    assert "nonce" not in claims
    with httpx.Client(trust_env=False) as http:
        assert http.post(server.api_url + "?q=1", headers=headers, content=b"x").status_code == 200
    # The nonce the engine was handed is in the next headers.
    assert client.dpop_response(server.api_url, token, 401, NONCE_CHALLENGE, "n-1") is True
    again = client.request_headers("GET", server.api_url, token)
    assert verify_proof(again["DPoP"], "GET", server.api_url, token.access_token)[1]["nonce"] == "n-1"
    # A Bearer token from another client: no proof answer is read for it.
    bearer = make_client().get_token()
    assert client.dpop_response(server.api_url, bearer, 401, NONCE_CHALLENGE, "n-2") is False
    assert verify_proof(client.request_headers("GET", server.api_url, token)["DPoP"], "GET",
                        server.api_url, token.access_token)[1]["nonce"] == "n-1"


def test_the_url_rule_and_bad_arguments(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True)
    token = client.get_token()
    for bad in ("http://example.com/api", "https://u:p@example.com/", "https://example.com/#f", "/api"):
        with pytest.raises(ConfigError):
            client.request_headers("GET", bad, token)
    with pytest.raises(ConfigError, match="HTTP method"):
        client.request_headers("GE T", server.api_url, token)
    with pytest.raises(TypeError):
        client.request_headers("GET", server.api_url, token.access_token)  # type: ignore[arg-type]
    # A DPoP token handed to a client without DPoP: no key to prove it with.
    with pytest.raises(ConfigError, match="dpop on"):
        make_client().request_headers("GET", server.api_url, token)


def via_requests(client: TokenClient, method: str, url: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    with session:
        return session.request(method, url, auth=RequestsAuth(client), data=b"x" if method == "POST" else None)


def via_httpx(client: TokenClient, method: str, url: str) -> httpx.Response:
    with httpx.Client(auth=HttpxAuth(client), trust_env=False, follow_redirects=True) as http:
        return http.request(method, url, content=b"x" if method == "POST" else None)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("dpop", [True, False], ids=["dpop", "bearer"])
def test_requests_redirect_on_the_same_origin_gets_new_headers(
    server: DevServer, make_client: Callable[..., TokenClient], method: str, dpop: bool
) -> None:
    client = make_client(dpop=dpop)
    token = client.get_token()
    # 302: requests follows with GET; the copied proof (POST, or the same
    # jti for GET) would be refused by /api.
    server.faults([{"redirect": server.api_url + "?hop=1"}], target="api")
    r = via_requests(client, method, server.api_url)
    assert r.status_code == 200, r.text
    assert [h.status_code for h in r.history] == [302]
    assert r.request.url == server.api_url + "?hop=1"
    assert r.request.headers["Authorization"] == token.authorization_header()
    if dpop:
        verify_proof(r.request.headers["DPoP"], "GET", server.api_url, token.access_token)
    else:
        assert "DPoP" not in r.request.headers
    assert server.stats()["token_requests"] == 1


def test_requests_redirect_chain_and_307(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True)
    token = client.get_token()
    server.faults([{"redirect": server.api_url + "?hop=1", "status": 307},
                   {"redirect": server.api_url + "?hop=2", "status": 307}], target="api")
    r = via_requests(client, "POST", server.api_url)
    assert r.status_code == 200, r.text
    assert [h.status_code for h in r.history] == [307, 307]
    verify_proof(r.request.headers["DPoP"], "POST", server.api_url, token.access_token)


@pytest.mark.parametrize("dpop", [True, False], ids=["dpop", "bearer"])
def test_requests_redirect_to_another_origin_carries_no_token(
    server: DevServer, make_client: Callable[..., TokenClient], landing: Landing, dpop: bool
) -> None:
    client = make_client(dpop=dpop)
    server.faults([{"redirect": landing.url}], target="api")
    r = via_requests(client, "GET", server.api_url)
    assert (r.status_code, r.text) == (200, "ok")
    (got,) = landing.seen
    assert "authorization" not in got and "dpop" not in got, got


def test_httpx_redirect_on_the_same_origin_is_sent_again_with_new_headers(
    server: DevServer, make_client: Callable[..., TokenClient]
) -> None:
    client = make_client(dpop=True)
    token = client.get_token()
    server.faults([{"redirect": server.api_url + "?hop=1"}], target="api")
    r = via_httpx(client, "POST", server.api_url)
    assert r.status_code == 200, r.text
    # httpx sent the redirect with the first proof (refused), then this
    # auth sent it with its own headers (the 302 is not kept: the auth
    # flow's step replaces the history httpx's redirect gave its answer).
    assert [h.status_code for h in r.history] == [401]
    assert str(r.request.url) == server.api_url + "?hop=1"
    verify_proof(r.request.headers["DPoP"], "GET", server.api_url, token.access_token)
    stats = server.stats()
    assert (stats["api_requests"], stats["token_requests"]) == (3, 1), "no renewal"


def test_httpx_redirect_to_another_origin_carries_no_token(
    server: DevServer, make_client: Callable[..., TokenClient], landing: Landing
) -> None:
    client = make_client(dpop=True)
    server.faults([{"redirect": landing.url}], target="api")
    r = via_httpx(client, "GET", server.api_url)
    assert (r.status_code, r.text) == (200, "ok")
    (got,) = landing.seen
    # httpx drops Authorization across origins; the proof it copies is of
    # no use without the token (docs: leave follow_redirects off).
    assert "authorization" not in got, got
    # A 401 from another origin renews nothing and sends no token there.
    landing.seen.clear()
    server.faults([{"redirect": landing.url.replace("/landing", "/401")}], target="api")
    via_httpx(client, "GET", server.api_url)
    assert all("authorization" not in h for h in landing.seen)
    assert server.stats()["token_requests"] == 1
