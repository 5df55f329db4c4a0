"""Interop with a real authorization server: oidc-provider (tests/interop/).

The server is the repository's (`tests/interop/server.mjs`, clients in
`clients.json`, started by oidc_provider.py); `scripts/test-interop.sh` (or
`scripts/test-python.sh`) installs it with npm. Without Node.js or its
modules, these tests are skipped, saying why. Mutual TLS against it:
test_interop_mtls.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from devserver import REPO
from oidc_provider import CONFIG, Provider, claims, start_provider

from m2m_auth import InvalidTokenError, OAuthError, TokenClient, Verifier


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.mark.parametrize("client", CONFIG["clients"], ids=[c["client_id"] for c in CONFIG["clients"]])
def test_every_client_gets_a_jwt_for_the_requested_resource(provider: Provider, client: dict[str, str]) -> None:
    resource = CONFIG["resource"]
    c = TokenClient(
        token_url=provider.token_endpoint,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        auth_method=client["token_endpoint_auth_method"],
        resource=[resource],
        no_proxy=True,
    )
    token = c.get_token()
    assert token.token_type == "Bearer"
    assert 0 < token.expires_in <= 300
    jwt = claims(token.access_token)
    assert jwt["aud"] == resource
    assert jwt["iss"] == provider.issuer
    assert client["client_secret"] not in repr(token)
    # Another resource, per call: another token, for that audience.
    other = c.get_token(resource="https://other.example.com/")
    assert claims(other.access_token)["aud"] == "https://other.example.com/"
    assert c.get_token() is token


def test_discovery_from_the_issuer(provider: Provider) -> None:
    client = CONFIG["clients"][0]
    c = TokenClient(
        issuer=provider.issuer,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        auth_method=client["token_endpoint_auth_method"],
        resource="https://discovered.example.com/",
        no_proxy=True,
    )
    jwt = claims(c.get_token().access_token)
    assert jwt["aud"] == "https://discovered.example.com/"
    assert jwt["iss"] == provider.issuer


def test_a_wrong_secret_is_invalid_client(provider: Provider) -> None:
    client = CONFIG["clients"][1]
    secret = "wrong-" + client["client_secret"]
    c = TokenClient(
        token_url=provider.token_endpoint,
        client_id=client["client_id"],
        client_secret=secret,
        auth_method=client["token_endpoint_auth_method"],
        resource=CONFIG["resource"],
        no_proxy=True,
    )
    with pytest.raises(OAuthError) as info:
        c.get_token()
    assert info.value.error == "invalid_client"
    assert info.value.status == 401
    assert secret not in str(info.value) and secret not in repr(info.value)


def provider_token(provider: Provider, client: dict[str, str], api: str, scope: str) -> str:
    """An access token of oidc-provider for `api` (its RFC 8707 resource)."""
    c = TokenClient(
        token_url=provider.token_endpoint,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        auth_method=client["token_endpoint_auth_method"],
        resource=[api],
        scope=scope,
        no_proxy=True,
    )
    return c.get_token().access_token


def test_the_verifier_accepts_oidc_provider_tokens_through_discovery(provider: Provider) -> None:
    """oidc-provider's RS256 at+jwt tokens verify with `issuer` alone (keys
    through its discovery document) and are refused for another audience."""
    client = CONFIG["clients"][0]
    api = "https://verified.example.com/"
    token = provider_token(provider, client, api, "read:data")
    verified = Verifier(issuer=provider.issuer, audience=[api]).verify(token)
    assert verified.issuer == provider.issuer
    assert verified.client_id == client["client_id"]
    assert verified.has_scope("read:data")
    with pytest.raises(InvalidTokenError) as e:
        Verifier(issuer=provider.issuer, audience=["https://other.example.com/"]).verify(token)
    assert e.value.reason == "wrong_audience"


def test_the_verifier_accepts_oidc_provider_es256_tokens(provider: Provider) -> None:
    """Tokens for resources under https://es256.example.com/ are signed with
    the server's P-256 key: ES256 verifies through discovery too."""
    client = CONFIG["clients"][1]
    api = "https://es256.example.com/orders"
    token = provider_token(provider, client, api, "write:data")
    header = token.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == "ES256"
    verified = Verifier(issuer=provider.issuer, audience=[api]).verify(token)
    assert verified.client_id == client["client_id"]
    assert verified.has_scope("write:data")


@pytest.mark.parametrize(
    "client", CONFIG["assertion_clients"], ids=[c["client_id"] for c in CONFIG["assertion_clients"]]
)
def test_every_assertion_method_gets_tokens(provider: Provider, client: dict[str, str]) -> None:
    """private_key_jwt (RS256, PS256, ES256, EdDSA with the test keys whose
    public halves oidc-provider registers) and client_secret_jwt: oidc-provider
    checks each assertion and refuses a reused jti, so three requests in a
    row need three assertions."""
    options: dict[str, Any] = {
        "token_url": provider.token_endpoint,
        "client_id": client["client_id"],
        "auth_method": client["token_endpoint_auth_method"],
        "signing_alg": client["signing_alg"],
        "no_proxy": True,
    }
    if "key" in client:
        options["private_key_file"] = str(REPO / "core" / "tests" / "verify_keys" / f"{client['key']}.pem")
    else:
        options["client_secret"] = client["client_secret"]
    c = TokenClient(**options)
    for _ in range(3):
        token = c.fetch_token()
        assert claims(token.access_token)["client_id"] == client["client_id"]
