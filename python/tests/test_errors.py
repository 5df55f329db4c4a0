"""Exceptions (one class per docs/design.md §6 code), pickling, and the canary secret."""

from __future__ import annotations

import logging
import pickle
import urllib.parse
from typing import Any, Callable

import pytest
from conftest import CANARY
from devserver import DevServer

import m2m_auth
from m2m_auth import (
    CacheError,
    ConfigError,
    HTTPError,
    InsufficientScopeError,
    InvalidResponseError,
    InvalidTokenError,
    M2MAuthError,
    OAuthError,
    ThrottledError,
    TokenClient,
    TransportError,
)

SPELLINGS = (CANARY, urllib.parse.quote_plus(CANARY), urllib.parse.quote(CANARY, safe=""))


def assert_no_secret(text: str) -> None:
    for s in SPELLINGS:
        assert s not in text, f"secret leaked in {text!r}"


def canary_client(make_client: Callable[..., TokenClient], **options: Any) -> TokenClient:
    return make_client(client_id="canary-client", client_secret=CANARY, **options)


def raised(fn: Callable[[], object]) -> M2MAuthError:
    with pytest.raises(M2MAuthError) as info:
        fn()
    return info.value


def check_exception(e: M2MAuthError, cls: type[M2MAuthError], code: str) -> None:
    assert type(e) is cls
    assert e.code == code == cls.code
    assert isinstance(e, M2MAuthError)
    assert e.message == str(e)
    for text in (str(e), repr(e), repr(e.__dict__), repr(e.args)):
        assert_no_secret(text)
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is cls
    assert str(copy) == str(e)
    assert copy.__dict__ == e.__dict__
    assert copy.code == code


def test_oauth_error_fields(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults(
        [
            {
                "status": 400,
                "json": {
                    "error": "invalid_scope",
                    "error_description": "no such scope",
                    "error_uri": "https://example.com/e",
                },
            }
        ]
    )
    e = raised(canary_client(make_client).get_token)
    check_exception(e, OAuthError, "oauth")
    assert isinstance(e, OAuthError)
    assert (e.error, e.error_description, e.error_uri, e.status) == (
        "invalid_scope",
        "no such scope",
        "https://example.com/e",
        400,
    )


def test_wrong_secret_is_invalid_client(make_client: Callable[..., TokenClient]) -> None:
    e = raised(make_client(client_secret=CANARY).get_token)
    check_exception(e, OAuthError, "oauth")
    assert isinstance(e, OAuthError)
    assert e.error == "invalid_client" and e.status == 401


def test_server_echoing_the_secret_is_scrubbed(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults(
        [
            {
                "status": 401,
                "json": {"error": "invalid_client", "error_description": f"bad secret {CANARY}"},
            }
        ]
    )
    e = raised(canary_client(make_client).get_token)
    check_exception(e, OAuthError, "oauth")
    server.faults([{"status": 418, "body": f"teapot says client_secret={urllib.parse.quote_plus(CANARY)}"}])
    e = raised(canary_client(make_client).get_token)
    check_exception(e, HTTPError, "http")


def test_http_error_fields(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults([{"status": 418, "body": "x" * 2000}])
    e = raised(canary_client(make_client).get_token)
    check_exception(e, HTTPError, "http")
    assert isinstance(e, HTTPError)
    assert e.status == 418
    assert 0 < len(e.body.encode()) <= 512


def test_transport_error_fields(make_client: Callable[..., TokenClient]) -> None:
    client = canary_client(
        make_client,
        token_url="http://127.0.0.1:9/oauth/token",
        max_attempts=1,
    )
    e = raised(client.get_token)
    check_exception(e, TransportError, "transport")
    assert isinstance(e, TransportError)
    assert e.kind == "connect"


def test_timeout_is_a_transport_error(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults([{"delay_ms": 2000}])
    e = raised(canary_client(make_client, timeout=0.3).get_token)
    check_exception(e, TransportError, "transport")
    assert isinstance(e, TransportError)
    assert e.kind == "timeout"


def test_invalid_response_fields(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults([{"token": {"token_type": "mac"}}])
    e = raised(canary_client(make_client).get_token)
    check_exception(e, InvalidResponseError, "invalid_response")
    assert isinstance(e, InvalidResponseError)
    assert e.reason


def test_throttled_fields(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults([{"status": 429, "headers": {"Retry-After": "30"}, "json": {"error": "slow_down"}}])
    client = canary_client(make_client, max_attempts=1)
    first = raised(client.get_token)
    assert first.code in ("oauth", "http")
    e = raised(client.get_token)
    check_exception(e, ThrottledError, "throttled")
    assert isinstance(e, ThrottledError)
    assert 25 < e.retry_after <= 30
    assert server.token_requests() == 1


def test_config_error(make_client: Callable[..., TokenClient]) -> None:
    e = raised(lambda: canary_client(make_client, auth_method="nope"))
    check_exception(e, ConfigError, "config")


def test_every_code_has_a_class() -> None:
    classes = {
        "config": ConfigError,
        "oauth": OAuthError,
        "http": HTTPError,
        "transport": TransportError,
        "invalid_response": InvalidResponseError,
        "throttled": ThrottledError,
        "cache": CacheError,
        "invalid_token": InvalidTokenError,
        "insufficient_scope": InsufficientScopeError,
    }
    for code, cls in classes.items():
        assert cls.code == code
        assert issubclass(cls, M2MAuthError)
        e = cls("message")
        assert pickle.loads(pickle.dumps(e)).code == code
        assert cls.__doc__


def test_canary_absent_from_logs(
    server: DevServer, make_client: Callable[..., TokenClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(5, logger="m2m_auth")
    client = canary_client(make_client)
    token = client.get_token()
    client.invalidate()
    client.get_token()
    server.faults([{"status": 401, "json": {"error": "invalid_client", "error_description": CANARY}}])
    with pytest.raises(OAuthError):
        client.fetch_token()
    m2m_auth._native._flush_logs()
    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert_no_secret(text)
    assert token.access_token not in text
    assert "demo-secret" not in text
    # Records did arrive, under the logger m2m_auth, with fingerprints only.
    assert all(r.name == "m2m_auth" or r.name.startswith("m2m_auth.") for r in caplog.records)
    assert any(r.levelno == logging.INFO and token.fingerprint in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.WARNING and "invalid_client" in r.getMessage() for r in caplog.records)


def test_logs_respect_the_python_level(
    make_client: Callable[..., TokenClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="m2m_auth")
    make_client().get_token()
    m2m_auth._native._flush_logs()
    assert not [r for r in caplog.records if r.name.startswith("m2m_auth")]
