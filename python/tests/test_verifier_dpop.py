"""The verifier's DPoP side from Python (issue #14, docs/design.md §11),
without an HTTP framework: the options, `verify_http_request` (sync and
asyncio) on DPoP-bound tokens from the dev server with proofs made by the
client and by PyJWT (an independent JOSE library), `challenge` (the free
one's pair plus the DPoP-Nonce) and `dpop_nonce`; and the canary: no token
or proof text in any error, repr or log record."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from conftest import AUDIENCE
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from devserver import REPO, DevServer
from dpop_check import b64url
from jwt.algorithms import ECAlgorithm

from m2m_auth import ConfigError, InsufficientScopeError, InvalidTokenError, TokenClient, Verifier, challenge

PEM = REPO / "core" / "tests" / "verify_keys" / "p256.pem"
ALGS = 'algs="ES256 ES384 EdDSA RS256 PS256"'
URL = "https://api.example/things"
SECRET = "a-nonce-secret-of-at-least-32-bytes!!"


def make_verifier(server: DevServer, **options: Any) -> Verifier:
    return Verifier(issuer=server.issuer, audience=AUDIENCE, jwks_uri=server.jwks_uri, **options)


def pyjwt_proof(token: str, method: str, url: str, nonce: str | None = None) -> str:
    """A DPoP proof made by PyJWT with core's P-256 test key, not by m2m_auth."""
    key = load_pem_private_key(PEM.read_bytes(), password=None)
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)  # type: ignore[union-attr]
    claims: dict[str, Any] = {"htm": method, "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4()),
                              "ath": b64url(hashlib.sha256(token.encode()).digest())}
    if nonce is not None:
        claims["nonce"] = nonce
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": jwk})  # type: ignore[arg-type]


def test_the_options_are_checked_by_the_engine(server: DevServer) -> None:
    for mode in ("allowed", "required", "off"):
        make_verifier(server, dpop=mode)
    make_verifier(server, dpop_algorithms=["ES256"], dpop_max_age=30.0, dpop_replay_cache_size=10)
    with pytest.raises(ConfigError):
        make_verifier(server, dpop="sometimes")
    with pytest.raises(ConfigError):
        make_verifier(server, dpop_nonce=True, dpop_nonce_secret="short")
    with pytest.raises(ConfigError):
        make_verifier(server, dpop_max_age="60")
    assert make_verifier(server).dpop_nonce() is None
    one = make_verifier(server, dpop_nonce=True, dpop_nonce_secret=SECRET)
    two = make_verifier(server, dpop_nonce=True, dpop_nonce_secret=SECRET)
    nonce = one.dpop_nonce()
    assert nonce and nonce == two.dpop_nonce()  # the same secret: every process agrees
    assert SECRET not in repr(one)


def test_a_dpop_token_with_its_proof_is_verified(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True, scope="read:data")
    token = client.get_token()
    verifier = make_verifier(server)
    proof = client.dpop_proof("GET", URL + "?page=1", token)
    claims = verifier.verify_http_request("GET", URL + "?page=1", token.authorization_header(), proof, "read:data")
    assert claims.client_id == "demo-client"
    # The same proof again is a replay; a proof for another request is refused.
    with pytest.raises(InvalidTokenError) as e:
        verifier.verify_http_request("GET", URL, token.authorization_header(), proof)
    assert e.value.reason == "dpop_replay"
    other = client.dpop_proof("POST", URL, token)
    with pytest.raises(InvalidTokenError) as e:
        verifier.verify_http_request("GET", URL, token.authorization_header(), other)
    assert e.value.reason == "dpop_proof"
    # Several DPoP headers (joined) are refused; no proof at all too.
    two = client.dpop_proof("GET", URL, token) + ", " + client.dpop_proof("GET", URL, token)
    for dpop in (two, None):
        with pytest.raises(InvalidTokenError) as e:
            verifier.verify_http_request("GET", URL, token.authorization_header(), dpop)
        assert e.value.reason == "dpop_proof"
    # The bound token as Bearer.
    with pytest.raises(InvalidTokenError) as e:
        verifier.verify_http_request("GET", URL, "Bearer " + token.access_token)
    assert e.value.reason == "dpop_bound"
    status, header, nonce = verifier.challenge(e.value, "Bearer " + token.access_token)
    assert (status, header, nonce) == (401, f'DPoP error="invalid_token", error_description="dpop_bound", {ALGS}', None)
    # Scopes come after the proof.
    with pytest.raises(InsufficientScopeError) as s:
        verifier.verify_http_request("GET", URL, token.authorization_header(), client.dpop_proof("GET", URL, token),
                                     ["read:data", "admin"])
    assert verifier.challenge(s.value, token.authorization_header(), "api") == (
        403, f'DPoP realm="api", error="insufficient_scope", scope="read:data admin", {ALGS}', None)


