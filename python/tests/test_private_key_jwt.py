"""private_key_jwt from Python: a client built from a key file (core's test
keys) gets tokens from the dev server, which verifies each assertion and
refuses a reused jti; key material never shows in a repr or an error; and
the canary: no key or assertion in any repr, error or log record at TRACE."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from devserver import REPO, DevServer

import m2m_auth
from m2m_auth import ConfigError, M2MAuthError, OAuthError, TokenClient

KEYS = REPO / "core" / "tests" / "verify_keys"
BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def register(server: DevServer, client_id: str) -> None:
    jwks = json.loads((KEYS / "public_jwks.json").read_text())
    server.add_client({
        "client_id": client_id,
        "auth_methods": ["private_key_jwt"],
        "jwks": {"keys": [{**jwks["p256"], "kid": "ec-1"}, {**jwks["ed25519"], "kid": "ed-1"}]},
    })


@pytest.mark.parametrize(("key", "kid"), [("p256.pem", "ec-1"), ("ed25519.pem", "ed-1")])
def test_a_key_file_gets_tokens(server: DevServer, key: str, kid: str) -> None:
    register(server, "py-pk-client")
    client = TokenClient(token_url=server.token_url, client_id="py-pk-client",
                         private_key_file=str(KEYS / key), key_id=kid, no_proxy=True)
    assert client.auth_method == "private_key_jwt"
    for _ in range(3):
        assert client.fetch_token().access_token
    bodies = [parse_qs(r["body"]) for r in server.requests()]
    assert len(bodies) == 3
    assert all(b["client_assertion_type"] == [BEARER] and "client_secret" not in b for b in bodies)
    assert len({b["client_assertion"][0] for b in bodies}) == 3, "a new assertion every request"


def test_key_text_never_shows(server: DevServer) -> None:
    pem = (KEYS / "p256.pem").read_text()
    register(server, "py-pk-client")
    client = TokenClient(token_url=server.token_url, client_id="py-pk-client", private_key=pem,
                         key_id="ec-1", no_proxy=True)
    client.get_token()
    body = [line for line in pem.splitlines() if not line.startswith("-----")]
    assert not any(line in repr(client) for line in body)
    with pytest.raises(ConfigError) as e:
        TokenClient(token_url=server.token_url, client_id="x", private_key=pem, signing_alg="RS256")
    assert "does not fit" in str(e.value)
    assert not any(line in str(e.value) + repr(e.value) for line in body)


# -- the canary (issue #12): keys and assertions never shown, logs at TRACE --

HMAC_SECRET = "py-canary-hmac-secret-long-enough"


def hs256_assertion(client_id: str, audience: str) -> str:
    """A ready client assertion, signed elsewhere (here with the standard
    library: HS256, which the dev server checks with the client's secret)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 120,
              "jti": secrets.token_hex(16)}
    signing_input = f"{header}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(HMAC_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_keys_and_assertions_never_show_at_trace(
    server: DevServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(1, logger="m2m_auth")  # the lowest level: the engine logs at TRACE
    register(server, "py-pk-client")
    server.add_client({"client_id": "py-hmac-client", "client_secret": HMAC_SECRET,
                       "auth_methods": ["client_secret_jwt"]})
    jwks = json.loads((KEYS / "public_jwks.json").read_text())
    server.add_client({"client_id": "py-refusing-client", "auth_methods": ["private_key_jwt"],
                       "jwks": {"keys": [{**jwks["rsa2048"], "kid": "rsa-1"}]}})
    pem = (KEYS / "p256.pem").read_text()
    jwk_text = (KEYS.parent / "assertion_keys" / "p256.jwk.json").read_text()
    ready = hs256_assertion("py-hmac-client", server.token_url)
    filed = hs256_assertion("py-hmac-client", server.token_url)
    assertion_file = tmp_path / "assertion.jwt"
    assertion_file.write_text(filed)
    key_file = tmp_path / "key.pem"
    key_file.write_text((KEYS / "ed25519.pem").read_text())
    needles = [line for p in ("p256.pem", "ed25519.pem") for line in (KEYS / p).read_text().splitlines()
               if line and not line.startswith("-----")]
    needles += [json.loads(jwk_text)["d"], ready, ready.rsplit(".", 1)[1], filed, filed.rsplit(".", 1)[1]]
    # The mutual-TLS client key's canary is in test_mtls.py (its server).

    def client(n: int, **options: Any) -> TokenClient:
        return TokenClient(token_url=server.token_url, no_proxy=True, retry_base_delay=0.02,
                           audience=f"https://canary/{n}", **options)

    # Each source with the assertion it sends when the test can know it (the
    # engine signs its own inside it).
    sources: list[tuple[dict[str, str], str]] = [
        ({"client_id": "py-pk-client", "private_key": pem, "key_id": "ec-1"}, "nothing"),
        ({"client_id": "py-pk-client", "private_key": jwk_text, "key_id": "ec-1"}, "nothing"),
        ({"client_id": "py-pk-client", "private_key_file": str(key_file), "key_id": "ed-1"}, "nothing"),
        ({"client_id": "py-hmac-client", "client_assertion": ready}, ready),
        ({"client_id": "py-hmac-client", "client_assertion_file": str(assertion_file)}, filed),
    ]
    shown: list[str] = []
    messages: list[str] = []
    for n, (options, sent) in enumerate(sources):
        c = client(n, **options)
        token = c.get_token()
        shown += [repr(c), str(c), repr(token), str(token)]
        # Failing fetches: a server echoing the assertion it got, then 503s.
        server.faults([
            {"status": 400, "json": {"error": "invalid_client", "error_description": f"bad {sent}"}},
            {"status": 500, "body": f"echo: {sent}"},
            {"status": 503},
        ], repeat_last=True)
        for _ in range(3):
            with pytest.raises(M2MAuthError) as e:
                c.fetch_token()
            shown += [str(e.value), repr(e.value), repr(e.value.__dict__)]
            messages.append(str(e.value))
        server.clear_faults()
    # A key the server refuses, keys that do not parse or fit, a file that vanishes.
    with pytest.raises(OAuthError) as refused:
        client(10, client_id="py-refusing-client", private_key=pem).get_token()
    shown += [str(refused.value), repr(refused.value), repr(refused.value.__dict__)]
    broken = "\n".join(line for i, line in enumerate(pem.splitlines()) if i != 2)
    for bad in ({"private_key": broken}, {"private_key": jwk_text.replace('"kty"', '"kty_"')},
                {"private_key": pem, "signing_alg": "RS256"}, {"private_key": pem, "client_assertion": ready}):
        with pytest.raises(ConfigError) as config:
            client(11, client_id="py-pk-client", **bad)
        shown += [str(config.value), repr(config.value)]
    vanishing = client(12, client_id="py-pk-client", private_key_file=str(key_file), key_id="ed-1")
    key_file.unlink()
    with pytest.raises(ConfigError) as gone:
        vanishing.fetch_token()
    shown += [str(gone.value), repr(gone.value), repr(vanishing)]

    m2m_auth._native._flush_logs()
    logs = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    # The engine's most verbose records (DEBUG: it has none at TRACE) arrived.
    assert any(r.levelno == 10 and "attempt failed" in r.getMessage() for r in caplog.records), logs
    assert "token received" in logs
    assert sum("bad ***" in m for m in messages) == 2, "both echoes were scrubbed, not missed"
    for what, text in [("repr or error", "\n".join(shown)), ("log", logs)]:
        for needle in needles:
            assert needle not in text, f"a {what} shows {needle!r}"
        # Shaped like a JWS (`eyJ` is the base64url of `{"`): also the
        # assertions the engine signs, which no test can know.
        assert not re.search(r"eyJ[\w-]{16,}\.", text), f"a {what} shows a JWT"
