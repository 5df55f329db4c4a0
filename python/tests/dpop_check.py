"""Checks of DPoP proofs (RFC 9449 §4.2) made by m2m_auth, with an independent
JOSE library (PyJWT on cryptography), against the proof's own public key;
and RFC 7638 thumbprints computed here, not by the engine."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt

# Members a public JWK must never carry (private key parts).
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWS, unverified (an access token's `cnf`)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def verify_proof(proof: str, method: str, url: str, access_token: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verifies `proof` for the request `method url` (and `access_token`)
    with PyJWT: signed by its header's `jwk`, `typ` dpop+jwt, `htm`, `htu`
    without query and fragment, `iat` now, a `jti`, `ath` exactly when a
    token is given. Its header and claims."""
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt"
    public = header["jwk"]
    assert not PRIVATE_MEMBERS & set(public), f"the proof's jwk has private members: {sorted(public)}"
    key = jwt.PyJWK(public, algorithm=header["alg"])
    claims: dict[str, Any] = jwt.decode(
        proof, key=key.key, algorithms=[header["alg"]], options={"require": ["iat", "jti", "htm", "htu"]}
    )
    assert claims["htm"] == method
    parts = urlsplit(url)
    assert claims["htu"] == urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    assert abs(claims["iat"] - time.time()) < 60
    assert isinstance(claims["jti"], str) and claims["jti"]
    if access_token is None:
        assert "ath" not in claims
    else:
        assert claims["ath"] == b64url(hashlib.sha256(access_token.encode()).digest())
    return header, claims
