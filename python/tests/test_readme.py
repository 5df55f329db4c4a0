"""The README's Python quickstart runs, as written, against the dev server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from devserver import REPO, DevServer


def python_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- python-quickstart")
    end = readme.index("\n## ", start)
    return re.findall(r"```python\n(.*?)```", readme[start:end], re.S)


def test_the_readme_has_a_python_quickstart() -> None:
    blocks = python_blocks()
    assert blocks, "no ```python block in the README's Python quickstart"
    assert "get_token()" in blocks[0] and "authorization_header()" in blocks[0]


def quickstart_env(server: DevServer) -> dict[str, str]:
    """The environment a README block runs in: the tutorial's variables, the
    dev server playing the Auth0 tenant, and no proxy."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        {
            "NO_PROXY": "127.0.0.1,localhost",
            # The tutorial's variables (the dev server plays the Auth0 tenant) ...
            "AUTH0_DOMAIN": server.url,
            "AUTH0_CLIENT_ID": "demo-client",
            "AUTH0_CLIENT_SECRET": "demo-secret",
            "API_AUDIENCE": "https://api.example.com",
            "API_URL": server.api_url,
            # The API side (python/README.md): the issuer whose tokens it accepts.
            "AUTH0_ISSUER": server.issuer,
            # ... and m2m-auth's own, for TokenClient.from_env().
            "M2M_AUTH_DOMAIN": server.url,
            "M2M_AUTH_CLIENT_ID": "demo-client",
            "M2M_AUTH_CLIENT_SECRET": "demo-secret",
            "M2M_AUTH_AUDIENCE": "https://api.example.com",
        }
    )
    return env


def run_block(server: DevServer, code: str, **env: str) -> str:
    """Runs `code` as a user runs it (its own interpreter, the quickstart
    environment updated with `env`); checks that it succeeded, printed the
    API's answer, made one token request and showed no secret. Its stdout."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**quickstart_env(server), **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert out.returncode == 0, out.stderr
    assert '"ok":true' in out.stdout.replace(" ", "") or "'ok': True" in out.stdout, out.stdout
    assert "demo-secret" not in out.stdout + out.stderr
    assert server.token_requests() == 1
    return out.stdout


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs(server: DevServer, index: int) -> None:
    run_block(server, python_blocks()[index])
