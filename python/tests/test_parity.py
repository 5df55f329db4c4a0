"""Parity with the engine's declaration of the public surface (tests/surface.json).

Every client option, request parameter, stat, error field, token field and
client method the engine declares is reachable from Python under its
snake_case name, in Python's units (durations: float seconds; instants: float
seconds since the epoch), and declared in the type stub.
"""

from __future__ import annotations

import ast
import datetime
import json
import re
import ssl
import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import AUDIENCE
from devserver import REPO, DevServer

import m2m_auth
from m2m_auth import Claims, M2MAuthError, Stats, Token, TokenClient, Verifier, VerifierStats

SURFACE: dict[str, list[dict[str, Any]]] = json.loads((REPO / "tests" / "surface.json").read_text())
STUB = Path(m2m_auth.__file__).with_name("_native.pyi")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def names(section: str) -> list[str]:
    return [item["name"] for item in SURFACE[section]]


def some_certificate() -> str:
    """A PEM certificate of this machine's trust store."""
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and Path(cafile).exists():
        m = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", Path(cafile).read_text(), re.S)
        if m:
            return m.group(0)
    ders = ssl.create_default_context().get_ca_certs(binary_form=True)
    assert ders, "no CA certificate on this machine to use as a sample"
    return ssl.DER_cert_to_PEM_cert(ders[0])


KEY_FILE = REPO / "core" / "tests" / "verify_keys" / "rsa2048.pem"
# A ready client assertion: only its shape is checked when a client is built.
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJkZW1vLWNsaWVudCJ9.c2lnbmF0dXJl"
# The options that only mean something with a private key (private_key_jwt).
KEY_MODIFIERS = ("key_id", "signing_alg", "assertion_audience")
# Mutual TLS: core's fixture certificate and its key (each needs the other).
MTLS = REPO / "core" / "tests" / "mtls_keys"
CERT_FILE = MTLS / "client.pem"
CLIENT_KEY_FILE = MTLS / "client.key"
# DPoP: core's P-256 test key (the DPoP options other than `dpop` need it on).
DPOP_KEY_FILE = REPO / "core" / "tests" / "verify_keys" / "p256.pem"


def assertion_file() -> str:
    """A file holding a ready client assertion (as a projected token would)."""
    path = Path(tempfile.gettempdir()) / "m2m-auth-parity-assertion.jwt"
    path.write_text(JWS + "\n")
    return str(path)


def samples(server: DevServer) -> dict[str, tuple[Any, str]]:
    """A valid value of each option, as Python passes it and as the environment spells it."""
    pem = some_certificate()
    by_type: dict[str, tuple[Any, str]] = {
        "text": ("x", "x"),
        "secret": ("demo-secret", "demo-secret"),
        "flag": (True, "true"),
        "count": (4096, "4096"),
        "duration": (1.5, "1.5"),
        "fraction": (0.5, "0.5"),
        "list": (["read:data", "write:data"], "read:data write:data"),
        "map": ({"foo": "bar"}, "foo=bar"),
        "pem": (pem, pem),
        # Code: no environment spelling.
        "callback": (lambda request: JWS, ""),
    }
    # Options whose text must mean something to build a client.
    by_name: dict[str, tuple[Any, str]] = {
        "token_url": (server.token_url, server.token_url),
        "domain": ("tenant.example.com", "tenant.example.com"),
        "issuer": (server.issuer, server.issuer),
        "client_id": ("demo-client", "demo-client"),
        "auth_method": ("client_secret_basic", "client_secret_basic"),
        "audience": (AUDIENCE, AUDIENCE),
        "proxy": ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        "cache": ("memory", "memory"),
        "resource": ([AUDIENCE], AUDIENCE),
        "max_attempts": (2, "2"),
        "private_key": (KEY_FILE.read_text(), KEY_FILE.read_text()),
        "private_key_file": (str(KEY_FILE), str(KEY_FILE)),
        "signing_alg": ("PS256", "PS256"),
        "client_assertion": (JWS, JWS),
        "client_assertion_file": (assertion_file(), assertion_file()),
        "client_certificate": (CERT_FILE.read_text(), CERT_FILE.read_text()),
        "client_certificate_file": (str(CERT_FILE), str(CERT_FILE)),
        "client_key": (CLIENT_KEY_FILE.read_text(), CLIENT_KEY_FILE.read_text()),
        "client_key_file": (str(CLIENT_KEY_FILE), str(CLIENT_KEY_FILE)),
        "dpop_key": (DPOP_KEY_FILE.read_text(), DPOP_KEY_FILE.read_text()),
        "dpop_key_file": (str(DPOP_KEY_FILE), str(DPOP_KEY_FILE)),
    }
    out = {}
    for item in SURFACE["client_options"]:
        out[item["name"]] = by_name.get(item["name"], by_type[item["type"]])
    return out


