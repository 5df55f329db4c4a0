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

A request without a valid token gets 401 with ``WWW-Authenticate: Bearer
error="invalid_token", ...``; one whose token lacks a scope gets 403 with
``error="insufficient_scope"``; when the issuer's keys cannot be fetched,
503. The answer comes from the engine (the same in every language) and never
echoes the token.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from ._errors import M2MAuthError
from ._native import Claims
from ._refusal import refusal, required
from ._verifier import Verifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

__all__ = ["require_token"]


def require_token(
    verifier: Verifier, scopes: str | Iterable[str] | None = None, *, realm: str | None = None
) -> Callable[[Request], Awaitable[Claims]]:
    """A FastAPI dependency that verifies the request's bearer token and
    requires every scope of ``scopes``; it returns the token's :class:`Claims`
    (also in ``request.state.m2m_claims``) or raises ``HTTPException``
    (401/403/503 with the RFC 6750 ``WWW-Authenticate``). ``realm``, when
    given, is named in the challenge. Verifies without blocking the event loop.
    """
    needed = required(scopes)

    async def verified_token(request: Request) -> Claims:
        try:
            claims = await verifier.verify_request_async(request.headers.get("authorization"), needed)
        except M2MAuthError as e:
            status, headers, body = refusal(e, realm)
            raise HTTPException(status_code=status, detail=body, headers=headers or None) from None
        request.state.m2m_claims = claims
        return claims

    return verified_token
