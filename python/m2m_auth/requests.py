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
If the API answers 401, the token is invalidated (only if it is still the
cached one: ``TokenClient.invalidate_rejected``), a new one fetched, and the
request sent once more; whatever the API answers then is returned (the 401
stays in ``response.history``).

With ``dpop=True`` on the client, a DPoP token goes as ``Authorization: DPoP
<token>`` with a new ``DPoP`` proof (``TokenClient.dpop_proof``) on every
request; every answer is handed to ``TokenClient.dpop_response`` (it keeps
the server's nonce), and a 401 asking for a nonce (``use_dpop_nonce``) gets
the request once more with a new proof, before the renewal on 401 (each
answer sent again stays in ``response.history``).
"""

from __future__ import annotations

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from ._client import TokenClient
from ._dpop import nonce_retry, sign
from ._native import _check_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Unpack

    from ._native import Token, _RequestParameters

__all__ = ["M2MAuth"]

# Marks a request already sent again after a 401 (never retried twice).
_RETRIED = "_m2m_auth_retried"
# Where a file-like body started, to send it again.
_BODY_POS = "_m2m_auth_body_pos"
# The token a request was signed with (dropped on a 401 unless renewed).
_TOKEN = "_m2m_auth_token"


class M2MAuth(AuthBase):
    """A ``requests`` auth that sends the client's token.

    Keywords: the request parameters (``audience``, ``scope``,
    ``organization``, ``resource``, ``extra``), overriding the client's
    defaults for the requests this auth signs.
    """

    def __init__(self, client: TokenClient, **params: Unpack[_RequestParameters]) -> None:
        self.client = client
        """The token client."""
        self._params = params
        self._hook = self._on_response

    def _token(self) -> Token:
        return self.client.get_token(**self._params) if self._params else self.client.get_token()

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        """Signs ``r`` and arms the one renewal on a 401.

        Raises ``ConfigError`` for a URL that must not carry a token (core's
        rule, checked for every request: ``https://``, or ``http://`` to a
        loopback host; no user info, no fragment).
        """
        _check_url(r.url or "")
        token = self._token()
        setattr(r, _TOKEN, token)
        sign(self.client, r.headers, r.method or "GET", r.url or "", token)
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
        # Only a request this auth signed (not a redirect's copy) is sent again.
        used = getattr(request, _TOKEN, None)
        if used is None or getattr(request, _RETRIED, False):
            return response
        if self._nonce_retry(response, used):
            response = self._resend(response, used, kwargs)
            self._nonce_retry(response, used)
        if response.status_code != 401:
            return response
        self.client.invalidate_rejected(used, **self._params)
        token = self._token()
        response = self._resend(response, token, kwargs)
        self._nonce_retry(response, token)
        return response

    def _nonce_retry(self, response: requests.Response, token: Token) -> bool:
        return nonce_retry(self.client, response.request.url or "", token, response.status_code, response.headers)

    def _resend(self, response: requests.Response, token: Token, kwargs: dict[str, Any]) -> requests.Response:
        """Sends ``response``'s request once more, signed with ``token`` (a new
        DPoP proof with it); ``response`` goes into the answer's history."""
        request = response.request
        retry = request.copy()
        setattr(retry, _RETRIED, True)
        setattr(retry, _TOKEN, token)
        pos = getattr(request, _BODY_POS, None)
        if pos is not None:
            setattr(retry, _BODY_POS, pos)
            retry.body.seek(pos)  # type: ignore[union-attr]
        # Release the connection of the answer, keep its cookies.
        response.content  # noqa: B018
        response.close()
        cookies = getattr(retry, "_cookies", None)
        if cookies is not None:
            extract_cookies_to_jar(cookies, request, response.raw)  # type: ignore[no-untyped-call]
            retry.prepare_cookies(cookies)
        sign(self.client, retry.headers, retry.method or "GET", retry.url or "", token)
        again = response.connection.send(retry, **kwargs)
        again.history = [*response.history, response]
        again.request = retry
        return again
