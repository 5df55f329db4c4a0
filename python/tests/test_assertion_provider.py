"""client_assertion_provider from Python: a callable (sync or ``async def``)
signs a fresh assertion for every attempt, retries included, from the sync
and the async client; the dev server verifies each and refuses a reused jti.
A provider that raises (or returns something else than a JWS) gives a
ConfigError chained to its exception, and no token request is sent; what it
returns is never in a repr or an error.

The assertions are HS256 (client_secret_jwt-style, signed with the standard
library): the engine sends whatever the provider returns, and the server
checks it with the client's registered secret."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
from devserver import DevServer

import m2m_auth
from m2m_auth import AssertionRequest, ConfigError, TokenClient

CLIENT_ID = "py-provider"
SECRET = "a shared secret the provider signs with, long enough for HS256"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(request: AssertionRequest) -> str:
    """A fresh assertion for `request` (a new jti each time)."""
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({
        "iss": request.client_id, "sub": request.client_id, "aud": request.audience,
        "iat": now, "exp": now + 60, "jti": secrets.token_hex(16),
    }).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(signature)}"


def client_for(server: DevServer, provider: Any, **options: Any) -> TokenClient:
    server.add_client({"client_id": CLIENT_ID, "client_secret": SECRET, "auth_methods": ["client_secret_jwt"]})
    return TokenClient(token_url=server.token_url, client_id=CLIENT_ID, client_assertion_provider=provider,
                       no_proxy=True, max_cache_keys=50, retry_base_delay=0.01, **options)


def sent(server: DevServer) -> list[str]:
    return [parse_qs(r["body"])["client_assertion"][0] for r in server.requests()]


class Recorder:
    """A sync provider that signs and remembers each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[AssertionRequest, str]] = []

    def __call__(self, request: AssertionRequest) -> str:
        jws = sign(request)
        self.calls.append((request, jws))
        return jws


def test_a_sync_provider_is_asked_for_every_request_and_every_attempt(server: DevServer) -> None:
    provider = Recorder()
    client = client_for(server, provider)
    assert client.auth_method == "private_key_jwt"
    for _ in range(3):
        client.get_token()
        client.invalidate()
    assert len(provider.calls) == 3
    for request, _ in provider.calls:
        assert request == AssertionRequest(CLIENT_ID, server.token_url, server.token_url)
        with pytest.raises(AttributeError):
            request.audience = "x"  # type: ignore[misc]
    assert len(set(sent(server))) == 3 == server.token_requests()
    # A 503, then a token: two attempts, two calls, two assertions.
    server.faults([{"status": 503}])
    client.fetch_token()
    assert len(provider.calls) == 5
    assert provider.calls[3][1] != provider.calls[4][1]
    assert server.token_requests() == 5


def test_an_async_provider_runs_on_the_waiting_callers_loop(server: DevServer) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def provider(request: AssertionRequest) -> str:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0.001)
        return sign(request)

    async def main() -> asyncio.AbstractEventLoop:
        client = client_for(server, provider)
        for _ in range(3):
            await client.get_token_async()
            client.invalidate()
        return asyncio.get_running_loop()

    caller_loop = asyncio.run(main())
    assert loops == [caller_loop] * 3
    assert server.token_requests() == 3 and len(set(sent(server))) == 3


def test_an_async_provider_works_with_the_sync_client(server: DevServer) -> None:
    threads: list[str] = []

    async def provider(request: AssertionRequest) -> str:
        threads.append(threading.current_thread().name)
        await asyncio.sleep(0.001)
        return sign(request)

    client = client_for(server, provider)
    for _ in range(3):
        client.get_token()
        client.invalidate()
    # On a loop of its own, on an engine thread, not the caller's.
    assert len(threads) == 3 and threading.current_thread().name not in threads
    assert server.token_requests() == 3


class VaultDown(Exception):
    pass


def test_a_provider_that_raises_is_a_config_error_chained_to_it_and_no_request(server: DevServer) -> None:
    def provider(request: AssertionRequest) -> str:
        raise VaultDown("vault unreachable; token was eyJCANARY")

    async def async_provider(request: AssertionRequest) -> str:
        raise VaultDown("async too")

    for p in (provider, async_provider):
        client = client_for(server, p)
        with pytest.raises(ConfigError) as e:
            client.get_token()
        assert "client_assertion_provider failed: VaultDown" in str(e.value)
        assert isinstance(e.value.__cause__, VaultDown)
        assert "CANARY" not in str(e.value) + repr(e.value)
        assert e.value.code == "config"

    async def from_async_client() -> None:
        client = client_for(server, provider)
        with pytest.raises(ConfigError) as e:
            await client.get_token_async()
        assert isinstance(e.value.__cause__, VaultDown)

    asyncio.run(from_async_client())
    assert server.token_requests() == 0


@pytest.mark.parametrize("value", [42, None, b"a.b.c", "", "not-a-jws-CANARY", "eyJh." + "A" * 20000 + ".c2ln"])
def test_what_is_not_an_assertion_is_a_config_error_never_quoted(server: DevServer, value: Any) -> None:
    client = client_for(server, lambda request: value)
    with pytest.raises(ConfigError) as e:
        client.get_token()
    text = str(e.value) + repr(e.value) + repr(e.value.__cause__)
    assert "client_assertion_provider" in text
    assert "CANARY" not in text and "AAAAAAAA" not in text
    if not isinstance(value, str):
        assert isinstance(e.value.__cause__, TypeError)
    assert server.token_requests() == 0


def test_the_assertion_never_shows_and_bad_options_are_config_errors(server: DevServer) -> None:
    provider = Recorder()
    client = client_for(server, provider)
    token = client.get_token()
    jws = provider.calls[0][1]
    for text in (repr(client), repr(token), str(client.stats())):
        assert not any(part in text for part in jws.split("."))
    with pytest.raises(ConfigError, match="client_assertion_provider"):
        TokenClient(token_url=server.token_url, client_id="x", client_assertion_provider="not callable")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        client_for(server, provider, auth_method="client_secret_post", client_secret="s")
    with pytest.raises(ConfigError):
        client_for(server, provider, client_assertion="a.b.c")
    assert m2m_auth.AssertionRequest is AssertionRequest
