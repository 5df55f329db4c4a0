"""What the HTTP client adapters (``httpx.py``, ``requests.py``) share: the
engine's headers for a token, its reading of an answer, and where those
headers may follow a redirect. No rule about tokens of their own: the engine
decides which headers a token goes with and the one nonce retry
(``TokenClient.request_headers``, ``TokenClient.dpop_response``)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ._native import _same_origin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    from ._client import TokenClient
    from ._native import Token

# The headers this package sets (a redirect's copy loses both across origins).
_NAMES = ("Authorization", "DPoP")


def sign(client: TokenClient, headers: MutableMapping[str, str], method: str, url: str, token: Token) -> None:
    """Sets the headers that send ``token`` with the request ``method url``,
    as the engine makes them (it checks the URL first): ``Authorization``
    and, when it gives one, ``DPoP`` (else a proof left from an earlier
    attempt is removed)."""
    made = client.request_headers(method, url, token)
    for name in _NAMES:
        if name in made:
            headers[name] = made[name]
        else:
            headers.pop(name, None)


def nonce_retry(client: TokenClient, url: str, token: Token, status: int, headers: Mapping[str, str]) -> bool:
    """Hands the answer to a request sent with ``token`` to the engine (for
    a DPoP token it remembers the server's ``DPoP-Nonce``); True when the
    answer asks for the request once more with new headers (401
    ``use_dpop_nonce``)."""
    return client.dpop_response(url, token, status, headers.get("www-authenticate"), headers.get("dpop-nonce"))


def resign_redirect(
    client: TokenClient, headers: MutableMapping[str, str], method: str, url: str, first_url: str, token: Token
) -> None:
    """The headers of a redirect's request to ``method url``, from a request
    to ``first_url`` sent with ``token``: new ones from the engine for the
    new URL when it is on the same origin (a DPoP proof names one URL and
    method), none across origins (the token goes to the origin it was sent
    to only). The fragment is never sent, so it is left out."""
    for name in _NAMES:
        headers.pop(name, None)
    if _same_origin(first_url, url):
        sign(client, headers, method, urlunsplit(urlsplit(url)._replace(fragment="")), token)
