"""Runs python/README.md's quickstart, as written, with an installed m2m_auth.

Usage: python quickstart.py README [EXPECTED_PACKAGE_DIR]

The interpreter running this script is the user's (a venv where the package
was installed from dist/); the block runs in a child interpreter of that
venv, from /, so that the source tree cannot be imported instead. The dev
server plays the Auth0 tenant of the quickstart, as in
python/tests/test_readme.py: DEV_URL, DEV_API_URL, DEV_CONTROL_URL and
DEV_CONTROL_TOKEN (scripts/lib.sh start_devserver) say where it is.

Checks: the block exits 0, prints the API's answer, sends one token request,
shows no secret; with EXPECTED_PACKAGE_DIR, m2m_auth is imported from there.
Standard library only: nothing but the package is installed in that venv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

SECRET = "demo-secret"


def quickstart(readme: str) -> str:
    """The first ```python block of the README's "## Quickstart" section."""
    text = open(readme, encoding="utf-8").read()
    start = text.index("\n## Quickstart")
    end = text.index("\n## ", start + 1)
    blocks: list[str] = re.findall(r"```python\n(.*?)```", text[start:end], re.S)
    if not blocks:
        sys.exit(f"quickstart: no ```python block under ## Quickstart in {readme}")
    return blocks[0]


def token_requests() -> int:
    """The dev server's count of token requests (its control API)."""
    req = urllib.request.Request(
        os.environ["DEV_CONTROL_URL"] + "/stats",
        headers={"Authorization": "Bearer " + os.environ["DEV_CONTROL_TOKEN"]},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        return int(json.loads(resp.read())["token_requests"])


def main() -> None:
    readme = sys.argv[1]
    code = quickstart(readme)
    # The tutorial's variables, the dev server playing the tenant; no proxy,
    # and nothing of this process's control token.
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("DEV_")
    }
    env.update(
        {
            "NO_PROXY": "127.0.0.1,localhost",
            "AUTH0_DOMAIN": os.environ["DEV_URL"],
            "AUTH0_CLIENT_ID": "demo-client",
            "AUTH0_CLIENT_SECRET": SECRET,
            "API_AUDIENCE": "https://api.example.com",
            "API_URL": os.environ["DEV_API_URL"],
        }
    )
    if len(sys.argv) > 2:
        # Where m2m_auth comes from, then the block itself.
        code = "import m2m_auth; print('m2m_auth from', m2m_auth.__file__)\n" + code
    before = token_requests()
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    sys.stdout.write(out.stdout)
    failures = []
    if out.returncode != 0:
        failures.append(f"exit status {out.returncode}: {out.stderr}")
    if '"ok":true' not in out.stdout.replace(" ", "") and "'ok': True" not in out.stdout:
        failures.append("the API's answer was not printed")
    if SECRET in out.stdout + out.stderr:
        failures.append("the client secret was printed")
    if token_requests() - before != 1:
        failures.append(f"{token_requests() - before} token requests, not 1")
    if len(sys.argv) > 2:
        expected = os.path.realpath(sys.argv[2])
        origin = re.search(r"^m2m_auth from (.*)$", out.stdout, re.M)
        if not origin or not os.path.realpath(origin.group(1)).startswith(expected + os.sep):
            failures.append(f"m2m_auth was not imported from {expected}")
    if failures:
        sys.exit("quickstart: " + "; ".join(failures))
    print("quickstart: ok")


if __name__ == "__main__":
    main()
