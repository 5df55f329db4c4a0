"""A TLS Redis as the shared cache (docs/design.md §4, issue #16): a TLS-only
redis-server with a CA made for this run (tests/cross/redis_topology.py),
reached through ``rediss://`` and trusted through ``ca_certs``. Two clients
with memory caches of their own make one token request; without
``ca_certs`` the store fails (a ``cache`` error when strict) and callers
still get tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from devserver import REPO, DevServer

from m2m_auth import CacheError, TokenClient

sys.path.insert(0, str(REPO / "tests" / "cross"))
import redis_topology  # noqa: E402


@pytest.fixture(scope="module")
def tls_redis() -> Iterator[tuple[str, str]]:
    with redis_topology.start_tls() as (url, ca_pem):
        yield url, ca_pem


def test_rediss_with_ca_certs_shares_one_token(
    server: DevServer, make_client: Callable[..., TokenClient], tls_redis: tuple[str, str]
) -> None:
    url, ca_pem = tls_redis
    # max_cache_keys: each client gets a memory cache of its own, as another process would.
    a, b = (make_client(cache=url, ca_certs=ca_pem, max_cache_keys=16, store_timeout=5.0) for _ in range(2))
    assert a.get_token().access_token == b.get_token().access_token
    print(f"python rediss://: 2 clients -> {server.token_requests()} token request(s)")
    assert server.token_requests() == 1
    assert b.stats().shared_hits == 1
    assert a.stats().store_errors == 0 and b.stats().store_errors == 0


def test_rediss_without_ca_certs_degrades(
    server: DevServer, make_client: Callable[..., TokenClient], tls_redis: tuple[str, str]
) -> None:
    url, _ = tls_redis
    with pytest.raises(CacheError, match="certificate"):
        make_client(cache=url, cache_strict=True, max_cache_keys=16, store_timeout=5.0).get_token()
    client = make_client(cache=url, max_cache_keys=16)
    assert client.get_token().access_token
    assert client.stats().store_errors > 0
