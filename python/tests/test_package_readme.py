"""The package README (python/README.md): every ```python block runs, as
written, against the dev server, checked exactly as test_readme.py checks the
root README's Python quickstart; and its reference tables are the engine's
surface (tests/surface.json) as it is now.

The tables are generated: ``python python/tests/test_package_readme.py``
prints them from tests/surface.json, to paste into python/README.md.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # as conftest.py does (and when run as a script)

import test_readme  # noqa: E402
from devserver import REPO, DevServer  # noqa: E402

README = REPO / "python" / "README.md"
SURFACE: dict[str, list[dict[str, str]]] = json.loads((REPO / "tests" / "surface.json").read_text())


KEYS = REPO / "core" / "tests" / "verify_keys"
BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def section(text: str, marker: str) -> tuple[int, int]:
    """Where the section holding `marker` is (to the next ## heading)."""
    start = text.index(marker)
    return start, text.index("\n## ", start)


# The sections whose blocks need a server set up for them, each run by its
# own test: the private-key one and the DPoP one here, the mutual-TLS one in
# test_mtls.py.
SECTIONS = ("private-key-jwt", "mutual-tls", "dpop")


def section_blocks(marker: str) -> list[str]:
    """The ```python blocks of the section marked `<!-- marker`."""
    text = README.read_text()
    start, end = section(text, f"<!-- {marker}")
    return blocks(text[start:end])


def mutual_tls_blocks() -> list[str]:
    """The ```python blocks of the section "Authenticate with a certificate"."""
    return section_blocks("mutual-tls")


def blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


def package_blocks() -> list[str]:
    """Every ```python block of python/README.md but those of `SECTIONS`."""
    text = README.read_text()
    for marker in SECTIONS:
        start, end = section(text, f"<!-- {marker}")
        text = text[:start] + text[end:]
    return blocks(text)


def private_key_blocks() -> list[str]:
    """The ```python blocks of the section "Authenticate with a private key"."""
    return section_blocks("private-key-jwt")


def dpop_blocks() -> list[str]:
    """The ```python blocks of the section "Bind tokens to a key (DPoP)"."""
    return section_blocks("dpop")


# -- the README's tables, from tests/surface.json ------------------------------

# How Python spells each value type (python/m2m_auth/_native.pyi).
OPTION_TYPES = {
    "text": "`str`",
    "secret": "`str`",
    "flag": "`bool`",
    "count": "`int`",
    "duration": "`float` seconds, or `timedelta`",
    "fraction": "`float`",
    "list": "`str` (space-separated) or a sequence of `str`",
    "map": "`Mapping[str, str]`",
    "pem": "PEM `str` or `bytes`, or a sequence of them",
    "callback": "callable taking an `AssertionRequest`, returning `str` (or `async def`)",
}
# What Python hands back, by value type (Token, errors).
VALUE_TYPES = {
    "text": "`str`",
    "secret": "`str`",
    "count": "`int`",
    "duration": "`float` seconds",
    "instant": "`float` seconds since the epoch",
    "map": "`dict[str, Any]`",
    "list": "`list[str]`",
}
# Python's signature of each client method (tests/surface.json: client_methods).
METHODS = {
    "get_token": "`get_token(**params) -> Token`",
    "fetch_token": "`fetch_token(**params) -> Token`",
    "invalidate": "`invalidate(**params) -> None`",
    "invalidate_rejected": "`invalidate_rejected(token, **params) -> None`",
    "call_api": "`call_api(method, url, *, headers=None, body=None, **params) -> ApiResponse`",
    "request_headers": "`request_headers(method, url, token) -> dict[str, str]`",
    "dpop_proof": "`dpop_proof(method, url, access_token=None) -> str`",
    "dpop_response": "`dpop_response(url, token, status, www_authenticate=None, dpop_nonce=None) -> bool`",
    "dpop_thumbprint": "`dpop_thumbprint` (property, `str` or `None`)",
    "stats": "`stats() -> Stats`",
    "quota": "`quota() -> list[QuotaBucket]`",
    "client_id": "`client_id` (property, `str`)",
    "auth_method": "`auth_method` (property, `str`)",
}


def python_default(item: dict[str, str]) -> str:
    """An option's default as a Python value ("—": none)."""
    default, ty = item["default"], item["type"]
    if not default:
        return "—"
    if ty == "duration":
        value: Any = float(default.removesuffix(" s"))
    elif ty == "flag":
        value = default == "true"
    elif ty == "count":
        value = int(default)
    elif ty == "fraction":
        value = float(default)
    else:
        return f'`"{default}"`'
    return f"`{value!r}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def tables() -> dict[str, str]:
    """The README's reference tables, by surface section."""
    token_name = {"authorization_header": "`authorization_header()`"}  # a method
    return {
        "client_options": table(
            ["option", "type", "default", "environment", "meaning"],
            [
                [f"`{o['name']}`", OPTION_TYPES[o["type"]], python_default(o),
                 f"`{o['env']}`" if "env" in o else "— (code)", o["doc"]]
                for o in SURFACE["client_options"]
            ],
        ),
        "request_parameters": table(
            ["parameter", "type", "meaning"],
            [[f"`{p['name']}`", OPTION_TYPES[p["type"]], p["doc"]] for p in SURFACE["request_parameters"]],
        ),
        "client_methods": table(
            ["method", "what it does"],
            [[METHODS[m["name"]], m["doc"]] for m in SURFACE["client_methods"]],
        ),
        "token_fields": table(
            ["attribute", "type", "meaning"],
            [
                [
                    token_name.get(t["name"], f"`{t['name']}`"),
                    VALUE_TYPES[t["type"]] + (" or `None`" if t["name"] == "scope" else ""),
                    t["doc"],
                ]
                for t in SURFACE["token_fields"]
            ],
        ),
        "verifier_options": table(
            ["option", "type", "default", "meaning"],
            [
                [f"`{o['name']}`", OPTION_TYPES[o["type"]], python_default(o), o["doc"]]
                for o in SURFACE["verifier_options"]
            ],
        ),
        "claims_fields": table(
            ["attribute", "type", "meaning"],
            [
                [
                    f"`{c['name']}`",
                    VALUE_TYPES[c["type"]]
                    + ("" if c["name"] in ("issuer", "audience", "scopes", "expires_at") else " or `None`"),
                    c["doc"],
                ]
                for c in SURFACE["claims_fields"]
            ],
        ),
        "stats": table(
            ["counter", "counts"],
            [[f"`{s['name']}`", s["doc"]] for s in SURFACE["stats"]],
        ),
        "error_fields": table(
            ["attribute", "type", "meaning"],
            [
                [
                    f"`{e['name']}`",
                    VALUE_TYPES[e["type"]] + ("" if e["name"] in ("code", "message") else " or `None`"),
                    e["doc"],
                ]
                for e in SURFACE["error_fields"]
            ],
        ),
    }


# -- tests ---------------------------------------------------------------------


def test_the_package_readme_has_python_blocks() -> None:
    blocks = package_blocks()
    assert len(blocks) >= 5, "python/README.md lost its ```python blocks"
    assert all(block.strip() for block in blocks)


@pytest.mark.parametrize("section", sorted(tables()))
def test_the_package_readme_tables_are_the_surface(section: str) -> None:
    expected = tables()[section]
    assert expected in README.read_text(), (
        f"python/README.md's {section} table is not tests/surface.json's; "
        f"regenerate it with `python python/tests/test_package_readme.py`:\n{expected}"
    )


@pytest.mark.parametrize("index", range(len(package_blocks())))
def test_package_readme_python_block_runs(server: DevServer, index: int) -> None:
    # test_readme.py's own check (its environment, its dev server, its
    # assertions: one token request, the API's answer printed, no secret
    # shown), on this README's blocks.
    test_readme.run_block(server, package_blocks()[index])


def test_the_package_readme_has_a_private_key_quickstart() -> None:
    (block,) = private_key_blocks()
    assert "private_key_file=" in block and "client_secret" not in block
    assert "get_token()" in block and "authorization_header()" in block


@pytest.mark.parametrize("index", range(len(private_key_blocks())))
def test_private_key_block_runs(server: DevServer, index: int) -> None:
    # The client's public key registered with the dev server, as one uploads
    # it to the Auth0 dashboard; the example reads the private key's file.
    jwks = json.loads((KEYS / "public_jwks.json").read_text())
    server.add_client({
        "client_id": "demo-pk-client",
        "auth_methods": ["private_key_jwt"],
        "jwks": {"keys": [{**jwks["rsa2048"], "kid": "rsa-1"}]},
    })
    out = test_readme.run_block(
        server,
        private_key_blocks()[index],
        AUTH0_CLIENT_ID="demo-pk-client",
        AUTH0_PRIVATE_KEY_FILE=str(KEYS / "rsa2048.pem"),
        AUTH0_KEY_ID="rsa-1",
    )
    assert re.search(r"^Bearer token, expires in \d+ s$", out, re.M), out
    assert '"sub":"demo-pk-client"' in out.replace(" ", ""), out
    (body,) = [parse_qs(r["body"]) for r in server.requests()]
    assert body["client_assertion_type"] == [BEARER] and "client_secret" not in body


def test_the_package_readme_has_a_dpop_quickstart() -> None:
    (block,) = dpop_blocks()
    assert "dpop=True" in block and "M2MAuth(client)" in block
    assert "request_headers(" in block and "dpop_response(" in block


@pytest.mark.parametrize("index", range(len(dpop_blocks())))
def test_dpop_block_runs(server: DevServer, index: int) -> None:
    # The API demands a DPoP nonce: the adapter's first request gets the
    # challenge and is sent once more; the request by hand then carries the
    # nonce the engine remembered.
    server.dpop(nonce_api=True)
    out = test_readme.run_block(server, dpop_blocks()[index])
    assert re.search(r"^DPoP [\w-]{43}$", out, re.M), out
    stats = server.stats()
    assert (stats["dpop_token_requests"], stats["dpop_api_requests"]) == (1, 3), stats


def test_the_api_side_dpop_block_refuses_then_verifies(server: DevServer) -> None:
    # The API side's DPoP example: the engine's challenge without a token,
    # then the DPoP client's call through the nonce retry.
    (block,) = [b for b in package_blocks() if 'dpop="required"' in b]
    out = test_readme.run_block(server, block)
    assert 'DPoP algs="ES256 ES384 EdDSA RS256 PS256"' in out and out.startswith("401 "), out
    assert server.stats()["dpop_token_requests"] == 1


if __name__ == "__main__":
    for name, text in tables().items():
        print(f"<!-- {name} -->\n{text}\n")