def test_a_proof_made_by_pyjwt_is_verified(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    client = make_client(dpop=True, dpop_key_file=str(PEM))
    token = client.get_token()
    verifier = make_verifier(server, dpop="required")

    async def run() -> None:
        claims = await verifier.verify_http_request_async(
            "DELETE", URL, "DPoP " + token.access_token, pyjwt_proof(token.access_token, "DELETE", URL))
        assert claims.client_id == "demo-client"

    asyncio.run(run())
    assert verifier.verify_http_request("GET", URL, "dpop " + token.access_token,
                                        pyjwt_proof(token.access_token, "GET", URL)).client_id == "demo-client"
    # Nonce mode: without the API's nonce, use_dpop_nonce and the nonce to use.
    noncing = make_verifier(server, dpop_nonce=True, dpop_nonce_secret=SECRET)
    with pytest.raises(InvalidTokenError) as e:
        noncing.verify_http_request("GET", URL, "DPoP " + token.access_token,
                                    pyjwt_proof(token.access_token, "GET", URL))
    assert e.value.reason == "dpop_nonce"
    status, header, nonce = noncing.challenge(e.value, "DPoP " + token.access_token)
    assert (status, header) == (401, f'DPoP error="use_dpop_nonce", error_description="dpop_nonce", {ALGS}')
    assert nonce is not None and nonce == noncing.dpop_nonce()
    proof = pyjwt_proof(token.access_token, "GET", URL, nonce)
    assert noncing.verify_http_request("GET", URL, "DPoP " + token.access_token, proof).client_id == "demo-client"


def test_challenges_without_a_token(server: DevServer, client: TokenClient) -> None:
    with pytest.raises(InvalidTokenError) as e:
        make_verifier(server).verify_http_request("GET", URL, None)
    missing = e.value
    assert make_verifier(server).challenge(missing) == (401, f"Bearer, DPoP {ALGS}", None)
    assert make_verifier(server, dpop="required").challenge(missing, None, "api") == (
        401, f'DPoP realm="api", {ALGS}', None)
    assert make_verifier(server, dpop="off").challenge(missing) == (401, "Bearer", None)
    # The free challenge stays Bearer-only.
    assert challenge(missing) == (401, "Bearer")
    # Bearer tokens are verified as before, and refused with dpop required.
    bearer = client.get_token(scope="read:data").authorization_header()
    assert make_verifier(server).verify_http_request("GET", URL, bearer, None, "read:data").client_id == "demo-client"
    with pytest.raises(InvalidTokenError) as e:
        make_verifier(server, dpop="required").verify_http_request("GET", URL, bearer)
    status, header, _ = make_verifier(server, dpop="required").challenge(e.value, bearer)
    assert status == 401 and header is not None and header.startswith("DPoP ")


def test_no_token_or_proof_shows(
    server: DevServer, make_client: Callable[..., TokenClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(1, logger="m2m_auth")  # the lowest level: the engine logs at TRACE
    client = make_client(dpop=True)
    token = client.get_token()
    verifier = make_verifier(server, dpop_nonce=True, dpop_nonce_secret=SECRET)
    shown: list[str] = [repr(verifier)]
    proofs = [client.dpop_proof("GET", URL, token), pyjwt_proof(token.access_token, "GET", URL)]
    head, payload, signature = proofs[0].split(".")
    proofs.append(f"{head}.{payload}.{signature[:-4]}AAAA")
    for proof in proofs:
        for authorization in (token.authorization_header(), "Bearer " + token.access_token):
            with pytest.raises(InvalidTokenError) as e:
                verifier.verify_http_request("GET", URL, authorization, proof)
            shown += [str(e.value), repr(e.value), repr(e.value.args), repr(vars(e.value))]
            shown += [str(x) for x in verifier.challenge(e.value, authorization)]
    text = "\n".join(shown) + caplog.text
    for secret in [token.access_token, *proofs]:
        for part in secret.split("."):
            assert part not in text


def test_verify_http_request_waits_for_keys_without_holding_the_gil_or_the_loop() -> None:
    # test_verifier.py's slow JWKS endpoint (a Python thread: it answers only
    # while the verifying thread has released the GIL), its vector token.
    from test_verifier import VALID, VECTORS, JwksServer, remote_verifier

    bearer = "Bearer " + VALID["token"]
    for run in ("sync", "async"):
        slow = JwksServer(json.dumps(VECTORS["jwks"]).encode(), delay=0.3)
        try:
            verifier = remote_verifier(slow.url)
            if run == "sync":
                claims = verifier.verify_http_request("GET", URL, bearer, None, "read:things")
                assert claims.jwt_id == "valid-rs256"
                continue

            async def main() -> int:
                ticks = 0

                async def count() -> None:
                    nonlocal ticks
                    while True:
                        ticks += 1
                        await asyncio.sleep(0.001)

                counter = asyncio.ensure_future(count())
                got = await asyncio.gather(*(verifier.verify_http_request_async("GET", URL, bearer) for _ in range(5)))
                counter.cancel()
                assert all(c.jwt_id == "valid-rs256" for c in got)
                return ticks

            # A blocked loop: 0 or 1 tick during the 0.3 s fetch.
            assert asyncio.run(main()) > 10
            assert slow.requests == 1
        finally:
            slow.stop()
