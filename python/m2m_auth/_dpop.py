"""What the HTTP client adapters (``httpx.py``, ``requests.py``) share: the
headers a token is sent with, and reading an answer for DPoP. No rule of its
own: the engine builds the proof and decides on the one nonce retry
(``TokenClient.dpop_proof``, ``TokenClient.dpop_response``)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

    from ._client import TokenClient
    from ._native import Token

# The token type of a DPoP-bound token (the engine normalizes its case).
_DPOP = "DPoP"


def sign(client: TokenClient, headers: MutableMapping[str, str], method: str, url: str, token: Token) -> None:
    """Sets the headers that send ``token`` with the request ``method url``:
    ``Authorization`` (``Bearer <token>`` or ``DPoP <token>``) and, for a
    DPoP token, ``DPoP`` with a new proof (the last nonce of ``url``'s
    server in it)."""
    headers["Authorization"] = token.authorization_header()
    if token.token_type == _DPOP:
        headers["DPoP"] = client.dpop_proof(method, url, token)
    else:
        # A proof left from an earlier attempt with another token.
        headers.pop("DPoP", None)


def nonce_retry(client: TokenClient, url: str, token: Token, status: int, headers: Mapping[str, str]) -> bool:
    """Hands the answer to a request sent with ``token`` to the engine (for
    a DPoP token: it remembers the server's ``DPoP-Nonce``); True when the
    answer asks for the request once more with a new proof (401
    ``use_dpop_nonce``). Always False for a Bearer token."""
    if token.token_type != _DPOP:
        return False
    return client.dpop_response(url, status, headers.get("www-authenticate"), headers.get("dpop-nonce"))
