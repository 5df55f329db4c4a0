"""httpx integration: :class:`M2MAuth`, an ``httpx.Auth`` (extra ``m2m-auth[httpx]``).

::

    import httpx
    from m2m_auth import TokenClient
    from m2m_auth.httpx import M2MAuth

    auth = M2MAuth(TokenClient.from_env())
    httpx.get("https://api.example.com/things", auth=auth)           # sync
    async with httpx.AsyncClient(auth=auth) as http:                  # asyncio
        await http.get("https://api.example.com/things")

Each request gets ``Authorization: Bearer <token>`` from the client's cache.
If the API answers 401, the token is invalidated (only if it is still the
cached one: ``TokenClient.invalidate_rejected``), a new one fetched, and the
request sent once more; whatever the API answers then is returned.

The headers are the engine's (``TokenClient.request_headers``): with
``dpop=True`` on the client, a DPoP token goes as ``Authorization: DPoP
<token>`` with a new ``DPoP`` proof on every request; every answer is handed
to ``TokenClient.dpop_response`` (it keeps the server's nonce), and a 401
asking for a nonce (``use_dpop_nonce``) gets the request once more with new
headers, before the renewal on 401.

Redirects: httpx follows them (``follow_redirects=True``; off by default)
inside one step of the auth flow, without asking the auth, with the first
request's headers; it drops ``Authorization`` across origins itself. A DPoP
proof names one URL and method, so when httpx followed a redirect on the
first request's origin and the API refused the redirected request with a
401, this auth sends that request once more with new headers for its own URL
(then the nonce retry and the renewal apply to its answer). Across origins
the redirected request carried no token (a proof without its token is of no
use: it holds the token's hash); leave ``follow_redirects`` off to send
nothing there at all.
"""

from __future__ import annotations

import httpx

from ._client import TokenClient
from ._headers import nonce_retry, sign
from ._native import _check_url, _same_origin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator

    from typing_extensions import Unpack

    from ._native import Token, _RequestParameters

__all__ = ["M2MAuth"]


class M2MAuth(httpx.Auth):
    """An ``httpx.Auth`` that sends the client's token, for sync and async httpx.

    Keywords: the request parameters (``audience``, ``scope``,
    ``organization``, ``resource``, ``extra``), overriding the client's
    defaults for the requests this auth signs.

    Raises ``ConfigError`` for a URL that must not carry a token (the engine's
    rule, checked for every request before any token is fetched, and by
    ``request_headers`` again: ``https://``, or ``http://`` to a loopback
    host; no user info, no fragment).
    """

    # The request body is read first, so that the one retry after a 401 can
    # send it again.
    requires_request_body = True

    def __init__(self, client: TokenClient, **params: Unpack[_RequestParameters]) -> None:
        self.client = client
        """The token client."""
        self._params = params

    def _token(self) -> Token:
        return self.client.get_token(**self._params) if self._params else self.client.get_token()

    def _signed(self, request: httpx.Request, token: Token) -> httpx.Request:
        sign(self.client, request.headers, request.method, str(request.url), token)
        return request

    def _nonce_retry(self, request: httpx.Request, token: Token, response: httpx.Response) -> bool:
        return nonce_retry(self.client, str(request.url), token, response.status_code, response.headers)

    def _stale_redirect(self, signed: httpx.Request, first: httpx.Request, response: httpx.Response) -> bool:
        """True when httpx followed a redirect from ``signed`` (the answer's
        request is another) on ``first``'s origin with a DPoP proof made for
        the first URL, and the API refused it (401): then the redirected
        request is sent once more with its own headers."""
        hop = response.request
        return (
            hop is not signed
            and response.status_code == 401
            and "DPoP" in hop.headers
            and _same_origin(str(first.url), str(hop.url))
        )

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Signs ``request``; re-signs a redirect httpx followed with a stale
        DPoP proof; on a DPoP nonce challenge, sends it once more with new
        headers; on a 401, renews the token and sends it once more."""
        first = request
        _check_url(str(request.url))
        token = self._token()
        response = yield self._signed(request, token)
        if self._stale_redirect(request, first, response):
            request = response.request
            response = yield self._signed(request, token)
        if not _same_origin(str(first.url), str(response.request.url)):
            return  # httpx followed a redirect to another origin: no token goes there
        if self._nonce_retry(response.request, token, response):
            request = response.request
            response = yield self._signed(request, token)
            self._nonce_retry(response.request, token, response)
        if response.status_code == 401:
            self.client.invalidate_rejected(token, **self._params)
            token = self._token()
            response = yield self._signed(request, token)
            self._nonce_retry(response.request, token, response)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Signs ``request`` without blocking the event loop; re-signs a
        redirect httpx followed with a stale DPoP proof; on a DPoP nonce
        challenge, sends it once more with new headers; on a 401, renews the
        token and sends it once more."""
        first = request
        _check_url(str(request.url))
        token = await self.client.get_token_async(**self._params)
        response = yield self._signed(request, token)
        if self._stale_redirect(request, first, response):
            request = response.request
            response = yield self._signed(request, token)
        if not _same_origin(str(first.url), str(response.request.url)):
            return  # httpx followed a redirect to another origin: no token goes there
        if self._nonce_retry(response.request, token, response):
            request = response.request
            response = yield self._signed(request, token)
            self._nonce_retry(response.request, token, response)
        if response.status_code == 401:
            self.client.invalidate_rejected(token, **self._params)
            token = await self.client.get_token_async(**self._params)
            response = yield self._signed(request, token)
            self._nonce_retry(response.request, token, response)
