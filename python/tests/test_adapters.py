"""m2m_auth.httpx and m2m_auth.requests against the dev server's /api."""

from __future__ import annotations

import asyncio

import httpx
import requests
from devserver import DevServer

from m2m_auth import TokenClient
from m2m_auth.httpx import M2MAuth as HttpxAuth
from m2m_auth.requests import M2MAuth as RequestsAuth

API_401 = [{"status": 401, "json": {"error": "invalid_token"}}]


def no_proxy_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def test_httpx_sync(server: DevServer, client: TokenClient) -> None:
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        for _ in range(3):
            r = http.get(server.api_url)
            assert r.status_code == 200 and r.json()["ok"] is True
    assert server.token_requests() == 1
    assert server.api_requests() == 3


def test_httpx_sync_renews_once_on_401(server: DevServer, client: TokenClient) -> None:
    first = client.get_token()
    server.faults(API_401, target="api")
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        r = http.post(server.api_url, content=b"payload")
    assert r.status_code == 200
    assert client.get_token().access_token != first.access_token
    assert server.token_requests() == 2
    assert server.api_requests() == 2


def test_httpx_gives_up_after_one_renewal(server: DevServer, client: TokenClient) -> None:
    server.faults(API_401, repeat_last=True, target="api")
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        r = http.get(server.api_url)
    assert r.status_code == 401
    assert server.api_requests() == 2
    assert server.token_requests() == 2


def test_httpx_async(server: DevServer, client: TokenClient) -> None:
    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False) as http:
            rs = await asyncio.gather(*(http.get(server.api_url) for _ in range(10)))
            return [r.status_code for r in rs]

    assert asyncio.run(main()) == [200] * 10
    assert server.token_requests() == 1


def test_httpx_async_renews_once_on_401(server: DevServer, client: TokenClient) -> None:
    client.get_token()
    server.faults(API_401, target="api")

    async def main() -> int:
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False) as http:
            return (await http.get(server.api_url)).status_code

    assert asyncio.run(main()) == 200
    assert server.token_requests() == 2
    assert server.api_requests() == 2


def test_httpx_request_overrides(server: DevServer, client: TokenClient) -> None:
    with httpx.Client(auth=HttpxAuth(client, scope="read:data"), trust_env=False) as http:
        r = http.get(server.api_url)
    assert r.json()["scope"] == "read:data"


def test_requests(server: DevServer, client: TokenClient) -> None:
    s = no_proxy_session()
    s.auth = RequestsAuth(client)
    for _ in range(3):
        r = s.get(server.api_url)
        assert r.status_code == 200 and r.json()["ok"] is True
    assert server.token_requests() == 1


def test_requests_renews_once_on_401(server: DevServer, client: TokenClient) -> None:
    first = client.get_token()
    server.faults(API_401, target="api")
    s = no_proxy_session()
    r = s.post(server.api_url, data=b"payload", auth=RequestsAuth(client))
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401]
    assert r.request.headers["Authorization"] != f"Bearer {first.access_token}"
    assert server.token_requests() == 2
    assert server.api_requests() == 2


def test_requests_renews_a_file_body(server: DevServer, client: TokenClient, tmp_path: object) -> None:
    import io

    server.faults(API_401, target="api")
    body = io.BytesIO(b"file payload")
    r = no_proxy_session().post(server.api_url, data=body, auth=RequestsAuth(client))
    assert r.status_code == 200
    recorded = server.api_requests()
    assert recorded == 2


def test_requests_gives_up_after_one_renewal(server: DevServer, client: TokenClient) -> None:
    server.faults(API_401, repeat_last=True, target="api")
    r = no_proxy_session().get(server.api_url, auth=RequestsAuth(client))
    assert r.status_code == 401
    assert server.api_requests() == 2
    assert server.token_requests() == 2


def test_requests_overrides(server: DevServer, client: TokenClient) -> None:
    r = no_proxy_session().get(server.api_url, auth=RequestsAuth(client, scope=["write:data"]))
    assert r.json()["scope"] == "write:data"


def test_adapters_refuse_http_to_a_non_loopback_host(server: DevServer, client: TokenClient) -> None:
    import pytest

    from m2m_auth import ConfigError

    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        with pytest.raises(ConfigError, match="http://"):
            http.get("http://api.example.com/things")
    with pytest.raises(ConfigError, match="http://"):
        no_proxy_session().get("http://api.example.com/things", auth=RequestsAuth(client))
    assert server.token_requests() == 0


def test_invalidate_rejected_keeps_a_renewal(server: DevServer, client: TokenClient) -> None:
    old = client.get_token()
    renewed = client.fetch_token()  # another caller renewed it meanwhile
    client.invalidate_rejected(old)  # a late 401 for the old token
    assert client.get_token().access_token == renewed.access_token
    assert server.token_requests() == 2
    client.invalidate_rejected(renewed.access_token)  # a 401 for the current one
    assert client.get_token().access_token != renewed.access_token
    assert server.token_requests() == 3


def test_concurrent_401s_renew_once(server: DevServer, client: TokenClient) -> None:
    client.get_token()
    server.faults([{"status": 401, "json": {"error": "invalid_token"}, "count": 8}], target="api")

    async def main() -> list[int]:
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False) as http:
            rs = await asyncio.gather(*(http.get(server.api_url) for _ in range(8)))
            return [r.status_code for r in rs]

    assert asyncio.run(main()) == [200] * 8
    # One renewal for the eight 401s to the same token.
    assert server.token_requests() == 2
