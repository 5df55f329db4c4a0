"""The verifier (the API side): every conformance vector of tests/verify/vectors.json
(tokens signed by an independent JOSE library; each CVE class is a vector;
DPoP requests with that library's proofs), sync and async, and tokens from
the dev server verified through its JWKS.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import AUDIENCE
from devserver import REPO, DevServer

import m2m_auth
from m2m_auth import (
    Claims,
    InsufficientScopeError,
    InvalidTokenError,
    M2MAuthError,
    TokenClient,
    Verifier,
    VerifierStats,
    challenge,
)

VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "verify" / "vectors.json").read_text())
CASES: list[dict[str, Any]] = [c for c in VECTORS["cases"] if "http_requests" not in c]
# The cases of HTTP requests (DPoP), run in order on one verifier each.
HTTP_CASES: list[dict[str, Any]] = [c for c in VECTORS["cases"] if "http_requests" in c]
CLAIM_FIELDS = ["issuer", "subject", "audience", "client_id", "scopes", "expires_at", "issued_at", "not_before", "jwt_id"]


def vector_param(case: dict[str, Any]) -> Any:
    return pytest.param(case, id=case["name"])


def vector_verifier(case: dict[str, Any]) -> Verifier:
    """The case's verifier: its options plus the static JWKS (nothing fetched)."""
    jwks = case.get("jwks", VECTORS["jwks"])
    return Verifier(**case["options"], jwks=json.dumps(jwks))


def check_outcome(case: dict[str, Any], outcome: Claims | BaseException) -> None:
    expect = case["expect"]
    if expect["ok"]:
        assert isinstance(outcome, Claims), f"{case['name']}: {outcome!r}"
        got = {name: getattr(outcome, name) for name in CLAIM_FIELDS}
        assert got == expect["claims"], case["name"]
        for name in CLAIM_FIELDS:
            assert (got[name] is None) == (expect["claims"][name] is None)
        return
    assert isinstance(outcome, M2MAuthError), f"{case['name']}: {outcome!r}"
    assert outcome.code == expect["code"], (case["name"], outcome)
    if expect["code"] == "invalid_token":
        assert isinstance(outcome, InvalidTokenError)
        assert outcome.reason == expect["reason"], (case["name"], outcome)
    if expect["code"] == "insufficient_scope":
        assert isinstance(outcome, InsufficientScopeError)
        assert outcome.required_scope == expect["required_scope"], case["name"]
    # Never the token, nor its payload or signature, in the error.
    parts = [p for p in case["token"].split(".")[1:] if len(p) > 8]
    text = f"{outcome} {outcome!r} {vars(outcome)}"
    assert not case["token"] or case["token"] not in text
    assert not any(p in text for p in parts), case["name"]


def run_sync(case: dict[str, Any], verifier: Verifier) -> Claims | BaseException:
    try:
        if "request" in case:
            r = case["request"]
            return verifier.verify_request(r["authorization"], r["scopes"])
        return verifier.verify(case["token"])
    except M2MAuthError as e:
        return e


async def run_async(case: dict[str, Any], verifier: Verifier) -> Claims | BaseException:
    try:
        if "request" in case:
            r = case["request"]
            return await verifier.verify_request_async(r["authorization"], r["scopes"])
        return await verifier.verify_async(case["token"])
    except M2MAuthError as e:
        return e


def test_the_vectors_are_all_here() -> None:
    assert VECTORS["format"] == 1
    names = [c["name"] for c in VECTORS["cases"]]
    assert len(names) == len(set(names)) >= 144
    assert len(HTTP_CASES) >= 50


