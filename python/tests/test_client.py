"""TokenClient and Token against the dev server."""

from __future__ import annotations

import datetime
import gc
import pickle
import urllib.parse
from typing import Any, Callable

import pytest
from conftest import AUDIENCE, CANARY
from devserver import DevServer

import m2m_auth
from m2m_auth import ConfigError, Token, TokenClient


def test_get_token_then_cache(server: DevServer, client: TokenClient) -> None:
    token = client.get_token()
    assert isinstance(token, Token)
    assert token.token_type == "Bearer"
    assert token.access_token.count(".") == 2  # the dev server's JWT
    assert token.authorization_header() == f"Bearer {token.access_token}"
    assert 3500 < token.expires_in <= 86400
    assert token.scope == "read:data write:data"
    assert token.extra == {}
    assert len(token.fingerprint) == 16
    assert token.expires_at.tzinfo is not None
    now = datetime.datetime.now(datetime.timezone.utc)
    assert token.expires_at > now
    assert now < token.refresh_at < token.expires_at
    # Cached: the same object, no new request.
    for _ in range(100):
        assert client.get_token() is token
    assert server.token_requests() == 1
    stats = client.stats()
    assert (stats.fetches, stats.misses, stats.failures) == (1, 1, 0)
    assert stats.hits >= 100
    assert client.stats() == client.stats()


def test_token_repr_never_shows_the_token(client: TokenClient) -> None:
    token = client.get_token()
    for text in (repr(token), str(token)):
        assert token.access_token not in text
        assert token.access_token[:20] not in text
        assert token.fingerprint in text
        assert "Bearer" in text
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_token_is_immutable(client: TokenClient) -> None:
    token = client.get_token()
    with pytest.raises(AttributeError):
        token.access_token = "x"  # type: ignore[misc]


def test_user_agent_and_form(server: DevServer, client: TokenClient) -> None:
    client.get_token()
    (req,) = server.requests()
    assert req["headers"]["user-agent"] == f"m2m-auth/{m2m_auth.__version__} (python)"
    form = dict(urllib.parse.parse_qsl(req["body"]))
    assert form["grant_type"] == "client_credentials"
    assert form["audience"] == AUDIENCE
    assert form["client_id"] == "demo-client"


def test_per_call_overrides_are_separate_keys(server: DevServer, client: TokenClient) -> None:
    a = client.get_token()
    b = client.get_token(scope="read:data")
    c = client.get_token(scope=["read:data"])
    assert a.access_token != b.access_token
    assert b.access_token == c.access_token
    assert b.scope == "read:data"
    assert server.token_requests() == 2
    d = client.get_token(extra={"foo": "bar"})
    assert d.access_token not in (a.access_token, b.access_token)
    assert server.requests()[-1]["body"].endswith("foo=bar")


def test_fetch_token_bypasses_the_cache(server: DevServer, client: TokenClient) -> None:
    first = client.get_token()
    second = client.fetch_token()
    assert second.access_token != first.access_token
    assert client.get_token().access_token == second.access_token
    assert server.token_requests() == 2


def test_invalidate(server: DevServer, client: TokenClient) -> None:
    first = client.get_token()
    client.invalidate()
    second = client.get_token()
    assert first.access_token != second.access_token
    assert server.token_requests() == 2


