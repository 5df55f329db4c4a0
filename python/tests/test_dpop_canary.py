"""The DPoP key canary (issue #14): with a `dpop_key` given as PEM and as a
private JWK (and a `dpop_key_file`), no part of the private key (PEM body
lines, the JWK's `d`) and no proof appears in any error, repr or log record
at TRACE, through tokens, nonce retries, adapters, refusals and keys that
do not parse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from devserver import REPO, DevServer

import m2m_auth
from m2m_auth import ConfigError, M2MAuthError, TokenClient
from m2m_auth.httpx import M2MAuth as HttpxAuth
from m2m_auth.requests import M2MAuth as RequestsAuth

KEYS = REPO / "core" / "tests" / "verify_keys"
JWK_TEXT = (REPO / "core" / "tests" / "assertion_keys" / "p256.jwk.json").read_text()
PEM = (KEYS / "p256.pem").read_text()


def secret_parts() -> list[str]:
    """What must never show: every PEM body line of the keys used, the JWK's `d`."""
    lines = [line for name in ("p256.pem", "ed25519.pem") for line in (KEYS / name).read_text().splitlines()
             if line and not line.startswith("-----")]
    return [*lines, json.loads(JWK_TEXT)["d"]]


def test_the_dpop_key_never_shows_at_trace(
    server: DevServer, make_client: Callable[..., TokenClient], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(1, logger="m2m_auth")  # the lowest level: the engine logs at TRACE
    key_file = tmp_path / "dpop.pem"
    key_file.write_text((KEYS / "ed25519.pem").read_text())
    server.dpop(nonce_token=True, nonce_api=True)
    shown: list[str] = []

    def errors(call: Callable[[], Any], kind: type[BaseException] = M2MAuthError) -> None:
        with pytest.raises(kind) as e:
            call()
        shown.extend([str(e.value), repr(e.value), repr(getattr(e.value, "__dict__", {}))])

    sources: list[dict[str, Any]] = [{"dpop_key": PEM}, {"dpop_key": JWK_TEXT}, {"dpop_key_file": str(key_file)}]
    for n, options in enumerate(sources):
        # `extra`: a cache key of its own (the PEM and the JWK may be one key).
        client = make_client(dpop=True, extra={"canary": str(n)}, **options)
        token = client.get_token()
        shown += [repr(client), str(client), repr(token), str(token)]
        # The API's nonce, through call_api and both adapters.
        server.dpop(rotate=True)
        assert client.call_api("GET", server.api_url).status == 200
        server.dpop(rotate=True)
        with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
            assert http.get(server.api_url).status_code == 200
        server.dpop(rotate=True)
        session = requests.Session()
        session.trust_env = False
        session.auth = RequestsAuth(client)
        assert session.get(server.api_url).status_code == 200
        # Refusals: of the proof at /api (then a renewal), at the token
        # endpoint, and failing token requests (the key is throttled after).
        server.faults([{"status": 401, "json": {"error": "invalid_dpop_proof"},
                        "headers": {"WWW-Authenticate": 'DPoP error="invalid_dpop_proof"'}}],
                      repeat_last=True, target="api")
        assert client.call_api("GET", server.api_url).status == 401
        server.clear_faults()
        server.faults([
            {"status": 400, "json": {"error": "invalid_dpop_proof", "error_description": "bad proof"}},
            {"status": 500, "body": "oops"},
            {"status": 503},
        ], repeat_last=True)
        for _ in range(3):
            errors(client.fetch_token)
        server.clear_faults()
        errors(lambda: client.dpop_proof("GET", "not a url", token))
        errors(lambda: client.dpop_proof("G T", server.api_url, token))
    # Keys that do not parse or fit, both key options at once.
    broken = "\n".join(line for i, line in enumerate(PEM.splitlines()) if i != 2)
    public_only = json.dumps({k: v for k, v in json.loads(JWK_TEXT).items() if k != "d"})
    for bad in ({"dpop_key": broken}, {"dpop_key": JWK_TEXT.replace('"kty"', '"kty_"')},
                {"dpop_key": public_only}, {"dpop_key": PEM, "dpop_key_file": str(key_file)},
                {"dpop_key": PEM.replace("PRIVATE KEY", "PUBLIC KEY")}):
        errors(lambda: make_client(dpop=True, **bad), ConfigError)  # noqa: B023
    errors(lambda: make_client(dpop=True, dpop_key_file=str(tmp_path / "missing.pem")), ConfigError)

    m2m_auth._native._flush_logs()
    logs = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert "token received" in logs, "the engine's records arrived"
    assert any("nonce" in r.getMessage() for r in caplog.records), logs
    for what, text in [("repr or error", "\n".join(shown)), ("log", logs)]:
        for needle in secret_parts():
            assert needle not in text, f"a {what} shows {needle!r}"
        # Shaped like a JWS (`eyJ` is base64url of `{"`): tokens and proofs.
        assert not re.search(r"eyJ[\w-]{16,}\.", text), f"a {what} shows a JWT"