def base_options(server: DevServer, without: str) -> dict[str, Any]:
    """A working client's options, leaving the endpoint to `without` if it is one."""
    opts: dict[str, Any] = {
        "token_url": server.token_url,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "no_proxy": True,
    }
    if without in ("domain", "issuer"):
        del opts["token_url"]
    if without in KEY_MODIFIERS:
        opts["private_key_file"] = str(KEY_FILE)
    if without in ("client_certificate", "client_certificate_file"):
        opts["client_key_file"] = str(CLIENT_KEY_FILE)
    if without in ("client_key", "client_key_file"):
        opts["client_certificate_file"] = str(CERT_FILE)
    if without.startswith("dpop_"):
        opts["dpop"] = True
    return opts


def test_names_follow_the_rule() -> None:
    for section, items in SURFACE.items():
        if section == "telemetry":
            continue  # OpenTelemetry names, not items (test_telemetry.py)
        for item in items:
            assert SNAKE.match(item["name"]), f"{section}: {item['name']!r} is not snake_case"
            assert not item["name"].endswith(("_ms", "_s", "_secs")), f"{item['name']}: the unit is in the type"


@pytest.mark.parametrize("name", names("client_options"))
def test_every_option_is_accepted(server: DevServer, name: str) -> None:
    value, _ = samples(server)[name]
    opts = base_options(server, without=name)
    opts[name] = value
    client = TokenClient(**opts)
    assert client.client_id == "demo-client"


@pytest.mark.parametrize("name", [i["name"] for i in SURFACE["client_options"] if i["type"] != "callback"])
def test_every_option_is_read_from_the_environment(server: DevServer, name: str) -> None:
    item = next(i for i in SURFACE["client_options"] if i["name"] == name)
    assert item["env"] == "M2M_AUTH_" + name.upper()
    _, text = samples(server)[name]
    env = {"M2M_AUTH_" + k.upper(): str(v).lower() if isinstance(v, bool) else str(v)
           for k, v in base_options(server, without=name).items()}
    env[item["env"]] = text
    client = TokenClient.from_env(env)
    assert client.client_id == "demo-client"


WRONG = {
    "text": 42,
    "secret": 42,
    "flag": "yes",
    "count": -1,
    "duration": "soon",
    "fraction": "half",
    "list": 42,
    "map": ["a"],
    "pem": 42,
    "callback": 42,
}


@pytest.mark.parametrize("name", names("client_options"))
def test_every_option_refuses_a_value_of_another_type(server: DevServer, name: str) -> None:
    item = next(i for i in SURFACE["client_options"] if i["name"] == name)
    opts = base_options(server, without=name)
    opts[name] = WRONG[item["type"]]
    with pytest.raises(m2m_auth.ConfigError, match=name):
        TokenClient(**opts)


def test_unknown_options_and_parameters_are_type_errors(client: TokenClient) -> None:
    with pytest.raises(TypeError, match="'no_such_option'"):
        TokenClient(no_such_option=1)  # type: ignore[call-arg]
    for method in (client.get_token, client.fetch_token, client.invalidate):
        with pytest.raises(TypeError, match="'no_such_parameter'"):
            method(no_such_parameter=1)  # type: ignore[call-arg]


REQUEST_SAMPLES: dict[str, Any] = {
    "audience": AUDIENCE,
    "scope": ["read:data"],
    "organization": "org_123",
    "resource": [AUDIENCE],
    "extra": {"foo": "bar"},
}