def test_clients_share_the_process_wide_cache(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    a = make_client().get_token()
    b = make_client().get_token()
    assert a.access_token == b.access_token
    assert server.token_requests() == 1


def test_call_api(server: DevServer, client: TokenClient) -> None:
    r = client.call_api("GET", server.api_url)
    assert r.status == 200
    assert r.json()["ok"] is True
    assert '"ok":true' in r.text()
    assert isinstance(r.body, bytes)
    assert ("content-type", "application/json") in r.headers
    assert "200" in repr(r)


def test_call_api_renews_once_on_401(server: DevServer, client: TokenClient) -> None:
    client.get_token()
    server.faults([{"status": 401, "json": {"error": "invalid_token"}}], target="api")
    r = client.call_api("GET", server.api_url)
    assert r.status == 200
    assert server.token_requests() == 2
    assert server.api_requests() == 2


def test_from_env(server: DevServer) -> None:
    env = {
        "M2M_AUTH_TOKEN_URL": server.token_url,
        "M2M_AUTH_CLIENT_ID": "demo-client",
        "M2M_AUTH_CLIENT_SECRET": "demo-secret",
        "M2M_AUTH_AUDIENCE": AUDIENCE,
        "M2M_AUTH_SCOPE": "read:data",
        "M2M_AUTH_AUTH_METHOD": "client_secret_basic",
    }
    client = TokenClient.from_env(env, no_proxy=True)
    assert isinstance(client, TokenClient)
    assert client.client_id == "demo-client"
    assert client.auth_method == "client_secret_basic"
    token = client.get_token()
    assert token.scope == "read:data"
    (req,) = server.requests()
    assert req["headers"]["authorization"].startswith("Basic ")
    # Explicit options win over the environment.
    other = TokenClient.from_env(env, no_proxy=True, auth_method="client_secret_post")
    assert other.auth_method == "client_secret_post"


def test_from_env_reads_os_environ(server: DevServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("M2M_AUTH_TOKEN_URL", server.token_url)
    monkeypatch.setenv("M2M_AUTH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("M2M_AUTH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setenv("M2M_AUTH_AUDIENCE", AUDIENCE)
    assert TokenClient.from_env(no_proxy=True).get_token().token_type == "Bearer"


@pytest.mark.parametrize(
    "options, needle",
    [
        ({"token_url": None}, "exactly one of token_url"),
        ({"domain": "tenant.example.com"}, "exactly one of token_url"),
        ({"token_url": "http://example.com/oauth/token"}, "http://"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"auth_method": "carrier_pigeon"}, "auth_method"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"scope": 42}, "scope"),
        ({"extra": {"client_secret": "x"}}, "client_secret"),
        ({"extra": ["a"]}, "extra"),
        ({"cache": "carrier-pigeon://coop"}, "cache"),
        ({"refresh_ratio": 2.0}, "refresh_ratio"),
    ],
)
def test_config_errors_before_any_io(
    server: DevServer, make_client: Callable[..., TokenClient], options: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        make_client(**options)
    assert needle in str(info.value)
    assert info.value.code == "config"
    assert isinstance(info.value, ValueError)
    assert server.token_requests() == 0


def test_durations_accept_timedelta(make_client: Callable[..., TokenClient]) -> None:
    client = make_client(timeout=datetime.timedelta(seconds=5), leeway=1.5, connect_timeout=2)
    assert client.get_token().token_type == "Bearer"


def test_retry_policy() -> None:
    p = m2m_auth.RetryPolicy(max_attempts=5, base_delay=datetime.timedelta(milliseconds=250))
    assert p.max_attempts == 5
    assert p.base_delay == 0.25
    assert p.max_retry_after == 3600.0
    assert "max_attempts=5" in repr(p)


def test_close_and_context_managers(make_client: Callable[..., TokenClient]) -> None:
    with make_client() as client:
        assert not client.closed
        client.get_token()
    assert client.closed
    with pytest.raises(ConfigError, match="closed"):
        client.get_token()
    assert "closed" in repr(client)

    async def main() -> None:
        async with make_client() as c:
            await c.get_token_async()
        assert c.closed
        with pytest.raises(ConfigError):
            await c.get_token_async()

    import asyncio

    asyncio.run(main())


def test_client_repr_and_pickle_hide_the_secret(make_client: Callable[..., TokenClient]) -> None:
    client = make_client(client_id="canary-client", client_secret=CANARY)
    assert CANARY not in repr(client)
    assert "canary-client" in repr(client)
    with pytest.raises(TypeError):
        pickle.dumps(client)


def test_subclass_and_gc(make_client: Callable[..., TokenClient]) -> None:
    import weakref

    client = make_client()
    client.get_token()
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None
