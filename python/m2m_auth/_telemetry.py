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

import _thread

from . import _native

# `typing` only for type checkers: `import m2m_auth` stays cheap (it pulls in
# neither typing nor opentelemetry; python/tests/test_api.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

# The names come from the engine (core's telemetry names, docs/design.md
# §12), so that every language uses the same ones.
_SCOPE, _SPAN, _ATTRIBUTES, _METRICS = _native._telemetry_names()
#: The instrumentation scope (tracer and meter name).
SCOPE: str = _SCOPE
#: The span of one token request.
SPAN: str = _SPAN
#: The span's attributes, in the engine's order (tests/surface.json).
ATTRIBUTES: tuple[str, ...] = tuple(_ATTRIBUTES)
#: Every metric: (name, kind, the stat it reads or "").
METRICS: tuple[tuple[str, str, str], ...] = tuple(_METRICS)
(
    ATTR_SERVER_ADDRESS,
    ATTR_URL,
    ATTR_CLIENT_ID,
    ATTR_KEY_FINGERPRINT,
    ATTR_ATTEMPT,
    ATTR_OUTCOME,
    ATTR_STATUS,
    ATTR_BACKGROUND,
) = ATTRIBUTES


def _observer(stat: str, observation: Any) -> Callable[[Any], Iterable[Any]]:
    def callback(_options: Any) -> Iterable[Any]:
        out = []
        for client_id, stats in _native._live_stats():
            value = getattr(stats, stat)
            if value is not None:
                out.append(observation(value, {ATTR_CLIENT_ID: client_id}))
        return out

    return callback


_lock = _thread.allocate_lock()
_sink: Callable[[list[tuple[str, str, str, int, str, int | None, int, int, bool]], bool], None] | None = None
# Records the engine's forwarder thread brought before any caller's did.
_pending: list[tuple[str, str, str, int, str, int | None, int, int, bool]] = []


def _first_batch(batch: list[tuple[str, str, str, int, str, int | None, int, int, bool]], forwarder: bool) -> None:
    """The sink until the first records arrive on a caller's thread: then the
    API is looked for (importing it at `import m2m_auth` would make that
    slow), and the real sink installed, or none. Not on the engine's
    forwarder thread: a slow import there could be overtaken by interpreter
    shutdown; its records wait for a caller's."""
    global _sink
    if _sink is None and forwarder:
        _pending.extend(batch)
        return
    with _lock:
        if _sink is None:
            _sink = _make_sink() or _discard
            _native._set_telemetry_sink(None if _sink is _discard else _sink)
    if _pending:
        batch = _pending + batch
        _pending.clear()
    _sink(batch, forwarder)


def _discard(_batch: list[tuple[str, str, str, int, str, int | None, int, int, bool]], _forwarder: bool) -> None:
    pass


def install() -> None:
    """Called once, at import: the first batch of records looks for
    ``opentelemetry``; without it the engine stops making records."""
    _native._set_telemetry_sink(_first_batch)


def _make_sink() -> Callable[[list[tuple[str, str, str, int, str, int | None, int, int, bool]], bool], None] | None:
    """A sink making spans and metrics through the OpenTelemetry API, or
    None when it is not importable."""
    try:
        from opentelemetry import metrics, trace
        from opentelemetry.metrics import Observation
    except ImportError:
        return None
    from urllib.parse import urlsplit

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

    # The API's own providers (no SDK installed by the application, or its
    # no-op ones) drop every span and measurement: a batch then costs a
    # check instead of a span and two measurements per record (issue #17).
    # Checked per batch, so an SDK installed later is used from its next.
    idle = _idle_check()

    def sink(batch: list[tuple[str, str, str, int, str, int | None, int, int, bool]], _forwarder: bool) -> None:
        if idle():
            return
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

    return sink


def _idle_check() -> Callable[[], bool]:
    """A function saying whether the global tracer and meter providers are
    the API's own (no SDK set, or no-op ones), which record nothing.

    The API's getters look in ``os.environ`` on every call while no
    provider is set (~1 µs each, most of a batch's cost); when no provider
    is named there, the module globals they read say the same for less.
    Any API version without those globals gets the getters."""
    import os

    from opentelemetry import metrics, trace

    idle_tracers: tuple[type, ...] = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    idle_meters: tuple[type, ...] = (metrics.NoOpMeterProvider,)

    def by_getters() -> bool:
        return isinstance(trace.get_tracer_provider(), idle_tracers) and isinstance(
            metrics.get_meter_provider(), idle_meters
        )

    try:
        from opentelemetry.metrics import _internal as metrics_state
        from opentelemetry.metrics._internal import _ProxyMeterProvider
    except ImportError:
        return by_getters
    idle_meters += (_ProxyMeterProvider,)
    named = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ or "OTEL_PYTHON_METER_PROVIDER" in os.environ
    if named or not hasattr(trace, "_TRACER_PROVIDER") or not hasattr(metrics_state, "_METER_PROVIDER"):
        return by_getters

    def by_globals() -> bool:
        if trace._TRACER_PROVIDER is None and metrics_state._METER_PROVIDER is None:
            return True
        return by_getters()

    return by_globals
