"""Flask integration: :func:`require_token`, a view decorator (extra ``m2m-auth[flask]``).

::

    from flask import Flask, g
    from m2m_auth import Verifier
    from m2m_auth.flask import require_token

    verifier = Verifier(issuer="https://your-tenant.us.auth0.com/",
                        audience="https://api.example.com")
    app = Flask(__name__)

    @app.get("/things")
    @require_token(verifier, scopes=["read:things"])
    def things():
        return {"client": g.m2m_claims.client_id}

A request without a valid token gets 401 with ``WWW-Authenticate: Bearer
error="invalid_token", ...``; one whose token lacks a scope gets 403 with
``error="insufficient_scope"``; when the issuer's keys cannot be fetched,
503. The answer comes from the engine (the same in every language) and never
echoes the token. Async views are verified without blocking their loop.
"""

from __future__ import annotations

import functools
import inspect

from flask import abort, g, jsonify, request

from ._errors import M2MAuthError
from ._native import Claims
from ._refusal import refusal, required
from ._verifier import Verifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, NoReturn, TypeVar

    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

__all__ = ["require_token"]


def _refuse(error: M2MAuthError, realm: str | None) -> NoReturn:
    status, headers, body = refusal(error, realm)
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    abort(response)


def require_token(
    verifier: Verifier, scopes: str | Iterable[str] | None = None, *, realm: str | None = None
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A view decorator that verifies the request's bearer token and requires
    every scope of ``scopes``: the view runs with the token's :class:`Claims`
    in ``flask.g.m2m_claims``, or the request is answered 401/403/503 with the
    RFC 6750 ``WWW-Authenticate`` (``flask.abort``). ``realm``, when given, is
    named in the challenge. Put it below ``@app.route``.
    """
    needed = required(scopes)

    def accept(claims: Claims) -> None:
        g.m2m_claims = claims

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def verified_async(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                try:
                    accept(await verifier.verify_request_async(request.headers.get("Authorization"), needed))
                except M2MAuthError as e:
                    _refuse(e, realm)
                return await view(*args, **kwargs)

            return verified_async  # type: ignore[return-value]

        @functools.wraps(view)
        def verified(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                accept(verifier.verify_request(request.headers.get("Authorization"), needed))
            except M2MAuthError as e:
                _refuse(e, realm)
            return view(*args, **kwargs)

        return verified

    return decorate
