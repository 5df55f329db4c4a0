"""Mutual TLS (RFC 8705) from Python against the dev server's https listener,
with core's fixtures (core/tests/mtls_keys, made by core/tests/mtls_keys/make-certs.sh):
tls_client_auth from certificate and key files, self_signed_tls_client_auth
with the PEM as text, an unregistered certificate refused as invalid_client,
call_api presenting the certificate its token is bound to, and no key text
in any repr or error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import test_package_readme
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


def test_the_readme_mutual_tls_block_runs(tls_server: DevServer, tmp_path: Path) -> None:
    # python/README.md's "Authenticate with a certificate": call_api and
    # httpx each reach the dev server's /api, which refuses a token
    # bound to a certificate the connection did not present.
    (block,) = test_package_readme.mutual_tls_blocks()
    assert tls_server.mtls_token_url and tls_server.tls_ca_pem and tls_server.https_url
    ca_file = tmp_path / "server-ca.pem"
    ca_file.write_text(tls_server.tls_ca_pem)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("M2M_AUTH_")}
    env.update(
        M2M_AUTH_TOKEN_URL=tls_server.mtls_token_url,
        M2M_AUTH_CLIENT_ID="py-mtls",
        M2M_AUTH_CLIENT_CERTIFICATE_FILE=str(KEYS / "client.pem"),
        M2M_AUTH_CLIENT_KEY_FILE=str(KEYS / "client.key"),
        M2M_AUTH_CA_CERTS=tls_server.tls_ca_pem,
        API_URL=tls_server.https_url + "/api",
        API_CA_FILE=str(ca_file),
    )
    tls_server.reset()
    out = subprocess.run([sys.executable, "-c", block], env=env, capture_output=True, text=True,
                         timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == ["tls_client_auth", "call_api 200", "httpx 200", ""], out.stdout
    assert [r["tls"] for r in tls_server.requests()] == [True]


def test_client_keys_never_show_at_trace(tls_server: DevServer, caplog: pytest.LogCaptureFixture) -> None:
    # Issue #12's canary for the mutual-TLS client key: in no repr, error or
    # log record at the lowest level, served or refused.
    caplog.set_level(1, logger="m2m_auth")
    keys = ["client.key", "client.sec1.key", "self-signed.key", "other.key"]
    needles = [line for k in keys for line in (KEYS / k).read_text().splitlines()
               if line and not line.startswith("-----")]
    shown: list[str] = []
    served = [
        mtls_client(tls_server, client_id="py-mtls", client_certificate=(KEYS / "client.pem").read_text(),
                    client_key=(KEYS / "client.key").read_text(), audience="https://canary/1"),
        mtls_client(tls_server, client_id="py-mtls", client_certificate_file=str(KEYS / "client.pem"),
                    client_key_file=str(KEYS / "client.sec1.key"), audience="https://canary/2"),
    ]
    for client in served:
        token = client.fetch_token()
        shown += [repr(client), repr(token), str(token)]
    refused = mtls_client(tls_server, client_id="py-mtls", client_certificate_file=str(KEYS / "other.pem"),
                          client_key=(KEYS / "other.key").read_text())
    with pytest.raises(OAuthError) as e:
        refused.fetch_token()
    shown += [repr(refused), str(e.value), repr(e.value)]
    with pytest.raises(ConfigError) as c:
        mtls_client(tls_server, client_id="py-mtls", client_certificate_file=str(KEYS / "client.pem"),
                    client_key=(KEYS / "self-signed.key").read_text())
    shown += [str(c.value), repr(c.value)]
    messages = [r.getMessage() for r in caplog.records]
    assert any("token received" in m for m in messages), messages
    for text in shown + messages:
        assert not any(n in text for n in needles), text
