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

The headers are the engine's (``TokenClient.request_headers``): with
``dpop=True`` on the client, a DPoP token goes as ``Authorization: DPoP
<token>`` with a new ``DPoP`` proof on every request; every answer is handed
to ``TokenClient.dpop_response`` (it keeps the server's nonce), and a 401
asking for a nonce (``use_dpop_nonce``) gets the request once more with new
headers, before the renewal on 401 (each answer sent again stays in
``response.history``).

Redirects that requests follows: the redirected request gets new headers
from the engine for its own URL and method when it stays on the first
request's origin (scheme, host, port), and no ``Authorization`` or ``DPoP``
across origins. requests sends a redirect's copy without asking the auth,
so this auth's response hook re-signs the request the copy is made from
(as requests-oauthlib and other signing auths do).
"""

from __future__ import annotations

import functools
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar
from requests.utils import requote_uri

from ._client import TokenClient
from ._headers import nonce_retry, resign_redirect, sign
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
# Marks this auth's response hooks (one per signed request).
_HOOK = "_m2m_auth_hook"


class _Signed:
    """What the response hook of one signed request knows, for the redirects
    requests may follow: requests copies the first request (``first``) for
    the first hop, with its hooks but no other attribute, and each hop's own
    request after that."""

    __slots__ = ("first", "token")

    def __init__(self, first: requests.PreparedRequest, token: Token) -> None:
        self.first = first
        self.token = token


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

    def _token(self) -> Token:
        return self.client.get_token(**self._params) if self._params else self.client.get_token()

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        """Signs ``r`` and arms the one renewal on a 401.

        Raises ``ConfigError`` for a URL that must not carry a token (the
        engine's rule, checked for every request: ``https://``, or ``http://``
        to a loopback host; no user info, no fragment).
        """
        # Before any token is fetched (``request_headers`` checks it again,
        # and every redirect's URL).
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
        # As register_hook() does, without its per-call ABC check; one hook
        # of this auth per request (a request signed again keeps one).
        hooks = r.hooks.setdefault("response", [])
        hooks[:] = [h for h in hooks if not hasattr(h, _HOOK)]
        hook = functools.partial(self._on_response, _Signed(r, token))
        setattr(hook, _HOOK, True)
        hooks.append(hook)
        return r

    def _on_response(self, signed: _Signed, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        used = getattr(request, _TOKEN, None)
        # Only a request this auth signed (not a redirect's copy) is sent again.
        if used is not None and not getattr(request, _RETRIED, False):
            if self._nonce_retry(response, used):
                response = self._resend(response, used, kwargs)
                self._nonce_retry(response, used)
            if response.status_code == 401:
                self.client.invalidate_rejected(used, **self._params)
                signed.token = token = self._token()
                response = self._resend(response, token, kwargs)
                self._nonce_retry(response, token)
        if response.is_redirect:
            self._redirect(signed, response)
        return response

    def _redirect(self, signed: _Signed, response: requests.Response) -> None:
        """Before requests follows ``response`` (a redirect): gives the request
        it copies for the next hop the headers for that hop's URL and method,
        or none across origins (the first request's origin decides)."""
        request = response.request
        # The first hop copies the first request (even when this auth sent
        # it again); later hops copy their own request.
        source = signed.first if hasattr(request, _TOKEN) else request
        target = _redirect_target(response)
        if target is not None:
            method = _redirect_method(request.method or "GET", response.status_code)
            first = signed.first.url or ""
            resign_redirect(self.client, source.headers, method, target, first, signed.token)

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


def _redirect_target(response: requests.Response) -> str | None:
    """The absolute URL ``response`` redirects to, as requests resolves it
    (``Session.get_redirect_target``, then joined to the request's URL)."""
    location = response.headers.get("location")
    if not location:
        return None
    # requests reads the header as latin-1 text that was UTF-8 bytes.
    try:
        location = location.encode("latin1").decode("utf8")
    except UnicodeError:
        pass
    base = response.url or response.request.url or ""
    if location.startswith("//"):
        location = f"{urlsplit(base).scheme}:{location}"
    if not urlsplit(location).netloc:
        return urljoin(base, requote_uri(location))
    return requote_uri(location)


def _redirect_method(method: str, status: int) -> str:
    """The method requests uses for the next hop (``Session.rebuild_method``)."""
    if status == 303 and method != "HEAD":
        return "GET"
    if status == 302 and method != "HEAD":
        return "GET"
    if status == 301 and method == "POST":
        return "GET"
    return method
