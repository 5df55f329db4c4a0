"""Runner of the shared conformance vectors (tests/conformance/FORMAT.md).

Every ``tests/conformance/*.json`` present when pytest collects is one test,
plus this package's own ``tests/vectors_smoke/*.json`` (which prove the
runner). A vector is skipped only when it says why under
``"skip": {"python": "reason"}``; with no shared vectors at all, one test is
skipped, saying so. Anything the runner does not know (a step, an option, an
expectation) fails the vector rather than being ignored.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from devserver import REPO, DevServer

import m2m_auth
from m2m_auth import M2MAuthError, Token, TokenClient

LANGUAGE = "python"
SHARED = REPO / "tests" / "conformance"
SMOKE = Path(__file__).resolve().parent / "vectors_smoke"
DEFAULT_CLIENTS = [{"client_id": "conf-client", "client_secret": "conf-secret", "token_lifetime": 3600}]
REQUEST_FIELDS = ("audience", "scope", "organization", "resource", "extra")


def _params() -> list[Any]:
    shared = sorted(SHARED.glob("*.json"))
    params = [pytest.param(p, id=f"conformance/{p.stem}") for p in shared]
    params += [pytest.param(p, id=f"vectors_smoke/{p.stem}") for p in sorted(SMOKE.glob("*.json"))]
    if not shared:
        params.append(
            pytest.param(
                None,
                id="conformance/(none)",
                marks=pytest.mark.skip(reason=f"no shared vectors in {SHARED} yet"),
            )
        )
    return params


@pytest.mark.parametrize("path", _params())
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    assert isinstance(vector, dict), "a vector is a JSON object"
    reason = (vector.get("skip") or {}).get(LANGUAGE)
    if reason:
        pytest.skip(f"{vector.get('name', path.stem)}: {reason}")
    Runner(vector).run()


class VectorError(AssertionError):
    pass


def key_secrets(key: str) -> list[str]:
    """The secret parts of a private key given as text (FORMAT.md's canary):
    a JWK's private members, or each line of a PEM body."""
    try:
        jwk = json.loads(key)
    except ValueError:
        return [line for line in key.splitlines() if line.strip() and not line.startswith("-----")]
    if not isinstance(jwk, dict):
        return []
    return [v for k, v in jwk.items() if k in ("d", "p", "q", "dp", "dq", "qi") and isinstance(v, str) and v]


def _known(d: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise VectorError(f"the Python runner does not know {what} {sorted(unknown)}")


class Runner:
    def __init__(self, vector: dict[str, Any]) -> None:
        _known(vector, {"name", "design", "description", "server", "client", "steps", "skip"}, "vector field(s)")
        self.vector = vector
        server = vector.get("server") or {}
        _known(server, {"clients", "tls", "client_ca_file", "dpop_nonce"}, "server field(s)")
        self.clients = server.get("clients") or DEFAULT_CLIENTS
        self.tls = bool(server.get("tls"))
        self.dpop_nonce = bool(server.get("dpop_nonce"))
        ca_file = server.get("client_ca_file")
        self.client_ca = (REPO / ca_file).read_text() if ca_file else None
        self.client_spec: dict[str, Any] = dict(vector.get("client") or {})
        self.server: DevServer | None = None
        self.server_up = False
        self.final_stats: dict[str, int] = {}
        self.client: TokenClient | None = None
        self.labels: dict[str, str] = {}
        self.secrets: list[str] = []

    # -- running ---------------------------------------------------------------
    def run(self) -> None:
        self.server = DevServer(clients=self.clients, client_ca=self.client_ca, tls=self.tls,
                                dpop_nonce=self.dpop_nonce)
        self.server_up = True
        try:
            for i, step in enumerate(self.vector.get("steps") or []):
                try:
                    self.step(step)
                except AssertionError as e:
                    raise AssertionError(f"step {i} {json.dumps(step)}: {e}") from None
        finally:
            if self.client is not None:
                self.client.close()
            self.server.stop()

    def step(self, step: dict[str, Any]) -> None:
        s = self.server
        assert s is not None
        if "faults" in step or "api_faults" in step:
            _known(step, {"faults", "api_faults", "repeat_last"}, "step field(s)")
            target = "api" if "api_faults" in step else None
            s.faults(step.get("faults", step.get("api_faults")), bool(step.get("repeat_last")), target)
        elif "clear_faults" in step:
            _known(step, {"clear_faults"}, "step field(s)")
            s.clear_faults()
        elif "sleep_ms" in step:
            _known(step, {"sleep_ms"}, "step field(s)")
            time.sleep(step["sleep_ms"] / 1000)
        elif "shutdown_server" in step:
            _known(step, {"shutdown_server"}, "step field(s)")
            # A stopped server sees no more requests: its counts are final.
            self.final_stats = s.stats()
            s.stop()
            self.server_up = False
        elif "expect_requests" in step:
            _known(step, {"expect_requests"}, "step field(s)")
            got = self.stats()["token_requests"]
            assert got == step["expect_requests"], f"{got} token requests, expected {step['expect_requests']}"
        elif "expect_api_requests" in step:
            _known(step, {"expect_api_requests"}, "step field(s)")
            got = self.stats()["api_requests"]
            assert got == step["expect_api_requests"], f"{got} API requests, expected {step['expect_api_requests']}"
        elif "expect_stats" in step:
            _known(step, {"expect_stats"}, "step field(s)")
            stats = self.stats()
            for name, want in step["expect_stats"].items():
                if name not in stats:
                    raise VectorError(f"the dev server has no counter {name!r}")
                assert stats[name] == want, f"{name} is {stats[name]}, expected {want}"
        elif "dpop_control" in step:
            _known(step, {"dpop_control"}, "step field(s)")
            s.dpop(**step["dpop_control"])
        elif "expect_request" in step:
            _known(step, {"expect_request"}, "step field(s)")
            self.expect_request(step["expect_request"])
        elif "call" in step:
            self.call(step)
        else:
            raise VectorError(f"the Python runner does not know the step {sorted(step)}")

    def stats(self) -> dict[str, int]:
        if not self.server_up:
            return self.final_stats
        assert self.server is not None
        return self.server.stats()

    # -- the client --------------------------------------------------------------
    def placeholders(self, value: str) -> str:
        s = self.server
        assert s is not None
        value = value.replace("{token_url}", s.token_url).replace("{issuer}", s.issuer).replace("{url}", s.url)
        return value.replace("{mtls_token_url}", s.mtls_token_url) if s.mtls_token_url else value

    def options(self, spec: dict[str, Any]) -> dict[str, Any]:
        _known(
            spec,
            {
                "token_url", "issuer", "domain", "client_id", "client_secret", "auth_method",
                "audience", "organization", "scope", "resource", "extra", "timeout_ms",
                "connect_timeout_ms", "leeway_ms", "refresh_ratio", "retry", "private_key", "key_id",
                "signing_alg", "client_certificate_file", "client_key_file", "dpop", "dpop_key",
                "dpop_accept_bearer",
            },
            "client option(s)",
        )
        opts: dict[str, Any] = {"no_proxy": True}
        assert self.server is not None
        if self.server.tls_ca_pem:
            opts["ca_certs"] = self.server.tls_ca_pem  # a server with TLS is trusted (FORMAT.md)
        for k in ("client_certificate_file", "client_key_file"):
            if k in spec:
                opts[k] = str(REPO / spec[k])
        if not any(k in spec for k in ("token_url", "issuer", "domain")):
            opts["token_url"] = self.placeholders("{token_url}")
        for k in ("token_url", "issuer", "domain"):
            if k in spec:
                opts[k] = self.placeholders(spec[k]) if isinstance(spec[k], str) else spec[k]
        first = self.clients[0]
        opts["client_id"] = spec.get("client_id", first.get("client_id"))
        opts["client_secret"] = spec.get("client_secret", first.get("client_secret"))
        for k in ("auth_method", "audience", "organization", "scope", "resource", "extra", "refresh_ratio",
                  "private_key", "key_id", "signing_alg", "dpop", "dpop_key", "dpop_accept_bearer"):
            if k in spec:
                opts[k] = spec[k]
        for k, name in (("timeout_ms", "timeout"), ("connect_timeout_ms", "connect_timeout"), ("leeway_ms", "leeway")):
            if k in spec:
                opts[name] = spec[k] / 1000
        retry = dict(spec.get("retry") or {})
        _known(retry, {"max_attempts", "base_delay_ms", "default_throttle_ms", "max_retry_after_s"}, "retry option(s)")
        opts["retry_base_delay"] = retry.get("base_delay_ms", 20) / 1000
        if "max_attempts" in retry:
            opts["max_attempts"] = retry["max_attempts"]
        if "default_throttle_ms" in retry:
            opts["default_throttle"] = retry["default_throttle_ms"] / 1000
        if "max_retry_after_s" in retry:
            opts["max_retry_after"] = retry["max_retry_after_s"]
        self.secrets = []
        secret = opts["client_secret"]
        if isinstance(secret, str) and secret:
            self.secrets = [secret, urllib.parse.quote_plus(secret), urllib.parse.quote(secret, safe="")]
        if isinstance(spec.get("dpop_key"), str):
            self.secrets += key_secrets(spec["dpop_key"])
        return opts

    def build(self, override: dict[str, Any] | None = None) -> TokenClient:
        spec = dict(self.client_spec)
        spec.update(override or {})
        if self.client is not None:
            self.client.close()
            self.client = None
        self.client = TokenClient(**self.options(spec))
        return self.client

    @staticmethod
    def request(r: dict[str, Any] | None) -> dict[str, Any]:
        r = dict(r or {})
        _known(r, set(REQUEST_FIELDS), "request field(s)")
        return r

    def call(self, step: dict[str, Any]) -> None:
        _known(
            step,
            {"call", "request", "concurrency", "expect", "label", "method", "path", "client_override"},
            "call field(s)",
        )
        name = step["call"]
        expect = step.get("expect") or {}
        if name == "build":
            outcome = self.timed(lambda: self.build(step.get("client_override")))
            self.check(outcome, expect, step)
            return
        if self.client is None:
            self.build()
        client = self.client
        assert client is not None
        request = self.request(step.get("request"))
        if name in ("get_token", "fetch_token"):
            fn = getattr(client, name)
            outcomes = self.concurrently(lambda: fn(**request), int(step.get("concurrency", 1)))
        elif name == "invalidate":
            outcomes = [self.timed(lambda: client.invalidate(**request))]
        elif name == "call_api":
            s = self.server
            assert s is not None
            url = s.url + step.get("path", "/api")
            method = step.get("method", "GET")
            outcomes = self.concurrently(
                lambda: client.call_api(method, url, **request), int(step.get("concurrency", 1))
            )
        else:
            raise VectorError(f"the Python runner does not know the call {name!r}")
        for outcome in outcomes:
            self.check(outcome, expect, step)
        label = step.get("label")
        if label:
            value = outcomes[0][0]
            assert isinstance(value, Token), f"label {label!r} needs a token"
            self.labels[label] = value.access_token

    @staticmethod
    def timed(fn: Any) -> tuple[Any, BaseException | None, float]:
        start = time.perf_counter()
        try:
            value = fn()
            return value, None, (time.perf_counter() - start) * 1000
        except M2MAuthError as e:
            return None, e, (time.perf_counter() - start) * 1000

    def concurrently(self, fn: Any, n: int) -> list[tuple[Any, BaseException | None, float]]:
        if n <= 1:
            return [self.timed(fn)]
        barrier = threading.Barrier(n)
        out: list[Any] = [None] * n

        def work(i: int) -> None:
            barrier.wait()
            out[i] = self.timed(fn)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    # -- expectations ------------------------------------------------------------
    def check(self, outcome: tuple[Any, BaseException | None, float], expect: dict[str, Any], step: dict[str, Any]) -> None:
        value, error, elapsed = outcome
        if error is not None:
            for text in (str(error), repr(error), repr(error.__dict__)):
                for s in self.secrets:
                    assert s not in text, f"a secret appears in {text!r}"
        if "elapsed_ms_at_least" in expect:
            assert elapsed >= expect["elapsed_ms_at_least"], f"took {elapsed:.0f} ms"
        if "elapsed_ms_at_most" in expect:
            assert elapsed <= expect["elapsed_ms_at_most"], f"took {elapsed:.0f} ms"
        timing = {"elapsed_ms_at_least", "elapsed_ms_at_most"}
        if "error" in expect:
            _known(expect, {"error", "fields", "body_max_len", "retry_after_between_s"} | timing, "expectation(s)")
            assert error is not None, f"expected a {expect['error']} error, got {value!r}"
            assert isinstance(error, M2MAuthError)
            assert error.code == expect["error"], f"expected {expect['error']}, got {error.code}: {error}"
            for field, want in (expect.get("fields") or {}).items():
                assert hasattr(error, field), f"{type(error).__name__} has no field {field!r}"
                got = getattr(error, field)
                assert got == want, f"{field} is {got!r}, expected {want!r} ({error})"
            if "body_max_len" in expect:
                body = getattr(error, "body")
                assert len(body.encode()) <= expect["body_max_len"], f"body of {len(body.encode())} bytes"
            if "retry_after_between_s" in expect:
                lo, hi = expect["retry_after_between_s"]
                ra = getattr(error, "retry_after")
                assert lo <= ra <= hi, f"retry_after {ra}"
            return
        _known(
            expect,
            {"ok", "token_type", "expires_in_between", "scope", "extra", "same_token_as", "different_token_from", "status",
             "authorization_scheme"}
            | timing,
            "expectation(s)",
        )
        if not expect:
            return  # no expectation: any outcome
        assert error is None, f"expected success, got {type(error).__name__}: {error}"
        assert expect.get("ok") is True, f"the expectation {expect} is neither ok nor error"
        if isinstance(value, m2m_auth.ApiResponse):
            if "status" in expect:
                assert value.status == expect["status"], f"API status {value.status}"
            for k in ("token_type", "expires_in_between", "scope", "extra", "same_token_as", "different_token_from",
                      "authorization_scheme"):
                if k in expect:
                    raise VectorError(f"{k} does not apply to call_api")
            return
        if "status" in expect:
            raise VectorError("status applies to call_api only")
        if step.get("call") == "build":
            return
        assert isinstance(value, Token), f"expected a token, got {value!r}"
        if "token_type" in expect:
            assert value.token_type == expect["token_type"]
        if "authorization_scheme" in expect:
            scheme = value.authorization_header().split(" ", 1)[0]
            assert scheme == expect["authorization_scheme"], f"authorization scheme {scheme!r}"
        if "expires_in_between" in expect:
            lo, hi = expect["expires_in_between"]
            assert lo <= value.expires_in <= hi, f"expires_in {value.expires_in}"
        if "scope" in expect:
            assert value.scope == expect["scope"], f"scope {value.scope!r}"
        if "extra" in expect:
            extra = value.extra
            for k, v in expect["extra"].items():
                assert extra.get(k) == v, f"extra[{k!r}] is {extra.get(k)!r}"
        if "same_token_as" in expect:
            assert value.access_token == self.labels[expect["same_token_as"]], "not the same token"
        if "different_token_from" in expect:
            assert value.access_token != self.labels[expect["different_token_from"]], "the same token"

    def expect_request(self, spec: dict[str, Any]) -> None:
        _known(spec, {"index", "form", "form_absent", "headers", "headers_absent", "headers_present"},
               "expect_request field(s)")
        s = self.server
        assert s is not None
        requests = s.requests()
        index = spec.get("index", -1)
        assert -len(requests) <= index < len(requests), f"no request {index} among {len(requests)}"
        r = requests[index]
        form = urllib.parse.parse_qs(r["body"], keep_blank_values=True)
        for k, want in (spec.get("form") or {}).items():
            got = form.get(k)
            want_list = want if isinstance(want, list) else [want]
            assert got == [self.expand(w) for w in want_list], f"form {k!r} is {got!r}"
        for k in spec.get("form_absent") or []:
            assert k not in form, f"form field {k!r} is present"
        headers = {k.lower(): v for k, v in r["headers"].items()}
        for k, want in (spec.get("headers") or {}).items():
            got = headers.get(k.lower())
            assert got == self.expand(want), f"header {k!r} is {got!r}"
        for k in spec.get("headers_absent") or []:
            assert k.lower() not in headers, f"header {k!r} is present"
        for k in spec.get("headers_present") or []:
            assert k.lower() in headers, f"header {k!r} is absent"

    def expand(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return self.placeholders(value.replace("{version}", m2m_auth.__version__).replace("{language}", LANGUAGE))
