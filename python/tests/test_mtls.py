"""Mutual TLS (RFC 8705) from Python against the dev server's https listener,
with core's fixtures (core/tests/mtls_keys, made by core/tests/mtls_keys/make-certs.sh):
tls_client_auth from certificate and key files, self_signed_tls_client_auth
with the PEM as text, an unregistered certificate refused as invalid_client,
call_api presenting the certificate its token is bound to, and no key text
in any repr or error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from devserver import REPO, DevServer

from m2m_auth import ConfigError, OAuthError, TokenClient

KEYS = REPO / "core" / "tests" / "mtls_keys"


@pytest.fixture(scope="module")
def tls_server() -> Iterator[DevServer]:
    s = DevServer(
        clients=[
            {"client_id": "py-mtls", "auth_methods": ["tls_client_auth"],
             "tls_client_auth_subject_dn": "CN=mtls-client,O=m2m-auth tests"},
            {"client_id": "py-self", "auth_methods": ["self_signed_tls_client_auth"],
             "tls_client_certificate_sha256": [(KEYS / "self-signed.sha256").read_text().strip()]},
        ],
        client_ca=(KEYS / "client-ca.pem").read_text(),
    )
    yield s
    s.stop()


def mtls_client(server: DevServer, **options: object) -> TokenClient:
    assert server.mtls_token_url and server.tls_ca_pem
    return TokenClient(token_url=server.mtls_token_url, ca_certs=server.tls_ca_pem, no_proxy=True,
                       **options)  # type: ignore[arg-type]


def test_tls_client_auth_from_files(tls_server: DevServer) -> None:
    tls_server.reset()
    client = mtls_client(tls_server, client_id="py-mtls", client_certificate_file=str(KEYS / "client.pem"),
                         client_key_file=str(KEYS / "client.sec1.key"))
    assert client.auth_method == "tls_client_auth"
    assert client.fetch_token().access_token
    (r,) = tls_server.requests()
    assert r["tls"] is True and len(r["client_certificate_sha256"]) == 64
    body = parse_qs(r["body"])
    assert body["client_id"] == ["py-mtls"] and "client_secret" not in body


def test_self_signed_from_text_and_call_api(tls_server: DevServer) -> None:
    key = (KEYS / "self-signed.key").read_text()
    client = mtls_client(tls_server, client_id="py-self", auth_method="self_signed_tls_client_auth",
                         client_certificate=(KEYS / "self-signed.pem").read_bytes(), client_key=key)
    assert tls_server.https_url
    answer = client.call_api("GET", tls_server.https_url + "/api")
    assert answer.status == 200
    body = json.loads(answer.body)
    assert body["client_certificate_sha256"] == (KEYS / "self-signed.sha256").read_text().strip()
    assert "x5t#S256" in body["cnf"]
    lines = [line for line in key.splitlines() if not line.startswith("-----")]
    assert not any(line in repr(client) for line in lines)


def test_refusals_name_the_problem_and_never_the_key(tls_server: DevServer) -> None:
    client = mtls_client(tls_server, client_id="py-self", client_certificate_file=str(KEYS / "other.pem"),
                         client_key_file=str(KEYS / "other.key"))
    with pytest.raises(OAuthError) as e:
        client.fetch_token()
    assert e.value.error == "invalid_client"
    assert "not registered" in (e.value.error_description or "")
    other_key = (KEYS / "other.key").read_text()
    with pytest.raises(ConfigError) as c:
        mtls_client(tls_server, client_id="py-self", client_certificate_file=str(KEYS / "client.pem"),
                    client_key=other_key)
    assert "does not match" in str(c.value)
    lines = [line for line in other_key.splitlines() if not line.startswith("-----")]
    assert not any(line in str(c.value) + repr(c.value) for line in lines)
