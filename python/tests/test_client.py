"""TokenClient and Token against the dev server."""

from __future__ import annotations

import datetime
import gc
import pickle
import time
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
    # Instants are seconds since the epoch, durations seconds (floats).
    now = time.time()
    assert isinstance(token.expires_at, float) and isinstance(token.refresh_at, float)
    assert now < token.refresh_at < token.expires_at
    assert abs((token.expires_at - now) - token.expires_in) < 5
    # Cached: the same object, no new request.
    for _ in range(100):
        assert client.get_token() is token
    assert server.token_requests() == 1
    stats = client.stats()
    assert (stats.fetches, stats.misses, stats.failures) == (1, 1, 0)
    assert stats.hits >= 100
    assert client.stats() == client.stats()
    assert stats.as_dict()["fetches"] == 1
    assert list(stats.as_dict()) == [
        "hits",
        "misses",
        "fetches",
        "refreshes",
        "failures",
        "shared_hits",
        "store_errors",
        "throttles",
        "quota_remaining",
    ]
    assert repr(stats).startswith("Stats(hits=")


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


def test_from_env_reads_every_type(server: DevServer) -> None:
    env = {
        "M2M_AUTH_TOKEN_URL": server.token_url,
        "M2M_AUTH_CLIENT_ID": "demo-client",
        "M2M_AUTH_CLIENT_SECRET": "demo-secret",
        "M2M_AUTH_SCOPE": "read:data write:data",
        "M2M_AUTH_EXTRA": "foo=bar",
        "M2M_AUTH_TIMEOUT": "5.5",
        "M2M_AUTH_MAX_ATTEMPTS": "2",
        "M2M_AUTH_REFRESH_RATIO": "0.5",
        "M2M_AUTH_NO_PROXY": "true",
        "M2M_AUTH_CACHE_STRICT": "false",
        "M2M_AUTH_ORGANIZATION": "",  # empty: not set
    }
    token = TokenClient.from_env(env).get_token()
    assert token.scope == "read:data write:data"
    assert server.requests()[-1]["body"].endswith("foo=bar")
    with pytest.raises(ConfigError, match="M2M_AUTH_TIMEOUT"):
        TokenClient.from_env({**env, "M2M_AUTH_TIMEOUT": "soon"})
    with pytest.raises(ConfigError, match="M2M_AUTH_NO_PROXY"):
        TokenClient.from_env({**env, "M2M_AUTH_NO_PROXY": "perhaps"})
    with pytest.raises(TypeError, match="'retry'"):
        TokenClient.from_env(env, retry=3)  # type: ignore[call-arg]


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


def test_unknown_option_is_a_type_error(make_client: Callable[..., TokenClient], server: DevServer) -> None:
    # Python's convention: the keyword is named.
    with pytest.raises(TypeError, match="TokenClient.. got an unexpected keyword argument 'retry'"):
        make_client(retry=3)
    with pytest.raises(TypeError, match="'environ'"):
        make_client(environ={})
    assert server.token_requests() == 0


@pytest.mark.parametrize(
    "options, needle",
    [
        ({"no_proxy": "yes"}, "no_proxy"),
        ({"max_attempts": 1.5}, "max_attempts"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"retry_jitter": "a little"}, "retry_jitter"),
        ({"client_secret": 42}, "client_secret"),
        ({"ca_certs": 42}, "ca_certs"),
        ({"resource": [1]}, "resource"),
        ({"leeway": float("nan")}, "leeway"),
    ],
)
def test_values_of_the_wrong_shape_are_config_errors(
    make_client: Callable[..., TokenClient], options: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigError, match=needle):
        make_client(**options)


@pytest.mark.parametrize(
    "cache",
    [
        "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
        "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster/0",
    ],
)
def test_redis_cluster_and_sentinel_urls_are_accepted(make_client: Callable[..., TokenClient], cache: str) -> None:
    make_client(cache=cache).close()  # no connection before the first miss


@pytest.mark.parametrize(
    "cache", ["redis+cluster://u:hunter2@h1:7000,,h2:7001", "redis+sentinel://u:hunter2@h1:26379"]
)
def test_malformed_cluster_and_sentinel_urls_are_config_errors(
    make_client: Callable[..., TokenClient], cache: str
) -> None:
    with pytest.raises(ConfigError, match="cache URL is not valid") as info:
        make_client(cache=cache)
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)


def test_retry_options_are_flat(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    assert not hasattr(m2m_auth, "RetryPolicy")
    server.faults([{"status": 503}], repeat_last=True)
    client = make_client(max_attempts=2, retry_base_delay=datetime.timedelta(milliseconds=10), retry_jitter=0.0)
    with pytest.raises(m2m_auth.HTTPError):
        client.get_token()
    assert server.token_requests() == 2


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
