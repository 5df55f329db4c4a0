"""oidc-provider (tests/interop/server.mjs), the real authorization server of
the interop tests (test_interop.py, test_interop_mtls.py): started as a
child process, its fields read from the one JSON line it prints. Without
Node.js or its modules, the tests that use it are skipped, saying why."""

from __future__ import annotations

import base64
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devserver import REPO

INTEROP = REPO / "tests" / "interop"
CONFIG: dict[str, Any] = json.loads((INTEROP / "clients.json").read_text())
# Longest wait for the server's first line (it starts in about a second).
STARTUP_S = 30


class Provider:
    """A running server.mjs; it exits when its stdin closes (stop())."""

    def __init__(self) -> None:
        # stderr goes to a file, not a pipe nobody reads (a full pipe would
        # block the server). The first line is awaited at most STARTUP_S;
        # a server that has not said it listens by then is killed and
        # started once more, saying so on stderr (a CI run and a developer's
        # run each once waited forever at the first test of a module that
        # starts this server; pytest's faulthandler_timeout shows where).
        line = b""
        for attempt in (1, 2):
            self.stderr = tempfile.TemporaryFile()
            reports = tempfile.mkdtemp(prefix="m2m-node-report-")
            self.proc = subprocess.Popen(
                # A report (JS and native stacks) on SIGUSR2: what a silent
                # start was doing, printed before it is killed.
                ["node", "--report-on-signal", f"--report-directory={reports}", str(INTEROP / "server.mjs"), "--exit-on-stdin-eof"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
            )
            line = self._first_line()
            if line:
                break
            self.proc.send_signal(signal.SIGUSR2)
            time.sleep(3)
            for report in Path(reports).glob("*.json"):
                parts = json.loads(report.read_text())
                shown = {k: parts.get(k) for k in ("javascriptStack", "nativeStack", "libuv")}
                sys.stderr.write(f"oidc-provider's report: {json.dumps(shown)[:20000]}\n")
            self.proc.kill()
            self.proc.wait()
            self.stderr.seek(0)
            said = self.stderr.read().decode(errors="replace")
            self.stderr.close()
            sys.stderr.write(f"oidc-provider gave no startup line in {STARTUP_S} s (attempt {attempt}): {said!r}\n")
        if not line:
            raise RuntimeError("oidc-provider did not start (twice); see the lines above")
        info = json.loads(line)
        self.issuer: str = info["issuer"]
        self.token_endpoint: str = info["token_endpoint"]
        # The https (mutual TLS) listener: its token endpoint (discovery's
        # mtls_endpoint_aliases), the CA of its certificate, and the
        # directory the `*_file` names of clients.json are relative to.
        self.mtls_token_endpoint: str = info["mtls_token_endpoint"]
        self.ca_file = Path(info["ca_file"])
        self.certs_dir = Path(info["certs_dir"])

    def _first_line(self) -> bytes:
        """The server's JSON line, or b"" if none came within STARTUP_S."""
        got: list[bytes] = []
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        reader = threading.Thread(target=lambda: got.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(STARTUP_S)
        return got[0] if got else b""

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def start_provider() -> Iterator[Provider]:
    """The body of a module-scoped fixture: a server for the module's tests."""
    if shutil.which("node") is None:
        pytest.skip("interop: Node.js is not installed (needed to run oidc-provider)")
    if not (INTEROP / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("interop: oidc-provider is not installed (run `npm ci` in tests/interop)")
    p = Provider()
    yield p
    p.stop()


def claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (not verified)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]
