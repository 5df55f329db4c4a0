"""The verifier's benchmark (issue #13): verifications per second of the
conformance vectors' RS256 and ES256 tokens, uncached (`cache_size=0`) and
with the verified-token cache, next to PyJWT and joserfc doing the same
checks (signature, `iss`, `aud`, `exp`). Static JWKS: no I/O in the loop.
Figures are printed (a Markdown table), not asserted. Run by run.sh.
"""

from __future__ import annotations

import json
import timeit
from pathlib import Path
from typing import Any, Callable

import jwt as pyjwt
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from m2m_auth import Verifier

REPO = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "verify" / "vectors.json").read_text())
ISSUER, AUDIENCE = VECTORS["issuer"], VECTORS["audience"]
JWKS = VECTORS["jwks"]


def per_second(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best of `repeat` rounds (each about 0.2 s)."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return number / min(timer.repeat(repeat=repeat, number=number))


def token(name: str) -> tuple[str, str, str]:
    """The vector's token, its alg and kid."""
    t = next(c["token"] for c in VECTORS["cases"] if c["name"] == name)
    header = pyjwt.get_unverified_header(t)
    return t, header["alg"], header["kid"]


def contenders(name: str) -> dict[str, Callable[[], object]]:
    t, alg, kid = token(name)
    jwks = json.dumps(JWKS)
    cached = Verifier(issuer=ISSUER, audience=AUDIENCE, jwks=jwks)
    uncached = Verifier(issuer=ISSUER, audience=AUDIENCE, jwks=jwks, cache_size=0)
    key = pyjwt.PyJWK(next(k for k in JWKS["keys"] if k["kid"] == kid)).key
    keyset = KeySet.import_key_set(JWKS)
    claims = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
    )

    def jose() -> object:
        decoded = jose_jwt.decode(t, keyset, algorithms=[alg])
        claims.validate(decoded.claims)
        return decoded

    return {
        "m2m-auth, uncached": lambda: uncached.verify(t),
        "m2m-auth, cached": lambda: cached.verify(t),
        "PyJWT": lambda: pyjwt.decode(t, key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER),
        "joserfc": jose,
    }


def main() -> None:
    print("## Verifying an access token (verifications/s, best of 5 rounds)\n")
    print("| token | m2m-auth uncached | m2m-auth cached | PyJWT | joserfc | cached ÷ fastest peer |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("valid-rs256", "valid-es256"):
        rates = {k: per_second(f) for k, f in contenders(name).items()}
        peer = max(rates["PyJWT"], rates["joserfc"])
        cells = " | ".join(f"{r:,.0f}" for r in rates.values())
        print(f"| {token(name)[1]} | {cells} | {rates['m2m-auth, cached'] / peer:.0f}× |")


if __name__ == "__main__":
    main()