@pytest.mark.parametrize("name", names("request_parameters"))
def test_every_request_parameter_is_accepted(server: DevServer, client: TokenClient, name: str) -> None:
    value = REQUEST_SAMPLES[name]
    for call in (client.get_token, client.fetch_token):
        token = call(**{name: value})
        assert isinstance(token, Token)
    client.invalidate(**{name: value})
    client.invalidate_rejected(token, **{name: value})
    assert client.call_api("GET", server.api_url, **{name: value}).status == 200
    # Each request parameter is also a client option (its default).
    assert name in names("client_options")


def test_stats_have_every_stat(client: TokenClient) -> None:
    client.get_token()
    stats = client.stats()
    assert list(stats.as_dict()) == names("stats")
    for name in names("stats"):
        value = getattr(stats, name)
        # quota_remaining is None until a server reports a quota.
        assert isinstance(value, int) or (name == "quota_remaining" and value is None)
        assert getattr(Stats, name).__doc__
        assert name in repr(stats)


ERROR_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "count": (int,),
    "duration": (float,),
}


def every_error_class() -> list[type[M2MAuthError]]:
    return [getattr(m2m_auth, n) for n in m2m_auth.__all__ if n.endswith("Error")]


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda c: c.__name__)
def test_every_exception_class_has_every_error_field(cls: type[M2MAuthError]) -> None:
    e = cls("a message")
    for item in SURFACE["error_fields"]:
        assert hasattr(e, item["name"]), f"{cls.__name__} has no {item['name']}"
    assert e.message == "a message"
    assert e.code == cls.code


def test_engine_errors_carry_every_field(server: DevServer, make_client: Callable[..., TokenClient]) -> None:
    server.faults([{"status": 429, "headers": {"Retry-After": "30"}, "json": {"error": "slow_down"}}])
    client = make_client(max_attempts=1)
    errors = []
    for _ in range(2):  # an oauth error, then throttled
        with pytest.raises(M2MAuthError) as info:
            client.get_token()
        errors.append(info.value)
    refused, throttled = errors
    assert (refused.code, throttled.code) in (("oauth", "throttled"), ("http", "throttled"))
    for e in errors:
        for item in SURFACE["error_fields"]:
            value = getattr(e, item["name"])
            assert value is None or isinstance(value, ERROR_TYPES[item["type"]]), (item, value)
    assert (refused.status, refused.retry_after, refused.kind, refused.reason) == (429, None, None, None)
    assert throttled.retry_after is not None and 25 < throttled.retry_after <= 30
    assert throttled.status is None


TOKEN_TYPES: dict[str, type] = {
    "secret": str,
    "text": str,
    "duration": float,
    "instant": float,
    "map": dict,
}


def test_token_has_every_field(client: TokenClient) -> None:
    token = client.get_token()
    for item in SURFACE["token_fields"]:
        value = getattr(token, item["name"])
        if callable(value):  # authorization_header()
            value = value()
        if value is not None:
            assert isinstance(value, TOKEN_TYPES[item["type"]]), item
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    assert abs(token.expires_at - now - token.expires_in) < 5


def test_client_has_every_method() -> None:
    for name in names("client_methods"):
        assert hasattr(TokenClient, name), name
        assert getattr(TokenClient, name).__doc__, name


def stub_class(name: str) -> ast.ClassDef:
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AssertionError(f"_native.pyi has no class {name}")


def stub_members(name: str) -> list[str]:
    out = []
    for node in stub_class(name).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.append(node.target.id)
        elif isinstance(node, ast.FunctionDef):
            out.append(node.name)
    return out


STUB_TYPES = {
    "text": "_Text",
    "secret": "_Secret",
    "flag": "_Flag",
    "count": "_Count",
    "duration": "_Duration",
    "fraction": "_Fraction",
    "list": "_List",
    "map": "_Map",
    "pem": "_Pem",
    "callback": "_Callback",
}


