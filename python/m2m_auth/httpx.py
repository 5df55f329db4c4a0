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
If the API answers 401, the token is invalidated, a new one fetched, and the
request sent once more; whatever the API answers then is returned.
"""

from __future__ import annotations

import httpx

from ._client import TokenClient
from ._native import _check_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator, Iterable, Mapping

    from ._native import Token

__all__ = ["M2MAuth"]


class M2MAuth(httpx.Auth):
    """An ``httpx.Auth`` that sends the client's token, for sync and async httpx.

    ``audience``, ``scope``, ``organization``, ``resource`` and ``extra``
    override the client's defaults for the requests this auth signs.
    """

    # The request body is read first, so that the one retry after a 401 can
    # send it again.
    requires_request_body = True

    def __init__(
        self,
        client: TokenClient,
        *,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        organization: str | None = None,
        resource: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        """The token client."""
        self._request = (audience, scope, organization, resource, extra)
        self._default = self._request == (None, None, None, None, None)
        # The last origin the URL rule allowed: the rule depends on the scheme
        # and host only, so a request to the same origin needs no new check.
        self._allowed: object = None

    def _check(self, url: httpx.URL) -> None:
        origin = (url.scheme, url.raw_host, url.port)
        if origin != self._allowed:
            # The fragment is never sent: only what goes on the wire is checked.
            _check_url(str(url.copy_with(fragment=None)))
            self._allowed = origin

    def _token(self) -> Token:
        if self._default:
            return self.client.get_token()
        return self.client.get_token(*self._request)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Signs ``request``; on a 401, renews the token and sends it once more.

        Raises ``ConfigError`` for a URL that must not carry a token (only
        ``https://``, or ``http://`` to a loopback host).
        """
        self._check(request.url)
        client = self.client
        token = client.get_token() if self._default else client.get_token(*self._request)
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            self.client.invalidate_rejected(token, *self._request)
            request.headers["Authorization"] = self._token().authorization_header()
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Signs ``request`` without blocking the event loop; on a 401, renews the
        token and sends it once more. The URL rule is the sync flow's."""
        self._check(request.url)
        token = await self.client.get_token_async(*self._request)
        request.headers["Authorization"] = token.authorization_header()
        response = yield request
        if response.status_code == 401:
            self.client.invalidate_rejected(token, *self._request)
            token = await self.client.get_token_async(*self._request)
            request.headers["Authorization"] = token.authorization_header()
            yield request
