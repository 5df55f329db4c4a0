"""What the server adapters answer when a request's token is refused: the
status, ``WWW-Authenticate`` and ``DPoP-Nonce`` headers from the engine
(:meth:`Verifier.challenge`), and a small JSON body that names the error,
never the token."""

from __future__ import annotations

from ._errors import M2MAuthError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._verifier import Verifier


def dpop_header(values: Iterable[str]) -> str | None:
    """The request's ``DPoP`` headers as the engine takes them: joined with
    ``", "`` (several are refused by the engine, not dropped here); None
    without one."""
    values = list(values)
    return ", ".join(values) if values else None


def required(scopes: str | Iterable[str] | None) -> list[str]:
    """The scopes an adapter requires: a ``str`` (space-separated) or an iterable."""
    if scopes is None:
        return []
    if isinstance(scopes, str):
        return scopes.split()
    return list(scopes)


def refusal(
    verifier: Verifier, error: M2MAuthError, authorization: str | None, realm: str | None
) -> tuple[int, dict[str, str], dict[str, str]]:
    """``(status, headers, body)`` for a refused request whose
    ``Authorization`` header was ``authorization``.

    401 and 403 carry the engine's ``WWW-Authenticate`` (``Bearer`` or
    ``DPoP``), a 401 in DPoP nonce mode the ``DPoP-Nonce``; the body says the
    error code and its reason code or required scope (all fixed strings or
    the configured scopes). 503 (the issuer's keys unreachable) says only
    that the server cannot check tokens now.
    """
    status, www_authenticate, nonce = verifier.challenge(error, authorization, realm)
    headers = {} if www_authenticate is None else {"WWW-Authenticate": www_authenticate}
    if nonce is not None:
        headers["DPoP-Nonce"] = nonce
    if status == 401:
        body = {"error": "invalid_token", "reason": error.reason or "invalid"}
    elif status == 403:
        body = {"error": "insufficient_scope", "required_scope": error.required_scope or ""}
    else:
        body = {"error": "temporarily_unavailable"}
    return status, headers, body
