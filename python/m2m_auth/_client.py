"""`TokenClient`: the native client plus its asyncio methods and context managers."""

from __future__ import annotations

from . import _native
from ._native import ApiResponse, Token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from typing_extensions import Self, Unpack

    from ._native import _RequestParameters

__all__ = ["TokenClient"]


class TokenClient(_native.TokenClient):
    """An OAuth 2.0 client credentials client with a process-wide token cache.

    Every option is a keyword (``tests/surface.json`` lists them; each is also
    read from ``M2M_AUTH_<NAME>`` by :meth:`from_env`). Exactly one of
    ``token_url``, ``domain`` (Auth0: ``https://{domain}/oauth/token``) or
    ``issuer`` (OpenID discovery, then RFC 8414); ``client_id`` and
    ``client_secret`` are required, except with ``private_key_jwt``
    (``private_key`` or ``private_key_file``, or ``client_assertion``,
    ``client_assertion_file`` or ``client_assertion_provider``, a callable
    taking an :class:`AssertionRequest` and returning the assertion, sync or
    ``async def``, asked for every attempt; ``key_id``, ``signing_alg``,
    ``assertion_audience``) and with mutual TLS (``client_certificate`` or
    ``client_certificate_file`` with ``client_key`` or ``client_key_file``:
    ``tls_client_auth``, ``self_signed_tls_client_auth``; a certificate with
    a secret gets certificate-bound tokens). ``dpop=True`` binds tokens to a
    DPoP key (RFC 9449: ``dpop_key`` or ``dpop_key_file``, PEM or private
    JWK, else one P-256 key generated per client; ``dpop_accept_bearer``
    accepts a server answering ``Bearer``; ``call_api`` and the adapters send
    the proofs, ``request_headers`` and ``dpop_response`` let any HTTP client
    do it). ``audience``, ``scope`` (str or list),
    ``organization``, ``resource`` (str or list) and ``extra`` (dict) are the
    default request parameters; every call may override them as keywords.
    Durations are seconds (float, or ``timedelta``); an unknown keyword is a
    ``TypeError``, a value of the wrong shape a ``ConfigError``.

    Clients with the same endpoint, credentials and parameters share cached
    tokens and in-flight requests process-wide. Thread-safe, usable from any
    number of threads and event loops at once, and in a forked child. Sync
    methods release the GIL while they wait; the ``*_async`` methods never
    block the event loop.
    """

    __slots__ = ()

    async def get_token_async(self, **params: Unpack[_RequestParameters]) -> Token:
        """``get_token()`` for asyncio: awaits on the running loop, never blocking it.

        A fresh cached token is returned without leaving the loop's thread.
        """
        result = self._get_token_async(**params)
        if isinstance(result, Token):
            return result
        return await result

    async def fetch_token_async(self, **params: Unpack[_RequestParameters]) -> Token:
        """``fetch_token()`` for asyncio: awaits on the running loop, never blocking it."""
        return await self._fetch_token_async(**params)

    async def call_api_async(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        **params: Unpack[_RequestParameters],
    ) -> ApiResponse:
        """``call_api()`` for asyncio: awaits on the running loop, never blocking it."""
        return await self._call_api_async(method, url, headers=headers, body=body, **params)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
