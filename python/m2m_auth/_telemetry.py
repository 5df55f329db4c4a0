"""OpenTelemetry spans and metrics of token requests (docs/design.md §12).

When ``opentelemetry`` (the ``opentelemetry-api`` package) is importable,
the package sends every token request through the global tracer and meter
providers: a span ``m2m_auth.token_request``, the counter
``m2m_auth.token_requests`` and the histogram
``m2m_auth.token_request.duration``, and observable instruments that read
every live client's stats when the SDK collects (so the cached path does no
telemetry work). With no provider configured by the application, the API's
no-op providers make all of it free. Never a required dependency.

Records come from the engine by the log records' rule: at the end of the
call that caused them, or from its forwarder thread for background
refreshes, never under an engine lock. A span ends at its request's end and
starts at its start; its parent is the context active where it is delivered.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Tuple
from urllib.parse import urlsplit

from . import _native

#: The instrumentation scope (tracer and meter name).
SCOPE = "m2m_auth"
#: The span of one token request.
SPAN = "m2m_auth.token_request"
ATTR_SERVER_ADDRESS = "server.address"
ATTR_URL = "url.full"
ATTR_CLIENT_ID = "m2m_auth.client_id"
ATTR_KEY_FINGERPRINT = "m2m_auth.key_fingerprint"
ATTR_ATTEMPT = "m2m_auth.attempt"
ATTR_OUTCOME = "m2m_auth.outcome"
ATTR_STATUS = "http.response.status_code"
ATTR_BACKGROUND = "m2m_auth.background"
#: The span's attributes, in the engine's order (tests/surface.json).
ATTRIBUTES = (
    ATTR_SERVER_ADDRESS,
    ATTR_URL,
    ATTR_CLIENT_ID,
    ATTR_KEY_FINGERPRINT,
    ATTR_ATTEMPT,
    ATTR_OUTCOME,
    ATTR_STATUS,
    ATTR_BACKGROUND,
)
#: Every metric: (name, kind, the stat it reads or "").
METRICS = (
    ("m2m_auth.token_requests", "counter", ""),
    ("m2m_auth.token_request.duration", "histogram", ""),
    ("m2m_auth.cache.hits", "observable_counter", "hits"),
    ("m2m_auth.cache.misses", "observable_counter", "misses"),
    ("m2m_auth.store.errors", "observable_counter", "store_errors"),
    ("m2m_auth.throttles", "observable_counter", "throttles"),
    ("m2m_auth.quota.remaining", "gauge", "quota_remaining"),
)

Record = Tuple[str, str, str, int, str, Optional[int], int, int, bool]


def _observer(stat: str, observation: Any) -> Callable[[Any], Iterable[Any]]:
    def callback(_options: Any) -> Iterable[Any]:
        out = []
        for client_id, stats in _native._live_stats():
            value = getattr(stats, stat)
            if value is not None:
                out.append(observation(value, {ATTR_CLIENT_ID: client_id}))
        return out

    return callback


def install() -> bool:
    """Routes token request records to OpenTelemetry if its API is
    importable; returns whether it is. Called once, at import."""
    try:
        from opentelemetry import metrics, trace
        from opentelemetry.metrics import Observation
    except ImportError:
        return False
    tracer = trace.get_tracer(SCOPE)
    meter = metrics.get_meter(SCOPE)
    requests = meter.create_counter(METRICS[0][0], description="Token requests, by outcome.")
    duration = meter.create_histogram(
        METRICS[1][0], unit="s", description="Token request duration, attempts and backoff included."
    )
    for name, kind, stat in METRICS[2:]:
        callbacks = [_observer(stat, Observation)]
        if kind == "gauge":
            meter.create_observable_gauge(name, callbacks=callbacks)
        else:
            meter.create_observable_counter(name, callbacks=callbacks)

    def sink(batch: list[Record]) -> None:
        for endpoint, client_id, fingerprint, attempts, outcome, status, start, end, background in batch:
            attributes: dict[str, Any] = {
                ATTR_URL: endpoint,
                ATTR_CLIENT_ID: client_id,
                ATTR_KEY_FINGERPRINT: fingerprint,
                ATTR_ATTEMPT: attempts,
                ATTR_OUTCOME: outcome,
                ATTR_BACKGROUND: background,
            }
            host = urlsplit(endpoint).hostname
            if host:
                attributes[ATTR_SERVER_ADDRESS] = host
            if status is not None:
                attributes[ATTR_STATUS] = status
            span = tracer.start_span(
                SPAN, kind=trace.SpanKind.CLIENT, start_time=start, attributes=attributes
            )
            if outcome != "ok":
                span.set_status(trace.Status(trace.StatusCode.ERROR, outcome))
            span.end(end_time=end)
            requests.add(1, {ATTR_OUTCOME: outcome})
            duration.record((end - start) / 1e9, {ATTR_OUTCOME: outcome})

    _native._set_telemetry_sink(sink)
    return True
