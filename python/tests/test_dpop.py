"""DPoP from Python (RFC 9449) against the dev server: DPoP-bound tokens
(`cnf.jkt` == `dpop_thumbprint`), proofs from `dpop_proof` checked by PyJWT
(dpop_check.py), `dpop_response`, and the nonce retries at the token
endpoint and at /api through call_api and each HTTP client adapter. The
key canary is in test_dpop_canary.py."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from devserver import REPO, DevServer
from dpop_check import thumbprint, unverified_claims, verify_proof
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from m2m_auth import ConfigError, TokenClient
from m2m_auth.httpx import M2MAuth as HttpxAuth
from m2m_auth.requests import M2MAuth as RequestsAuth

KEYS = REPO / "core" / "tests" / "verify_keys"
JWK_FILE = REPO / "core" / "tests" / "assertion_keys" / "p256.jwk.json"
NONCE_CHALLENGE = 'DPoP error="use_dpop_nonce", algs="ES256"'


def public_jwk(key: str) -> dict[str, Any]:
    """The public JWK of one of core's test keys, computed here."""
    if key.endswith(".json"):
        jwk = json.loads((JWK_FILE.parent / key).read_text())
        return {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    private = load_pem_private_key((KEYS / key).read_bytes(), password=None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return json.loads(ECAlgorithm.to_jwk(private.public_key()))  # type: ignore[no-any-return]
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    return json.loads(OKPAlgorithm.to_jwk(private.public_key()))  # type: ignore[no-any-return]


def key_options(key: str | None) -> dict[str, Any]:
    if key is None:
        return {}
    if key.endswith(".json"):
        return {"dpop_key": (JWK_FILE.parent / key).read_text()}
    return {"dpop_key_file": str(KEYS / key)}


@pytest.mark.parametrize("key", [None, "p256.pem", "ed25519.pem", "p256.jwk.json"])
def test_a_dpop_token_is_bound_to_the_key(
    server: DevServer, make_client: Callable[..., TokenClient], key: str | None
) -> None:
    client = make_client(dpop=True, **key_options(key))
    token = client.get_token()
    assert token.token_type == "DPoP"
    assert token.authorization_header() == f"DPoP {token.access_token}"
    assert unverified_claims(token.access_token)["cnf"]["jkt"] == client.dpop_thumbprint
    # The token request's proof (the dev server records its headers).
    (sent,) = server.requests()
    header, _ = verify_proof(sent["headers"]["dpop"], "POST", server.token_url)
    assert thumbprint(header["jwk"]) == client.dpop_thumbprint
    if key is not None:
        assert thumbprint(public_jwk(key)) == client.dpop_thumbprint
    # A proof for an API call, sent by hand with another HTTP client.
    proof = client.dpop_proof("GET", server.api_url + "?page=2", token)
    header, claims = verify_proof(proof, "GET", server.api_url, token.access_token)
    assert thumbprint(header["jwk"]) == client.dpop_thumbprint
    with httpx.Client(trust_env=False) as http:
        r = http.get(server.api_url + "?page=2",
                     headers={"Authorization": token.authorization_header(), "DPoP": proof})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert client.dpop_response(server.api_url, token, r.status_code, r.headers.get("www-authenticate"),
                                r.headers.get("dpop-nonce")) is False
    # Every proof is new; without a token, no ath; a str token works too.
    again = client.dpop_proof("GET", server.api_url, token.access_token)
    assert verify_proof(again, "GET", server.api_url, token.access_token)[1]["jti"] != claims["jti"]
    verify_proof(client.dpop_proof("DELETE", server.url + "/things/1"), "DELETE", server.url + "/things/1")
    assert server.stats()["dpop_api_requests"] == 1


def test_dpop_off(make_client: Callable[..., TokenClient], server: DevServer) -> None:
    client = make_client()
    assert client.dpop_thumbprint is None
    with pytest.raises(ConfigError, match="dpop"):
        client.dpop_proof("GET", server.api_url)
    token = client.get_token()
    assert client.dpop_response(server.api_url, token, 401, NONCE_CHALLENGE, "n-1") is False
    assert token.token_type == "Bearer"
    assert "dpop" not in server.requests()[0]["headers"]


def test_bad_arguments(make_client: Callable[..., TokenClient], server: DevServer) -> None:
    client = make_client(dpop=True)
    with pytest.raises(ConfigError, match="absolute URL"):
        client.dpop_proof("GET", "/api")
    with pytest.raises(ConfigError, match="HTTP method"):
        client.dpop_proof("GE T", server.api_url)
    with pytest.raises(TypeError, match="access_token"):
        client.dpop_proof("GET", server.api_url, 42)  # type: ignore[arg-type]
    assert client.dpop_response("not a url", client.get_token(), 401, NONCE_CHALLENGE, "n") is False
    with pytest.raises(TypeError):
        client.dpop_response(server.api_url, "a str", 401)  # type: ignore[arg-type]
    client.close()
    with pytest.raises(ConfigError, match="closed"):
        client.dpop_proof("GET", server.api_url)


def test_dpop_response_names_only_the_nonce_challenge(make_client: Callable[..., TokenClient], server: DevServer) -> None:
    client = make_client(dpop=True)
    token = client.get_token()
    url = server.api_url
    assert client.dpop_response(url, token, 401, NONCE_CHALLENGE, "n-1") is True
    assert client.dpop_response(url, token, 401, NONCE_CHALLENGE, None) is False  # no nonce to retry with
    assert client.dpop_response(url, token, 401, 'DPoP error="invalid_token"', "n-1") is False
    assert client.dpop_response(url, token, 400, NONCE_CHALLENGE, "n-1") is False
    assert client.dpop_response(url, token, 200) is False
    # The nonce it was handed goes into the next proof for that server.
    client.dpop_response(url, token, 200, None, "n-2")
    assert verify_proof(client.dpop_proof("GET", url), "GET", url)[1]["nonce"] == "n-2"


def test_nonce_at_the_token_endpoint(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.dpop(nonce_token=True)
    client = make_client(dpop=True)
    assert client.get_token().token_type == "DPoP"
    stats = server.stats()
    # The nonce demand, then the request with the nonce: one token, no retry counted.
    assert (stats["dpop_token_requests"], stats["dpop_nonce_token_requests"]) == (2, 1)
    assert client.stats().failures == 0


# -- the nonce at /api through call_api and each adapter ------------------------


def via_call_api(client: TokenClient, url: str) -> int:
    return client.call_api("GET", url).status


def via_httpx(client: TokenClient, url: str) -> int:
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        return http.post(url, content=b"payload").status_code


def via_httpx_async(client: TokenClient, url: str) -> int:
    async def main() -> int:
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False) as http:
            return (await http.get(url)).status_code

    return asyncio.run(main())


def via_requests(client: TokenClient, url: str) -> int:
    session = requests.Session()
    session.trust_env = False
    session.auth = RequestsAuth(client)
    r = session.post(url, data=b"payload")
    # A nonce challenge answered stays in the history, like a renewed 401.
    assert all(h.status_code == 401 for h in r.history)
    return r.status_code


CALLERS = [via_call_api, via_httpx, via_httpx_async, via_requests]


@pytest.mark.parametrize("call", CALLERS, ids=lambda f: f.__name__)
def test_api_nonce_gets_one_retry(
    server: DevServer, make_client: Callable[..., TokenClient], call: Callable[[TokenClient, str], int]
) -> None:
    server.dpop(nonce_api=True)
    client = make_client(dpop=True)
    assert call(client, server.api_url) == 200  # 401 use_dpop_nonce, then with the nonce
    assert server.stats()["dpop_api_requests"] == 2
    assert call(client, server.api_url) == 200  # the nonce remembered: one request
    assert server.stats()["dpop_api_requests"] == 3
    server.dpop(rotate=True)
    assert call(client, server.api_url) == 200
    stats = server.stats()
    assert (stats["dpop_api_requests"], stats["token_requests"]) == (5, 1), "retries, not renewals"


@pytest.mark.parametrize("call", CALLERS, ids=lambda f: f.__name__)
def test_nonce_on_both_endpoints_from_the_start(
    server: DevServer, make_client: Callable[..., TokenClient], call: Callable[[TokenClient, str], int]
) -> None:
    server.dpop(nonce_token=True, nonce_api=True)
    client = make_client(dpop=True)
    assert call(client, server.api_url) == 200
    stats = server.stats()
    assert (stats["token_requests"], stats["dpop_nonce_token_requests"]) == (2, 1)
    # One server (origin), one nonce: the token endpoint's is already the API's.
    assert stats["dpop_api_requests"] == 1


@pytest.mark.parametrize("call", CALLERS, ids=lambda f: f.__name__)
def test_one_nonce_retry_then_one_renewal(
    server: DevServer, make_client: Callable[..., TokenClient], call: Callable[[TokenClient, str], int]
) -> None:
    # An API that asks for a nonce again and again: one retry with it, then
    # the usual one renewal on 401, then its answer.
    client = make_client(dpop=True)
    client.get_token()
    server.faults([{"status": 401, "json": {"error": "use_dpop_nonce"},
                    "headers": {"WWW-Authenticate": NONCE_CHALLENGE, "DPoP-Nonce": "n-1"}}],
                  repeat_last=True, target="api")
    assert call(client, server.api_url) == 401
    stats = server.stats()
    assert (stats["api_requests"], stats["token_requests"]) == (3, 2)


@pytest.mark.parametrize("call", CALLERS[1:], ids=lambda f: f.__name__)
def test_bearer_through_the_adapters_sends_no_proof(
    server: DevServer, client: TokenClient, call: Callable[[TokenClient, str], int]
) -> None:
    server.faults([{"status": 401, "json": {"error": "use_dpop_nonce"},
                    "headers": {"WWW-Authenticate": NONCE_CHALLENGE, "DPoP-Nonce": "n-1"}}],
                  target="api")
    assert call(client, server.api_url) == 200  # a Bearer token: the 401 renews it
    stats = server.stats()
    assert (stats["api_requests"], stats["token_requests"], stats["dpop_api_requests"]) == (2, 2, 0)


def test_requests_sends_a_file_body_again_after_the_nonce_and_the_renewal(
    server: DevServer, make_client: Callable[..., TokenClient]
) -> None:
    client = make_client(dpop=True)
    first = client.get_token()
    server.faults([
        {"status": 401, "headers": {"WWW-Authenticate": NONCE_CHALLENGE, "DPoP-Nonce": "n-1"}},
        {"status": 401, "headers": {"WWW-Authenticate": 'DPoP error="invalid_token"'}},
    ], target="api")
    session = requests.Session()
    session.trust_env = False
    r = session.post(server.api_url + "?q=1", data=io.BytesIO(b"file payload"), auth=RequestsAuth(client))
    # 200: each time the whole body went (Content-Length says 12 bytes).
    assert r.status_code == 200 and [h.status_code for h in r.history] == [401, 401]
    renewed = client.get_token()
    assert renewed.access_token != first.access_token
    # What the adapter sent each time: a proof for that request and token.
    sent = [*(h.request for h in r.history), r.request]
    for request, token in zip(sent, [first, first, renewed]):
        assert request.headers["Authorization"] == f"DPoP {token.access_token}"
        verify_proof(request.headers["DPoP"], "POST", server.api_url, token.access_token)
    assert verify_proof(sent[1].headers["DPoP"], "POST", server.api_url, first.access_token)[1]["nonce"] == "n-1"
    stats = server.stats()
    assert (stats["api_requests"], stats["token_requests"]) == (3, 2)


def test_httpx_proofs_are_for_each_request(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True)
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        for method in ("GET", "POST"):
            r = http.request(method, server.api_url + "?page=1", content=b"x" if method != "GET" else None)
            assert r.status_code == 200
            token = client.get_token()
            assert r.request.headers["Authorization"] == f"DPoP {token.access_token}"
            verify_proof(r.request.headers["DPoP"], method, server.api_url, token.access_token)
