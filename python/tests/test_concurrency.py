"""Threads, asyncio and the GIL (fork(): test_fork.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from typing import Callable

import pytest
from devserver import DevServer

from m2m_auth import TokenClient, TransportError


def test_64_threads_on_a_cold_cache_make_one_request(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 200}])
    barrier = threading.Barrier(64)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            tokens.append(client.get_token().access_token)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(tokens) == 64 and len(set(tokens)) == 1
    assert server.token_requests() == 1


def test_1000_gathered_callers_on_a_cold_cache_make_one_request(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 200}])

    async def main() -> list[str]:
        tokens = await asyncio.gather(*(client.get_token_async() for _ in range(1000)))
        return [t.access_token for t in tokens]

    tokens = asyncio.run(main())
    assert len(tokens) == 1000 and len(set(tokens)) == 1
    assert server.token_requests() == 1
    # The same Python object for every caller of the default request.
    async def again() -> bool:
        a, b = await asyncio.gather(client.get_token_async(), client.get_token_async())
        return a is b

    assert asyncio.run(again())


def test_async_never_blocks_the_loop(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 600}])

    async def main() -> float:
        worst = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                worst = max(worst, now - last)
                last = now

        tick = asyncio.create_task(ticker())
        token = await client.get_token_async()
        assert token.token_type == "Bearer"
        done.set()
        await tick
        return worst

    worst = asyncio.run(main())
    assert worst < 0.15, f"the loop stalled for {worst:.3f} s"


def test_async_is_a_real_coroutine_and_works_with_tasks(client: TokenClient) -> None:
    import inspect

    assert inspect.iscoroutinefunction(client.get_token_async)

    async def main() -> str:
        task = asyncio.create_task(client.fetch_token_async())
        api = await asyncio.wait_for(client.get_token_async(scope="read:data"), 10)
        return (await task).token_type + api.token_type

    assert asyncio.run(main()) == "BearerBearer"


def test_cancelled_async_caller_leaves_the_token_cached(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 300}])

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get_token_async(), 0.05)
        await asyncio.sleep(0.5)
        start = time.perf_counter()
        await client.get_token_async()
        assert time.perf_counter() - start < 0.05

    asyncio.run(main())
    assert server.token_requests() == 1


def test_several_event_loops_in_threads(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 100}])
    results: list[str] = []

    def run() -> None:
        async def main() -> list[str]:
            ts = await asyncio.gather(*(client.get_token_async() for _ in range(50)))
            return [t.access_token for t in ts]

        results.extend(asyncio.run(main()))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200 and len(set(results)) == 1
    assert server.token_requests() == 1


def test_sync_calls_release_the_gil(server: DevServer, client: TokenClient) -> None:
    server.faults([{"delay_ms": 500}])
    counter = 0
    stop = False

    def spin() -> None:
        nonlocal counter
        while not stop:
            counter += 1

    t = threading.Thread(target=spin)
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        t.start()
        time.sleep(0.05)
        before = counter
        client.get_token()
        during = counter - before
    finally:
        stop = True
        t.join()
        sys.setswitchinterval(old)
    # Had the GIL been held for the 500 ms wait, the spinner would not have run.
    assert during > 100_000, during


def test_async_error_is_raised_in_the_caller(make_client: Callable[..., TokenClient]) -> None:
    client = make_client(token_url="http://127.0.0.1:9/oauth/token", timeout=2)

    async def main() -> None:
        with pytest.raises(TransportError) as info:
            await client.get_token_async()
        assert info.value.kind == "connect"

    asyncio.run(main())


def test_no_running_loop_is_an_error(client: TokenClient) -> None:
    with pytest.raises(RuntimeError):
        client._fetch_token_async()


def test_runtime_starts_lazily(server: DevServer) -> None:
    code = (
        "import os, m2m_auth\n"
        f"c = m2m_auth.TokenClient(token_url={server.token_url!r}, client_id='demo-client',"
        " client_secret='demo-secret', no_proxy=True)\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "c.get_token()\n"
        "after = len(os.listdir('/proc/self/task'))\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert out.returncode == 0, out.stderr
    before, after = map(int, out.stdout.split())
    assert before == 1, "importing and building a client started threads"
    assert after > 1


def test_ctrl_c_interrupts_a_blocked_call(server: DevServer) -> None:
    server.faults([{"delay_ms": 5000}])
    code = (
        "import os, signal, threading, time, m2m_auth\n"
        f"c = m2m_auth.TokenClient(token_url={server.token_url!r}, client_id='demo-client',"
        " client_secret='demo-secret', no_proxy=True)\n"
        "threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    c.get_token()\n"
        "except KeyboardInterrupt:\n"
        "    print(round(time.monotonic() - start, 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip(), "no KeyboardInterrupt"
    assert float(out.stdout) < 1.5


def test_stale_token_is_served_while_a_background_refresh_runs(
    server: DevServer, make_client: Callable[..., TokenClient], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    server.add_client({"client_id": "short", "client_secret": "short-secret", "token_lifetime": 4})
    caplog.set_level(logging.DEBUG, logger="m2m_auth")
    client = make_client(client_id="short", client_secret="short-secret", refresh_ratio=0.25, leeway=0.5)
    first = client.get_token()
    time.sleep(1.5)  # past the refresh point (1 s), still usable (until 3.5 s)
    start = time.perf_counter()
    stale = client.get_token()
    assert time.perf_counter() - start < 0.05
    assert stale.access_token == first.access_token
    deadline = time.monotonic() + 5
    while client.stats().refreshes < 1 or server.token_requests() < 2:
        assert time.monotonic() < deadline, "no background refresh"
        time.sleep(0.02)
    # The refresh's record reaches Python logging without any further call.
    deadline = time.monotonic() + 5
    while not any("background=true" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
        time.sleep(0.02)
    renewed = client.get_token()
    assert renewed.access_token != first.access_token
