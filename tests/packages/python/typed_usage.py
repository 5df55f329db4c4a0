"""A small typed program using the installed m2m_auth, as an application would.

scripts/test-package-python.sh checks it with ``mypy --strict`` against the
wheel installed in a fresh venv (the package's ``py.typed`` and stubs are
what mypy sees), then runs it against the dev server: DEV_URL (the tenant)
and DEV_ISSUER say where it is.

It covers what issue #15 names: TokenClient, fetch_token, the Token fields,
Verifier (the API side, verifying the token just fetched) and the errors.
Verifying the dev server's RS256 token runs aws-lc (aws-lc-rs) inside the
zig-linked extension module, fetching one runs ring (SHA-256 of the cache
key and of the fingerprint): their C and assembly parts work as built for
the wheel.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import m2m_auth
from m2m_auth import (
    Claims,
    ConfigError,
    InsufficientScopeError,
    InvalidTokenError,
    M2MAuthError,
    OAuthError,
    Token,
    TokenClient,
    TransportError,
    Verifier,
)


def fetch(domain: str) -> Token:
    """A new token for the API (bypassing, then filling, the cache)."""
    with TokenClient(
        domain=domain,
        client_id="demo-client",
        client_secret="demo-secret",
        audience="https://api.example.com",
        timeout=timedelta(seconds=10),
        max_attempts=2,
    ) as client:
        token: Token = client.fetch_token()
        again: Token = client.get_token()
        assert again.fingerprint == token.fingerprint, "get_token() did not serve the cached token"
        hits: int = client.stats().hits
        assert hits >= 1, client.stats().as_dict()
        return token


def describe(token: Token) -> str:
    """Every field of a Token but the token itself (never printed)."""
    kind: str = token.token_type
    expires_in: float = token.expires_in
    expires_at: float = token.expires_at
    refresh_at: float = token.refresh_at
    scope: str | None = token.scope
    extra: dict[str, object] = token.extra
    header: str = token.authorization_header()
    assert header == f"{kind} {token.access_token}"
    assert refresh_at <= expires_at
    return f"{kind} expires_in={expires_in:.0f}s scope={scope!r} extra={sorted(extra)} fp={token.fingerprint}"


def verify(issuer: str, token: Token) -> Claims:
    """The API side: the token's claims, checked against the issuer's keys."""
    verifier = Verifier(issuer=issuer, audience="https://api.example.com", leeway=5.0)
    claims: Claims = verifier.verify_request(token.authorization_header())
    audience: list[str] = claims.audience
    assert "https://api.example.com" in audience, audience
    try:
        verifier.verify_request(token.authorization_header(), scopes=["no:such-scope"])
    except InsufficientScopeError as error:
        required: str | None = error.required_scope
        assert required == "no:such-scope", required
    else:
        raise AssertionError("a missing scope was accepted")
    try:
        verifier.verify("not-a-jwt")
    except InvalidTokenError as error:
        assert error.reason == "malformed", error.reason
    else:
        raise AssertionError("a malformed token was accepted")
    return claims


def errors(domain: str) -> None:
    """Each failure is a typed M2MAuthError subclass with its fields."""
    # The engine logs each failed token request (a warning on the m2m_auth
    # logger); these failures are the point here, so keep them off stderr.
    logging.getLogger("m2m_auth").setLevel(logging.ERROR)
    try:
        TokenClient(domain=domain, client_id="demo-client")
    except ConfigError as error:
        code: str = error.code
        assert code == "config", code
    else:
        raise AssertionError("a client without credentials was built")
    client = TokenClient(
        domain=domain, client_id="demo-client", client_secret="not-the-secret", max_attempts=1
    )
    try:
        client.fetch_token()
    except OAuthError as error:
        status: int | None = error.status
        assert error.error == "invalid_client" and status == 401, (error.error, status)
        assert "not-the-secret" not in str(error)
    finally:
        client.close()
    # A port nothing listens on (port 9 of loopback: discard, never served here).
    unreachable = TokenClient(
        token_url="http://127.0.0.1:9/oauth/token",
        client_id="demo-client",
        client_secret="demo-secret",
        max_attempts=1,
    )
    try:
        unreachable.fetch_token()
    except TransportError as error:
        kind: str | None = error.kind
        assert kind == "connect", kind
    except M2MAuthError as error:
        raise AssertionError(f"expected a TransportError, got {error.code}") from error


def main() -> None:
    domain = os.environ["DEV_URL"]
    token = fetch(domain)
    print("token:", describe(token))
    claims = verify(os.environ.get("DEV_ISSUER", domain), token)
    print("claims: iss", claims.issuer, "client_id", claims.client_id, "scopes", claims.scopes)
    errors(domain)
    print(f"typed_usage: ok (m2m_auth {m2m_auth.__version__})")


if __name__ == "__main__":
    main()
