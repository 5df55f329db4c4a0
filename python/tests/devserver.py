"""The dev/fault authorization server (devserver/PROTOCOL.md), as a process.

The binary comes from ``$M2M_AUTH_DEVSERVER`` [target/debug/m2m-auth-devserver
of the repository]; ``scripts/test-python.sh`` builds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def binary() -> str:
    return os.environ.get(
        "M2M_AUTH_DEVSERVER", str(REPO / "target" / "debug" / "m2m-auth-devserver")
    )


class DevServer:
    """One dev server process and its control API."""

    def __init__(
        self,
        clients: list[dict[str, Any]] | None = None,
        cheap_tokens: bool = False,
        client_ca: str | None = None,
        tls: bool = False,
        dpop_nonce: bool = False,
    ):
        """`tls`, or `client_ca` (PEM): also listen for https, with mutual
        TLS (PROTOCOL.md); then `https_url`, `mtls_token_url` and
        `tls_ca_pem` are set. `dpop_nonce`: the token endpoint and /api
        demand a DPoP nonce from the start."""
        args = [binary(), "--exit-on-stdin-eof"]
        self._clients_file = None
        if dpop_nonce:
            args.append("--dpop-nonce")
        if clients is not None or client_ca is not None or tls:
            config: dict[str, Any] = {"clients": clients or [], "tls": tls}
            if client_ca is not None:
                config["client_ca"] = client_ca
            f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            json.dump(config, f)
            f.close()
            self._clients_file = f.name
            args += ["--clients", f.name]
        if cheap_tokens:
            args.append("--cheap-tokens")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"dev server {args[0]} did not start")
        info = json.loads(line)
        self.url: str = info["url"]
        self.issuer: str = info["issuer"]
        self.token_url: str = info["token_url"]
        self.jwks_uri: str = info["jwks_uri"]
        self.api_url: str = info["api_url"]
        self.control_url: str = info["control_url"]
        # The control API needs the token from the startup line (PROTOCOL.md).
        self.control_token: str = info["control_token"]
        self.https_url: str | None = info.get("https_url")
        self.mtls_token_url: str | None = info.get("mtls_token_url")
        self.tls_ca_pem: str | None = info.get("tls_ca_pem")

    # -- control API -------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.control_url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.control_token}",
            },
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def faults(self, steps: list[dict[str, Any]], repeat_last: bool = False, target: str | None = None) -> None:
        q = "" if target is None else f"?target={target}"
        self._call("POST", "/faults" + q, {"steps": steps, "repeat_last": repeat_last})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")
        self._call("DELETE", "/faults?target=api")

    def add_client(self, client: dict[str, Any]) -> None:
        self._call("POST", "/clients", client)

    def stats(self) -> dict[str, int]:
        return self._call("GET", "/stats")  # type: ignore[no-any-return]

    def token_requests(self) -> int:
        return self.stats()["token_requests"]

    def api_requests(self) -> int:
        return self.stats()["api_requests"]

    def dpop(self, **settings: bool) -> dict[str, Any]:
        """DPoP nonce mode per endpoint (`nonce_token`, `nonce_api`) and
        `rotate` (a new nonce); the state after (PROTOCOL.md "DPoP")."""
        return self._call("POST", "/dpop", settings)  # type: ignore[no-any-return]

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._clients_file:
            os.unlink(self._clients_file)
            self._clients_file = None
