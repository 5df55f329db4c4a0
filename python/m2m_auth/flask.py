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

The request itself is verified (``Verifier.verify_http_request``): its
method, ``request.url`` (behind a proxy, wrap the app in werkzeug's
``ProxyFix`` so that this is the public URL), ``Authorization`` and ``DPoP``
headers; a DPoP-bound token with its proof is taken as the verifier's
``dpop`` option allows. A request without a valid token gets 401 with
``WWW-Authenticate: Bearer error="invalid_token", ...`` (``DPoP
error="invalid_dpop_proof"``, ``use_dpop_nonce``, ... for DPoP); one whose
token lacks a scope gets 403 with ``error="insufficient_scope"``; when the
issuer's keys cannot be fetched, 503. In DPoP nonce mode every answer
carries ``DPoP-Nonce``. The answer comes from the engine
(``Verifier.challenge``, the same in every language) and never echoes the
token. Async views are verified without blocking their loop.
"""

from __future__ import annotations

import functools
import inspect

from flask import after_this_request, abort, g, jsonify, request

from ._errors import M2MAuthError
from ._native import Claims
from ._refusal import dpop_header, refusal, required
from ._verifier import Verifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, NoReturn, TypeVar

    from flask import Response
    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

__all__ = ["require_token"]


def _request() -> tuple[str, str, str | None, str | None]:
    """The request as the verifier takes it: method, URL, ``Authorization``, ``DPoP``."""
    headers = request.headers
    return request.method, request.url, headers.get("Authorization"), dpop_header(headers.getlist("DPoP"))


def _refuse(verifier: Verifier, error: M2MAuthError, authorization: str | None, realm: str | None) -> NoReturn:
    status, headers, body = refusal(verifier, error, authorization, realm)
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    abort(response)


def require_token(
    verifier: Verifier, scopes: str | Iterable[str] | None = None, *, realm: str | None = None
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A view decorator that verifies the request's token (Bearer or DPoP) and requires
    every scope of ``scopes``: the view runs with the token's :class:`Claims`
    in ``flask.g.m2m_claims``, or the request is answered 401/403/503 with the
    engine's ``WWW-Authenticate`` (``flask.abort``). ``realm``, when given, is
    named in the challenge. Put it below ``@app.route``.
    """
    needed = required(scopes)

    def accept(claims: Claims) -> None:
        g.m2m_claims = claims
        # Nonce mode: every answer gives the nonce to use next (RFC 9449 §8.2).
        nonce = verifier.dpop_nonce()
        if nonce is not None:

            @after_this_request
            def give_nonce(response: Response) -> Response:
                response.headers["DPoP-Nonce"] = nonce
                return response

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def verified_async(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                method, url, authorization, dpop = _request()
                try:
                    accept(await verifier.verify_http_request_async(method, url, authorization, dpop, needed))
                except M2MAuthError as e:
                    _refuse(verifier, e, authorization, realm)
                return await view(*args, **kwargs)

            return verified_async  # type: ignore[return-value]

        @functools.wraps(view)
        def verified(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            method, url, authorization, dpop = _request()
            try:
                accept(verifier.verify_http_request(method, url, authorization, dpop, needed))
            except M2MAuthError as e:
                _refuse(verifier, e, authorization, realm)
            return view(*args, **kwargs)

        return verified

    return decorate
