"""private_key_jwt from Python: a client built from a key file (core's test
keys) gets tokens from the dev server, which verifies each assertion and
refuses a reused jti; key material never shows in a repr or an error."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from devserver import REPO, DevServer

from m2m_auth import ConfigError, TokenClient

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