@pytest.mark.parametrize(
    "section, typed_dict",
    [
        ("client_options", "_ClientOptions"),
        ("request_parameters", "_RequestParameters"),
        ("verifier_options", "_VerifierOptions"),
    ],
)
def test_the_stub_declares_every_option(section: str, typed_dict: str) -> None:
    declared = {
        node.target.id: ast.unparse(node.annotation)
        for node in stub_class(typed_dict).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    assert list(declared) == names(section)
    for item in SURFACE[section]:
        assert declared[item["name"]] == f"{STUB_TYPES[item['type']]} | None", item["name"]


def test_the_stub_declares_every_stat_token_field_and_method() -> None:
    assert [m for m in stub_members("Stats") if m in names("stats")] == names("stats")
    assert set(names("token_fields")) <= set(stub_members("Token"))
    assert set(names("client_methods")) <= set(stub_members("TokenClient"))


# -- the verifier (the API side) -------------------------------------------------

VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "verify" / "vectors.json").read_text())
JWKS = json.dumps(VECTORS["jwks"])


def verifier_samples() -> dict[str, Any]:
    """A valid value of each verifier option, as Python passes it."""
    by_type: dict[str, Any] = {"flag": True, "count": 4096, "duration": 1.5, "pem": some_certificate()}
    by_name: dict[str, Any] = {
        "issuer": VECTORS["issuer"],
        "jwks_uri": "https://issuer.example/.well-known/jwks.json",
        "jwks": JWKS,
        "audience": [VECTORS["audience"], "https://other.example/"],
        "algorithms": ["RS256", "ES256"],
        "dpop": "required",
        "dpop_algorithms": ["ES256", "EdDSA"],
        "dpop_nonce_secret": "a-secret-of-at-least-32-bytes-for-nonces",
    }
    return {i["name"]: by_name.get(i["name"], by_type.get(i["type"])) for i in SURFACE["verifier_options"]}


def verifier_base(without: str) -> dict[str, Any]:
    """A working verifier's options (a static JWKS unless `without` names a key source)."""
    opts: dict[str, Any] = {"issuer": VECTORS["issuer"], "audience": VECTORS["audience"], "jwks": JWKS}
    if without == "jwks_uri":
        del opts["jwks"]
    return opts


@pytest.mark.parametrize("name", names("verifier_options"))
def test_every_verifier_option_is_accepted(name: str) -> None:
    opts = verifier_base(without=name)
    opts[name] = verifier_samples()[name]
    verifier = Verifier(**opts)
    assert "issuer.example" in repr(verifier)


@pytest.mark.parametrize("name", names("verifier_options"))
def test_every_verifier_option_refuses_a_value_of_another_type(name: str) -> None:
    item = next(i for i in SURFACE["verifier_options"] if i["name"] == name)
    opts = verifier_base(without=name)
    opts[name] = WRONG[item["type"]]
    with pytest.raises(m2m_auth.ConfigError, match=name):
        Verifier(**opts)


CLAIM_TYPES: dict[str, type] = {"text": str, "list": list, "instant": float}


def test_claims_have_every_field() -> None:
    case = next(c for c in VECTORS["cases"] if c["name"] == "valid-rs256")
    claims = Verifier(**verifier_base(without="")).verify(case["token"])
    assert isinstance(claims, Claims)
    for item in SURFACE["claims_fields"]:
        value = getattr(claims, item["name"])
        assert value is None or isinstance(value, CLAIM_TYPES[item["type"]]), item
        assert getattr(Claims, item["name"]).__doc__, item["name"]
    assert set(names("claims_fields")) <= set(stub_members("Claims"))


def test_verifier_stats_have_every_stat() -> None:
    case = next(c for c in VECTORS["cases"] if c["name"] == "valid-rs256")
    verifier = Verifier(**verifier_base(without=""))
    verifier.verify(case["token"])
    stats = verifier.stats()
    assert list(stats.as_dict()) == names("verifier_stats")
    for name in names("verifier_stats"):
        assert isinstance(getattr(stats, name), int)
        assert getattr(VerifierStats, name).__doc__, name
    assert [m for m in stub_members("VerifierStats") if m in names("verifier_stats")] == names("verifier_stats")


def test_verifier_has_every_method() -> None:
    for name in names("verifier_methods"):
        assert getattr(Verifier, name).__doc__, name
    assert set(names("verifier_methods")) <= set(stub_members("Verifier"))
