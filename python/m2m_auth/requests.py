"""requests integration: :class:`M2MAuth`, a ``requests.auth.AuthBase``
(extra ``m2m-auth[requests]``).

::

    import requests
    from m2m_auth import TokenClient
    from m2m_auth.requests import M2MAuth

    session = requests.Session()
    session.auth = M2MAuth(TokenClient.from_env())
    session.get("https://api.example.com/things")

Each request gets ``Authorization: Bearer <token>`` from the client's cache.
If the API answers 401, the token is invalidated, a new one fetched, and the
request sent once more; whatever the API answers then is returned (the 401
stays in ``response.history``).
"""

from __future__ import annotations

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from ._client import TokenClient
from ._native import _check_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ._native import Token

__all__ = ["M2MAuth"]

# Marks a request already sent again after a 401 (never retried twice).
_RETRIED = "_m2m_auth_retried"
# Where a file-like body started, to send it again.
_BODY_POS = "_m2m_auth_body_pos"
# The token a request was signed with (dropped on a 401 unless renewed).
_TOKEN = "_m2m_auth_token"


class M2MAuth(AuthBase):
    """A ``requests`` auth that sends the client's token.

    ``audience``, ``scope``, ``organization``, ``resource`` and ``extra``
    override the client's defaults for the requests this auth signs.
    """

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
        self._hook = self._on_response
        # The last origin the URL rule allowed: the rule depends on the scheme
        # and host only, so a request to the same origin needs no new check.
        self._allowed: str | None = None

    def _token(self) -> Token:
        if self._default:
            return self.client.get_token()
        return self.client.get_token(*self._request)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        """Signs ``r`` and arms the one renewal on a 401.

        Raises ``ConfigError`` for a URL that must not carry a token (only
        ``https://``, or ``http://`` to a loopback host).
        """
        url = r.url or ""
        end = url.find("/", 8)  # the path's "/" after "scheme://host"
        origin = url if end < 0 else url[:end]
        if origin != self._allowed:
            # The fragment is never sent: only what goes on the wire is checked.
            _check_url(url.split("#", 1)[0])
            self._allowed = origin
        client = self.client
        token = client.get_token() if self._default else client.get_token(*self._request)
        setattr(r, _TOKEN, token)
        r.headers["Authorization"] = token.authorization_header()
        body = r.body
        if body is not None and not isinstance(body, (bytes, str)):
            tell = getattr(body, "tell", None)
            if tell is not None:
                try:
                    setattr(r, _BODY_POS, tell())
                except OSError:
                    pass
        # As register_hook() does, without its per-call ABC check; once.
        hooks = r.hooks.setdefault("response", [])
        if self._hook not in hooks:
            hooks.append(self._hook)
        return r

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or getattr(request, _RETRIED, False):
            return response
        used = getattr(request, _TOKEN, None)
        if used is not None:
            self.client.invalidate_rejected(used, *self._request)
        else:
            self.client.invalidate(*self._request)
        retry = request.copy()
        setattr(retry, _RETRIED, True)
        pos = getattr(request, _BODY_POS, None)
        if pos is not None:
            retry.body.seek(pos)  # type: ignore[union-attr]
        # Release the connection of the 401, keep its cookies.
        response.content  # noqa: B018
        response.close()
        cookies = getattr(retry, "_cookies", None)
        if cookies is not None:
            extract_cookies_to_jar(cookies, request, response.raw)  # type: ignore[no-untyped-call]
            retry.prepare_cookies(cookies)
        token = self._token()
        setattr(retry, _TOKEN, token)
        retry.headers["Authorization"] = token.authorization_header()
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again
