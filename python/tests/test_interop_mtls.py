"""Mutual TLS (RFC 8705) against a real authorization server: oidc-provider's
https listener (tests/interop/server.mjs, its clients under `mtls_clients` of
clients.json, their certificates in tests/mtls/).

Every client is configured with the http issuer alone: the engine reads
discovery, sends its token requests to `mtls_endpoint_aliases.token_endpoint`
(it has a certificate), trusting the server's CA (`ca_certs`). Each token
must be bound to the certificate presented: `cnf.x5t#S256` is the SHA-256 of
the leaf's DER, computed here with Python's own ssl and hashlib."""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider import CONFIG, Provider, claims, start_provider

from m2m_auth import OAuthError, TokenClient

RESOURCE: str = CONFIG["resource"]
TLS, SELF_SIGNED = CONFIG["mtls_clients"]
# (client, certificate file, key file): every key format and the chain file
# of clients.json, by the names of its fields.
ACCEPTED = [
    (TLS, "certificate_file", "key_file"),
    (TLS, "certificate_file", "legacy_key_file"),
    (TLS, "chain_file", "key_file"),
    (SELF_SIGNED, "certificate_file", "key_file"),
    (SELF_SIGNED, "certificate_file", "legacy_key_file"),
]
REFUSED = [(m, r) for m in CONFIG["mtls_clients"] for r in CONFIG["mtls_refused_certificates"]]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


def tls_client(provider: Provider, client: dict[str, str], certificate: Path, key: Path) -> TokenClient:
    assert client["token_endpoint_auth_method"] in ("tls_client_auth", "self_signed_tls_client_auth")
    return TokenClient(
        issuer=provider.issuer,
        client_id=client["client_id"],
        auth_method=client["token_endpoint_auth_method"],
        client_certificate_file=str(certificate),
        client_key_file=str(key),
        ca_certs=provider.ca_file.read_text(),
        resource=RESOURCE,
        no_proxy=True,
    )


def thumbprint(certificate: Path) -> str:
    """x5t#S256 (RFC 8705 §3.1) of the first (leaf) certificate of a PEM file."""
    pem = certificate.read_text()
    leaf = pem[: pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(leaf)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("client", "cert_field", "key_field"),
    ACCEPTED,
    ids=[f"{c['token_endpoint_auth_method']}-{c[cf]}-{c[kf]}" for c, cf, kf in ACCEPTED],
)
def test_certificate_bound_tokens_through_discovery(
    provider: Provider, client: dict[str, str], cert_field: str, key_field: str
) -> None:
    """Three fetches in a row on one client (its TLS connection reused, or
    resumed) each get a new token, bound to the certificate."""
    certificate = provider.certs_dir / client[cert_field]
    c = tls_client(provider, client, certificate, provider.certs_dir / client[key_field])
    want = thumbprint(certificate)
    seen = set()
    for _ in range(3):
        token = c.fetch_token()
        jwt = claims(token.access_token)
        assert jwt["cnf"]["x5t#S256"] == want
        assert jwt["client_id"] == client["client_id"]
        assert jwt["aud"] == RESOURCE
        assert jwt["iss"] == provider.issuer
        seen.add(token.access_token)
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("client", "refused"),
    REFUSED,
    ids=[f"{m['client_id']}-{r['certificate_file']}" for m, r in REFUSED],
)
def test_refused_certificates_are_invalid_client(
    provider: Provider, client: dict[str, str], refused: dict[str, str]
) -> None:
    """oidc-provider answers 401 invalid_client (the handshake itself never
    fails): the engine's `oauth` error, without the key's text."""
    key = provider.certs_dir / refused["key_file"]
    c = tls_client(provider, client, provider.certs_dir / refused["certificate_file"], key)
    with pytest.raises(OAuthError) as info:
        c.fetch_token()
    assert info.value.code == "oauth"
    assert info.value.error == "invalid_client"
    assert info.value.status == 401
    shown = str(info.value) + repr(info.value) + repr(c)
    lines = [line for line in key.read_text().splitlines() if line and not line.startswith("-----")]
    assert not any(line in shown for line in lines)
