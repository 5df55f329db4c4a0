"""DPoP (RFC 9449) against a real authorization server: oidc-provider
(tests/interop/server.mjs, DPoP on as in its v9 default, with a nonce
secret) and its `dpop_clients` (clients.json), one of which is first
answered `use_dpop_nonce`. Each token must be a DPoP token bound to the key
used: `cnf.jkt` equal to the key's RFC 7638 thumbprint, computed here with
`cryptography` and hashlib; then the verifier takes it with the client's
proof of a request, once."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key
from devserver import REPO
from oidc_provider import CONFIG, Provider, claims, start_provider

from m2m_auth import InvalidTokenError, TokenClient, Verifier

KEYS = REPO / "core" / "tests" / "verify_keys"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def thumbprint(pem: bytes) -> str:
    """RFC 7638 §3 of a private key's public half, members in order."""
    key: Any = load_pem_private_key(pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        n = key.public_key().public_numbers()
        members = {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")), "y": b64(n.y.to_bytes(32, "big"))}
    else:
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        members = {"crv": "Ed25519", "kty": "OKP", "x": b64(raw)}
    text = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64(hashlib.sha256(text.encode()).digest())


def dpop_client(provider: Provider, client: dict[str, Any], key: str | None) -> TokenClient:
    return TokenClient(
        token_url=provider.token_endpoint,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        auth_method=client["token_endpoint_auth_method"],
        resource=[CONFIG["resource"]],
        dpop=True,
        dpop_key=key,
        no_proxy=True,
    )


@pytest.mark.parametrize("client", CONFIG["dpop_clients"], ids=[c["client_id"] for c in CONFIG["dpop_clients"]])
@pytest.mark.parametrize("key", [None, "p256.pem", "ed25519.pem"])
def test_dpop_tokens_are_bound_to_the_key(provider: Provider, client: dict[str, Any], key: str | None) -> None:
    pem = (KEYS / key).read_bytes() if key else None
    c = dpop_client(provider, client, pem.decode() if pem else None)
    assert c.dpop_thumbprint is not None
    if pem:
        assert c.dpop_thumbprint == thumbprint(pem)
    seen = set()
    for _ in range(3):
        token = c.fetch_token()
        assert token.token_type == "DPoP"
        jwt = claims(token.access_token)
        assert jwt["cnf"]["jkt"] == c.dpop_thumbprint
        assert jwt["client_id"] == client["client_id"]
        seen.add(token.access_token)
    assert len(seen) == 3


def test_the_verifier_takes_the_token_with_its_proof_once(provider: Provider) -> None:
    client = CONFIG["dpop_clients"][1]
    assert client["require_nonce"]
    c = dpop_client(provider, client, None)
    token = c.get_token()
    verifier = Verifier(issuer=provider.issuer, audience=CONFIG["resource"])
    url = "https://api.example.com/orders?page=1"
    proof = c.dpop_proof("POST", url, token)
    got = verifier.verify_http_request("POST", url, token.authorization_header(), proof)
    assert got.client_id == client["client_id"]
    with pytest.raises(InvalidTokenError) as again:
        verifier.verify_http_request("POST", url, token.authorization_header(), proof)
    assert again.value.reason == "dpop_replay"
    with pytest.raises(InvalidTokenError) as bearer:
        verifier.verify_request("Bearer " + token.access_token)
    assert bearer.value.reason == "dpop_bound"