@pytest.mark.parametrize("case", [vector_param(c) for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    if case["expect"] == {"ok": False, "code": "config"}:
        with pytest.raises(m2m_auth.ConfigError):
            vector_verifier(case)
        return
    verifier = vector_verifier(case)
    check_outcome(case, run_sync(case, verifier))
    # The verified-token cache changes no outcome: a second time is the same.
    check_outcome(case, run_sync(case, verifier))
    stats = verifier.stats()
    if case["expect"]["ok"]:
        assert (stats.verified, stats.cache_hits, stats.failures) == (2, 1, 0)
    elif case["expect"]["code"] == "invalid_token":
        assert (stats.verified, stats.failures) == (0, 2)
    assert stats.jwks_fetches == 0


@pytest.mark.parametrize("case", [vector_param(c) for c in CASES if c["expect"].get("code") != "config"])
def test_vector_async(case: dict[str, Any]) -> None:
    verifier = vector_verifier(case)
    check_outcome(case, asyncio.run(run_async(case, verifier)))


def test_one_verifier_shared_across_cases() -> None:
    # As a long-lived API shares one verifier: each default-option case, in
    # turn, against one verifier and one cache.
    verifier = Verifier(issuer=VECTORS["issuer"], audience=VECTORS["audience"], jwks=json.dumps(VECTORS["jwks"]))
    default = {"issuer": VECTORS["issuer"], "audience": [VECTORS["audience"]]}
    shared = [c for c in CASES if c["options"] == default and "jwks" not in c]
    assert len(shared) > 50
    for case in shared + shared:
        check_outcome(case, run_sync(case, verifier))


def check_step(case: dict[str, Any], i: int, outcome: Claims | BaseException) -> None:
    """Request `i` of an http_requests case against its expect; neither the
    token nor the proof (a private jwk member among them) in an error."""
    step = case["http_requests"][i]
    check_outcome({"name": f"{case['name']} request {i}", "expect": step["expect"], "token": case["token"]}, outcome)
    if isinstance(outcome, BaseException):
        text = f"{outcome} {outcome!r} {vars(outcome)}"
        for header in (step["authorization"], step["dpop"]):
            for part in (header or "").replace(",", " ").replace(".", " ").split():
                assert len(part) <= 16 or part not in text, (case["name"], i)


@pytest.mark.parametrize("case", [vector_param(c) for c in HTTP_CASES])
def test_http_vector(case: dict[str, Any]) -> None:
    verifier = vector_verifier(case)
    for i, step in enumerate(case["http_requests"]):
        try:
            got: Claims | BaseException = verifier.verify_http_request(
                step["method"], step["url"], step["authorization"], step["dpop"], step["scopes"]
            )
        except M2MAuthError as e:
            got = e
        check_step(case, i, got)
    stats = verifier.stats()
    refused = sum(s["expect"].get("code") == "invalid_token" for s in case["http_requests"])
    assert (stats.failures, stats.jwks_fetches) == (refused, 0), case["name"]


@pytest.mark.parametrize("case", [vector_param(c) for c in HTTP_CASES])
def test_http_vector_async(case: dict[str, Any]) -> None:
    # A verifier of its own: the proofs are new to it.
    verifier = vector_verifier(case)

    async def run() -> None:
        for i, step in enumerate(case["http_requests"]):
            try:
                got: Claims | BaseException = await verifier.verify_http_request_async(
                    step["method"], step["url"], step["authorization"], step["dpop"], step["scopes"]
                )
            except M2MAuthError as e:
                got = e
            check_step(case, i, got)

    asyncio.run(run())


# -- claims, errors, options ----------------------------------------------------

VALID = next(c for c in CASES if c["name"] == "valid-rs256")


def test_claims_give_every_claim() -> None:
    claims = vector_verifier(VALID).verify(VALID["token"])
    assert claims["iss"] == VECTORS["issuer"] == claims.get("iss")
    assert claims.get("no_such_claim") is None and claims.get("no_such_claim", 7) == 7
    with pytest.raises(KeyError):
        claims["no_such_claim"]
    assert "exp" in claims and "no_such_claim" not in claims
    assert claims.as_dict() == json.loads(claims.to_json())
    assert claims.as_dict()["exp"] == claims.expires_at
    assert claims.has_scope("read:things") and not claims.has_scope("read")
    assert VALID["token"] not in repr(claims)
    assert "client-123" in repr(claims)


def test_invalid_token_error() -> None:
    case = next(c for c in CASES if c["name"] == "expired")
    with pytest.raises(InvalidTokenError) as info:
        vector_verifier(case).verify(case["token"])
    e = info.value
    assert (e.code, e.reason, e.required_scope) == ("invalid_token", "expired", None)
    copy = pickle.loads(pickle.dumps(e))
    assert (type(copy), copy.reason, str(copy)) == (InvalidTokenError, "expired", str(e))
    assert challenge(e) == (401, 'Bearer error="invalid_token", error_description="expired"')
    assert challenge(e, "api") == (401, 'Bearer realm="api", error="invalid_token", error_description="expired"')


def test_insufficient_scope_error_and_challenges() -> None:
    verifier = vector_verifier(VALID)
    header = "Bearer " + VALID["token"]
    with pytest.raises(InsufficientScopeError) as info:
        verifier.verify_request(header, ["read:things", "admin"])
    e = info.value
    assert (e.code, e.required_scope, e.reason) == ("insufficient_scope", "read:things admin", None)
    assert isinstance(e, M2MAuthError)
    assert challenge(e) == (403, 'Bearer error="insufficient_scope", scope="read:things admin"')
    # Scopes as one space-separated str, as a tuple, or none.
    assert verifier.verify_request(header, "read:things write:things").jwt_id == "valid-rs256"
    assert verifier.verify_request(header, ("write:things",)).jwt_id == "valid-rs256"
    assert verifier.verify_request(header).jwt_id == "valid-rs256"
    with pytest.raises(InvalidTokenError) as missing:
        verifier.verify_request(None)
    assert challenge(missing.value) == (401, "Bearer")
    assert challenge(m2m_auth.TransportError("down", kind="connect")) == (503, None)
    assert challenge(ValueError("not ours")) == (503, None)


def test_bad_arguments_and_options() -> None:
    with pytest.raises(TypeError, match="'audiance'"):
        Verifier(issuer="https://issuer.example/", audiance="x")  # type: ignore[call-arg]
    with pytest.raises(m2m_auth.ConfigError, match="leeway"):
        Verifier(issuer="https://issuer.example/", audience="a", leeway="soon")  # type: ignore[typeddict-item]
    with pytest.raises(m2m_auth.ConfigError):
        Verifier(issuer="https://issuer.example/", audience="a", algorithms=["HS256"], jwks="{}")
    with pytest.raises(m2m_auth.ConfigError):
        Verifier(issuer="https://issuer.example/", audience="a", jwks_uri="http://example.com/jwks")
    verifier = vector_verifier(VALID)
    with pytest.raises(TypeError):
        verifier.verify(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verifier.verify_request("Bearer x", [1])  # type: ignore[list-item]
    assert "issuer.example" in repr(verifier)


def test_stats() -> None:
    verifier = vector_verifier(VALID)
    assert isinstance(verifier.stats(), VerifierStats)
    verifier.verify(VALID["token"])
    verifier.verify(VALID["token"])
    with pytest.raises(InvalidTokenError):
        verifier.verify("x.y.z")
    stats = verifier.stats()
    assert stats.as_dict() == {"verified": 2, "cache_hits": 1, "jwks_fetches": 0, "failures": 1}
    assert "cache_hits=1" in repr(stats)
    assert stats == verifier.stats()


# -- a JWKS over HTTP: fetched once, the GIL released while waiting, outages ------


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 served by a Python thread, so that it can
    only answer while the verifying thread has released the GIL."""

    def __init__(self, body: bytes, delay: float = 0.0, status: int = 200) -> None:
        outer = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    s = JwksServer(json.dumps(VECTORS["jwks"]).encode(), delay=0.3)
    yield s
    s.stop()


def remote_verifier(jwks_uri: str, **options: Any) -> Verifier:
    return Verifier(issuer=VECTORS["issuer"], audience=VECTORS["audience"], jwks_uri=jwks_uri, **options)


def test_verify_fetches_the_jwks_with_the_gil_released(jwks_server: JwksServer) -> None:
    verifier = remote_verifier(jwks_server.url)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        claims = verifier.verify(VALID["token"])
    finally:
        stop.set()
        counter.join()
    assert claims.jwt_id == "valid-rs256"
    # Held GIL: the counter gets no turn during the 0.3 s fetch (0 or 1
    # ticks); released: hundreds on an idle machine, dozens on a loaded
    # one. The line between is far from both (a count, not a timing).
    assert ticks > 10, "another Python thread ran while verify() waited"
    assert verifier.stats().jwks_fetches == 1 == jwks_server.requests
    # The keys are held: every other vector token verifies without a fetch.
    for case in CASES[:10]:
        if "jwks" not in case and "request" not in case and case["options"] == VALID["options"]:
            check_outcome(case, run_sync(case, verifier))
    assert jwks_server.requests == 1


def test_verify_async_fetches_without_blocking_the_loop(jwks_server: JwksServer) -> None:
    verifier = remote_verifier(jwks_server.url)

    async def main() -> tuple[list[Claims], int]:
        ticks = 0

        async def count() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        counter = asyncio.ensure_future(count())
        got = await asyncio.gather(*(verifier.verify_async(VALID["token"]) for _ in range(20)))
        counter.cancel()
        return list(got), ticks

    got, ticks = asyncio.run(main())
    assert all(c.jwt_id == "valid-rs256" for c in got)
    # A blocked loop: 0 or 1 tick during the 0.3 s fetch (see above).
    assert ticks > 10
    assert jwks_server.requests == 1


def test_jwks_unreachable_is_not_an_invalid_token() -> None:
    down = JwksServer(b'{"error":"down"}', status=500)
    try:
        verifier = remote_verifier(down.url, timeout=5)
        with pytest.raises(M2MAuthError) as info:
            verifier.verify(VALID["token"])
        assert not isinstance(info.value, InvalidTokenError), info.value
        assert challenge(info.value) == (503, None)
        with pytest.raises(M2MAuthError) as again:
            asyncio.run(verifier.verify_request_async("Bearer " + VALID["token"], ["read:things"]))
        assert challenge(again.value) == (503, None)
    finally:
        down.stop()


# -- tokens from the dev server (RS256, at+jwt) through its JWKS -----------------


def test_dev_server_tokens_verify_through_its_jwks(server: DevServer, client: TokenClient) -> None:
    token = client.get_token(scope="read:data write:data")
    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri)
    claims = verifier.verify(token.access_token)
    assert (claims.issuer, claims.client_id, claims.subject) == (server.issuer, "demo-client", "demo-client")
    assert claims.audience == [AUDIENCE]
    assert claims.scopes == ["read:data", "write:data"]
    assert abs(claims.expires_at - token.expires_at) < 5
    assert claims.issued_at is not None and claims.jwt_id
    assert claims["gty"] == "client-credentials"
    again = verifier.verify_request(token.authorization_header(), ["read:data"])
    assert again.jwt_id == claims.jwt_id
    stats = verifier.stats()
    assert (stats.jwks_fetches, stats.verified, stats.cache_hits) == (1, 2, 1)
    with pytest.raises(InsufficientScopeError):
        verifier.verify_request(token.authorization_header(), ["admin"])
    assert server.stats()["jwks_requests"] == 1


def test_dev_server_tokens_verify_through_discovery(server: DevServer, client: TokenClient) -> None:
    token = client.get_token()
    verifier = Verifier(issuer=server.issuer, audience=AUDIENCE)
    claims = asyncio.run(verifier.verify_async(token.access_token))
    assert claims.client_id == "demo-client"
    assert server.stats()["discovery_requests"] >= 1
    assert server.stats()["jwks_requests"] == 1
    # Another issuer's verifier refuses the same token.
    other = Verifier(issuer=server.issuer + "/", audience=AUDIENCE, jwks_uri=server.jwks_uri)
    with pytest.raises(InvalidTokenError) as info:
        other.verify(token.access_token)
    assert info.value.reason == "wrong_issuer"
