from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devserver import DevServer  # noqa: E402

import m2m_auth  # noqa: E402

# A client secret that must never show up anywhere (repr, errors, logs).
CANARY = "canary-S3CRET+/=&%-7f3a9c"
AUDIENCE = "https://api.example.com"


@pytest.fixture
def server() -> Iterator[DevServer]:
    """A fresh dev server: a new port, so a new cache key for every test."""
    s = DevServer()
    s.add_client(
        {
            "client_id": "canary-client",
            "client_secret": CANARY,
            "token_lifetime": 3600,
        }
    )
    yield s
    s.stop()


@pytest.fixture
def make_client(server: DevServer) -> Callable[..., m2m_auth.TokenClient]:
    """Builds clients of the demo client against ``server``."""

    def make(**options: Any) -> m2m_auth.TokenClient:
        opts: dict[str, Any] = {
            "token_url": server.token_url,
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "audience": AUDIENCE,
            "no_proxy": True,
            "retry_base_delay": 0.02,
        }
        opts.update(options)
        return m2m_auth.TokenClient(**opts)

    return make


@pytest.fixture
def client(make_client: Callable[..., m2m_auth.TokenClient]) -> m2m_auth.TokenClient:
    return make_client()
