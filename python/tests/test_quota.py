"""`TokenClient.quota()`: the token quota buckets the dev server reports
(docs/design.md §5, "Token quotas"), and a spent one throttling the key."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from devserver import DevServer

import m2m_auth
from m2m_auth import QuotaBucket, TokenClient


def test_quota_returns_the_buckets_the_server_sent(server: DevServer, client: TokenClient) -> None:
    assert client.quota() == []
    server.faults(
        [
            {
                "headers": {
                    "Auth0-Client-Quota-Limit": "b=per_hour;q=100;r=99;t=3000,b=per_day;q=1000;r=999;t=80000",
                    "Auth0-Organization-Quota-Limit": "b=per_hour;q=500;r=400;t=1200",
                }
            }
        ]
    )
    start = time.time()
    client.get_token()
    buckets = client.quota()
    assert all(isinstance(b, QuotaBucket) for b in buckets)
    assert [(b.scope, b.bucket, b.quota, b.remaining) for b in buckets] == [
        ("client", "per_hour", 100, 99),
        ("client", "per_day", 1000, 999),
        ("organization", "per_hour", 500, 400),
    ]
    assert abs(buckets[0].reset_at - (start + 3000)) < 2
    assert repr(buckets[0]).startswith('QuotaBucket(scope="client", bucket="per_hour", quota=100, remaining=99')


def test_dev_server_quota_spent_throttles_the_key(server: DevServer, make_client: Callable[..., Any]) -> None:
    server.add_client({"client_id": "quota-py", "client_secret": "quota-secret", "token_quota": {"per_hour": 1}})
    client = make_client(client_id="quota-py", client_secret="quota-secret")
    first = client.get_token()
    (bucket,) = client.quota()
    assert (bucket.scope, bucket.bucket, bucket.quota, bucket.remaining) == ("client", "per_hour", 1, 0)
    assert client.get_token().access_token == first.access_token  # still served
    with pytest.raises(m2m_auth.ThrottledError) as e:
        client.fetch_token()
    assert e.value.retry_after is not None and e.value.retry_after > 0
    assert server.token_requests() == 1
