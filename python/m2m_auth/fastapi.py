"""FastAPI integration: :func:`require_token`, a dependency (extra ``m2m-auth[fastapi]``).

::

    from fastapi import Depends, FastAPI
    from m2m_auth import Claims, Verifier
    from m2m_auth.fastapi import require_token

    verifier = Verifier(issuer="https://your-tenant.us.auth0.com/",
                        audience="https://api.example.com")
    app = FastAPI()

    @app.get("/things")
    async def things(claims: Claims = Depends(require_token(verifier, scopes=["read:things"]))):
        return {"client": claims.client_id}

The request itself is verified (``Verifier.verify_http_request``): its
method, ``request.url`` (behind a proxy, run the server with its
proxy-headers settings so that this is the public URL), ``Authorization``
and ``DPoP`` headers; a DPoP-bound token with its proof is taken as the
verifier's ``dpop`` option allows. A request without a valid token gets 401
with ``WWW-Authenticate: Bearer error="invalid_token", ...`` (``DPoP
error="invalid_dpop_proof"``, ``use_dpop_nonce``, ... for DPoP); one whose
token lacks a scope gets 403 with ``error="insufficient_scope"``; when the
issuer's keys cannot be fetched, 503. In DPoP nonce mode every answer
carries ``DPoP-Nonce``. The answer comes from the engine
(``Verifier.challenge``, the same in every language) and never echoes the
token.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, Response

from ._errors import M2MAuthError
from ._native import Claims
from ._refusal import dpop_header, refusal, required
from ._verifier import Verifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

__all__ = ["require_token"]


def require_token(
    verifier: Verifier, scopes: str | Iterable[str] | None = None, *, realm: str | None = None
) -> Callable[[Request, Response], Awaitable[Claims]]:
    """A FastAPI dependency that verifies the request's token (Bearer or DPoP) and
    requires every scope of ``scopes``; it returns the token's :class:`Claims`
    (also in ``request.state.m2m_claims``) or raises ``HTTPException``
    (401/403/503 with the engine's ``WWW-Authenticate``). ``realm``, when
    given, is named in the challenge. Verifies without blocking the event loop.
    """
    needed = required(scopes)

    async def verified_token(request: Request, response: Response) -> Claims:
        authorization = request.headers.get("authorization")
        dpop = dpop_header(request.headers.getlist("dpop"))
        try:
            claims = await verifier.verify_http_request_async(
                request.method, str(request.url), authorization, dpop, needed
            )
        except M2MAuthError as e:
            status, headers, body = refusal(verifier, e, authorization, realm)
            raise HTTPException(status_code=status, detail=body, headers=headers or None) from None
        # Nonce mode: every answer gives the nonce to use next (RFC 9449 §8.2).
        nonce = verifier.dpop_nonce()
        if nonce is not None:
            response.headers["DPoP-Nonce"] = nonce
        request.state.m2m_claims = claims
        return claims

    return verified_token
