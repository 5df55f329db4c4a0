"""`Verifier`: the native verifier plus its asyncio methods (the API side).

Every rule (algorithms, keys, claims, caching) is the engine's
(docs/design.md §10); this class only adds ``async def`` methods over the
native ones, as ``TokenClient`` does.
"""

from __future__ import annotations

from . import _native
from ._native import Claims

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Verifier", "challenge"]


class Verifier(_native.Verifier):
    """Verifies RFC 9068 access tokens (JWTs) for an API.

    Every option is a keyword (``tests/surface.json``: ``verifier_options``).
    ``issuer`` (``iss`` must equal it exactly) and ``audience`` (``str`` or a
    list: ``aud`` must name one) are required. The keys come from exactly one
    of ``jwks_uri``, a static ``jwks`` (JSON text), or else the issuer's
    metadata (discovery). ``algorithms`` defaults to RS256, PS256, ES256 and
    EdDSA (``none`` and HMAC are refused); ``leeway`` (seconds, default 30)
    applies to ``exp``/``nbf``/``iat``; ``strict_typ`` (default True) requires
    ``typ: at+jwt``. Builds without I/O: an unknown keyword is a
    ``TypeError``, a bad option a ``ConfigError``.

    DPoP (RFC 9449, docs/design.md §11): ``dpop`` is ``"allowed"`` (the
    default: Bearer tokens, and DPoP-bound ones with their proof),
    ``"required"`` (DPoP only) or ``"off"``; ``dpop_algorithms`` the proofs'
    algorithms; ``dpop_max_age`` (seconds, default 60) how old a proof may be;
    ``dpop_replay_cache_size`` how many proofs are remembered against replay;
    ``dpop_nonce=True`` requires a nonce this API gave, made with
    ``dpop_nonce_secret`` (at least 32 bytes, the same in every process).
    ``verify_http_request(method, url, authorization, dpop, scopes)`` checks
    a request as it arrived (Bearer or DPoP); ``challenge(error,
    authorization, realm)`` gives its answer, ``dpop_nonce()`` the nonce to
    send.

    ``verify(token)`` and ``verify_request(authorization, scopes)`` return
    :class:`Claims` or raise ``InvalidTokenError`` (``.reason``) or
    ``InsufficientScopeError`` (``.required_scope``); a JWKS that cannot be
    fetched raises the error of that fetch (``TransportError``, ...). Sync
    methods release the GIL while they verify or wait; the ``*_async``
    methods never block the event loop. Thread-safe; a repeated token is
    answered from a cache of verified tokens.
    """

    __slots__ = ()

    async def verify_async(self, token: str) -> Claims:
        """``verify()`` for asyncio: awaits a JWKS fetch on the running loop,
        never blocking it; with the keys at hand, returns without waiting."""
        result = self._verify_async(token)
        if isinstance(result, Claims):
            return result
        return await result

    async def verify_request_async(
        self, authorization: str | None, scopes: str | Iterable[str] | None = None
    ) -> Claims:
        """``verify_request()`` for asyncio, as :meth:`verify_async`."""
        result = self._verify_request_async(authorization, scopes)
        if isinstance(result, Claims):
            return result
        return await result

    async def verify_http_request_async(
        self,
        method: str,
        url: str,
        authorization: str | None,
        dpop: str | None = None,
        scopes: str | Iterable[str] | None = None,
    ) -> Claims:
        """``verify_http_request()`` for asyncio, as :meth:`verify_async`."""
        result = self._verify_http_request_async(method, url, authorization, dpop, scopes)
        if isinstance(result, Claims):
            return result
        return await result


def challenge(error: BaseException, realm: str | None = None) -> tuple[int, str | None]:
    """The RFC 6750 answer to a failed verification: ``(status, www_authenticate)``.

    ``InvalidTokenError`` → 401 with ``Bearer error="invalid_token",
    error_description="<reason>"`` (a bare ``Bearer`` when the request had no
    token); ``InsufficientScopeError`` → 403 with ``Bearer
    error="insufficient_scope", scope="<required>"``; anything else (the
    issuer's keys unreachable, ...) → 503 without a header. ``realm``, when
    given, comes first. Never echoes the token. The engine decides (the same
    answer as every m2m-auth middleware in every language). For a verifier
    that takes DPoP tokens, :meth:`Verifier.challenge` answers instead (its
    triple adds the ``DPoP-Nonce``).
    """
    return _native.challenge(error, realm)
