"""OpenTelemetry (docs/design.md §12): spans and metrics of token requests
through opentelemetry-api's global providers, read back with the SDK's
InMemorySpanExporter and InMemoryMetricReader; never a secret or token; the
names those of the engine (tests/surface.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import AUDIENCE, CANARY
from devserver import DevServer

import m2m_auth
from m2m_auth import _telemetry

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

SURFACE = Path(__file__).resolve().parents[2] / "tests" / "surface.json"

# The global providers can be set once per process: this module's.
SPANS = InMemorySpanExporter()
_tracer_provider = TracerProvider()
_tracer_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_tracer_provider)
READER = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[READER]))


def spans_of(client_id: str) -> list[Any]:
    m2m_auth._native._flush_logs()
    return [s for s in SPANS.get_finished_spans() if (s.attributes or {}).get(_telemetry.ATTR_CLIENT_ID) == client_id]


def points(name: str, client_id: str | None = None, outcome: str | None = None) -> list[Any]:
    data = READER.get_metrics_data()
    out = []
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name != name:
                    continue
                for p in m.data.data_points:
                    a = dict(p.attributes or {})
                    if client_id is not None and a.get(_telemetry.ATTR_CLIENT_ID) != client_id:
                        continue
                    if outcome is not None and a.get(_telemetry.ATTR_OUTCOME) != outcome:
                        continue
                    out.append(p)
    return out


def test_the_names_are_the_engines() -> None:
    names = json.loads(SURFACE.read_text())["telemetry"]
    assert _telemetry.SCOPE == names["scope"]
    assert _telemetry.SPAN == names["span"]
    assert list(_telemetry.ATTRIBUTES) == names["attributes"]
    assert [list(m) for m in _telemetry.METRICS] == names["metrics"]


def test_a_token_request_is_a_span_without_secrets(server: DevServer, make_client: Callable[..., Any]) -> None:
    server.add_client({"client_id": "otel-py", "client_secret": CANARY, "token_lifetime": 3600})
    client = make_client(client_id="otel-py", client_secret=CANARY)
    token = client.get_token()
    client.get_token()
    (span,) = spans_of("otel-py")
    assert span.name == "m2m_auth.token_request"
    assert span.instrumentation_scope.name == "m2m_auth"
    a = dict(span.attributes or {})
    assert a["m2m_auth.outcome"] == "ok"
    assert a["m2m_auth.attempt"] == 1
    assert a["http.response.status_code"] == 200
    assert a["url.full"] == server.token_url
    assert a["server.address"] == "127.0.0.1"
    assert len(a["m2m_auth.key_fingerprint"]) == 16
    assert a["m2m_auth.background"] is False
    assert span.end_time >= span.start_time
    shown = repr(span.to_json())
    assert CANARY not in shown and token.access_token not in shown


def test_a_failed_request_has_its_code_status_and_attempts(server: DevServer, make_client: Callable[..., Any]) -> None:
    server.add_client({"client_id": "otel-py-fail", "client_secret": "s", "token_lifetime": 3600})
    server.faults([{"status": 503, "body": "down"}], repeat_last=True)
    client = make_client(client_id="otel-py-fail", client_secret="s")
    with pytest.raises(m2m_auth.HTTPError):
        client.get_token()
    (span,) = spans_of("otel-py-fail")
    a = dict(span.attributes or {})
    assert a["m2m_auth.outcome"] == "http"
    assert a["http.response.status_code"] == 503
    assert a["m2m_auth.attempt"] == server.token_requests()
    assert not span.status.is_ok


def test_metrics_read_stats_at_collection(server: DevServer, make_client: Callable[..., Any]) -> None:
    server.add_client({"client_id": "otel-py-m", "client_secret": "s", "token_lifetime": 3600})
    server.faults([{"headers": {"Auth0-Client-Quota-Limit": "b=per_hour;q=100;r=9;t=3000"}}])
    client = make_client(client_id="otel-py-m", client_secret="s", audience=AUDIENCE)
    for _ in range(3):
        client.get_token()
    m2m_auth._native._flush_logs()
    assert [p.value for p in points("m2m_auth.cache.hits", "otel-py-m")] == [2]
    assert [p.value for p in points("m2m_auth.cache.misses", "otel-py-m")] == [1]
    assert [p.value for p in points("m2m_auth.throttles", "otel-py-m")] == [0]
    assert [p.value for p in points("m2m_auth.quota.remaining", "otel-py-m")] == [9]
    assert sum(p.value for p in points("m2m_auth.token_requests", outcome="ok")) >= 1
    assert sum(p.count for p in points("m2m_auth.token_request.duration", outcome="ok")) >= 1
    stats = client.stats()
    assert stats.quota_remaining == 9 and stats.throttles == 0
    assert stats.as_dict()["quota_remaining"] == 9


def test_an_sdk_set_after_the_first_requests_gets_the_next_ones(server: DevServer) -> None:
    # A fresh interpreter: this module set the global providers already.
    # Before any SDK the sink drops its batches (the API's own providers
    # would record nothing); the first batch after one is set is a span.
    server.add_client({"client_id": "otel-py-late", "client_secret": "s", "token_lifetime": 3600})
    code = f"""
import m2m_auth
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
client = m2m_auth.TokenClient(token_url={server.token_url!r}, client_id="otel-py-late",
                              client_secret="s", audience={AUDIENCE!r}, no_proxy=True)
client.fetch_token()
client.fetch_token()
spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)
client.fetch_token()
print(len(spans.get_finished_spans()), client.stats().fetches)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "3"]
