"""fork(): a child gets tokens, and its stats and the parent's are each consistent.

The engine handles fork() (docs/design.md §4, §8): the child uses the same
client, with its own runtime and connections; tokens it inherited are served,
a request in flight at the fork is discarded and made again; stats stay one
set per client, so a child's counts go on from the parent's at the fork, and
the parent never sees the child's.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import warnings
from typing import Callable

import pytest
from devserver import DevServer

from m2m_auth import Token, TokenClient

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")


def in_child(fn: Callable[[], None]) -> int:
    """Runs `fn` in a forked child; its exit status (0: `fn` returned)."""
    with warnings.catch_warnings():
        # 3.12+: "This process is multi-threaded, use of fork() may lead to
        # deadlocks in the child" -- exactly what is tested here.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            fn()
            code = 0
        except BaseException as e:
            print("child failed:", repr(e), file=sys.stderr)
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(child, 9)
            os.waitpid(child, 0)
            raise AssertionError("the forked child hung")
        time.sleep(0.02)


def plus(stats: dict[str, int | None], **more: int) -> dict[str, int | None]:
    # quota_remaining is a reading (None here), not a counter.
    return {name: value if value is None else value + more.get(name, 0) for name, value in stats.items()}


def test_child_forked_while_the_parent_holds_a_cached_token(
    server: DevServer, make_client: Callable[..., TokenClient]
) -> None:
    client = make_client()
    parent = client.get_token()  # the runtime and a pooled connection exist
    asyncio.run(client.fetch_token_async())
    parent = client.get_token()
    at_fork = client.stats().as_dict()
    assert (at_fork["misses"], at_fork["fetches"]) == (2, 2)

    def child() -> None:
        assert client.get_token() is parent  # inherited, served from the cache
        fresh = client.fetch_token()  # I/O in the child: its own runtime
        assert fresh.access_token != parent.access_token
        assert client.get_token().access_token == fresh.access_token

        async def main() -> Token:
            return await client.fetch_token_async()

        assert asyncio.run(main()).token_type == "Bearer"
        other = make_client(scope="write:data")
        assert other.get_token().scope == "write:data"
        # One set of stats per client: the parent's at the fork, plus the child's calls.
        got = client.stats().as_dict()
        want = plus(at_fork, hits=2, misses=2, fetches=2)
        assert got == want, (got, want)
        assert (other.stats().misses, other.stats().fetches) == (1, 1)

    assert in_child(child) == 0
    # The parent goes on as before, and never sees the child's counts.
    assert client.stats().as_dict() == at_fork
    assert client.get_token().access_token == parent.access_token
    assert client.fetch_token().token_type == "Bearer"
    assert client.stats().as_dict() == plus(at_fork, hits=1, misses=1, fetches=1)
    # parent: 2, child: 3, parent again: 1
    assert server.token_requests() == 6


def test_child_forked_while_a_request_is_in_flight(
    server: DevServer, make_client: Callable[..., TokenClient]
) -> None:
    server.faults([{"delay_ms": 1500}])  # the parent's request only
    client = make_client()
    result: list[Token] = []
    waiter = threading.Thread(target=lambda: result.append(client.get_token()))
    waiter.start()
    deadline = time.monotonic() + 10
    while server.token_requests() < 1:  # the request reached the server
        assert time.monotonic() < deadline, "the request did not start"
        time.sleep(0.01)
    at_fork = client.stats().as_dict()
    assert (at_fork["misses"], at_fork["fetches"]) == (1, 1)

    def child() -> None:
        # The inherited request is discarded: the child makes its own.
        start = time.monotonic()
        token = client.get_token()
        assert time.monotonic() - start < 1.0, "the child waited for the parent's request"
        assert client.get_token() is token

        async def main() -> Token:
            return await client.get_token_async()

        assert asyncio.run(main()) is token
        got = client.stats().as_dict()
        want = plus(at_fork, misses=1, fetches=1, hits=2)
        assert got == want, (got, want)

    assert in_child(child) == 0
    waiter.join(10)
    assert not waiter.is_alive()
    (token,) = result
    # The parent's request completed as if nothing had happened.
    assert client.get_token() is token
    got = client.stats().as_dict()
    assert got == plus(at_fork, hits=1), got
    assert got["failures"] == 0
    assert server.token_requests() == 2
