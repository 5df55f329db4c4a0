"""`TokenClient`: the native client plus its asyncio methods and context managers."""

from __future__ import annotations

import os

from . import _native
from ._native import ApiResponse, Token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType
    from typing import Any

    from typing_extensions import Self

__all__ = ["TokenClient"]


class TokenClient(_native.TokenClient):
    """An OAuth 2.0 client credentials client with a process-wide token cache.

    Exactly one of ``token_url``, ``domain`` (Auth0:
    ``https://{domain}/oauth/token``) or ``issuer`` (OpenID discovery, then
    RFC 8414). ``client_id`` and ``client_secret`` are required;
    ``auth_method`` is ``client_secret_post`` (default) or
    ``client_secret_basic``. ``audience``, ``scope`` (str or list),
    ``organization``, ``resource`` (str or list) and ``extra`` (dict) are the
    default request parameters; every call may override them. Durations are
    seconds (or ``timedelta``). ``environ``: a mapping (such as
    ``os.environ``) to read the ``M2M_AUTH_*`` options from first; explicit
    arguments win.

    Clients with the same endpoint, credentials and parameters share cached
    tokens and in-flight requests process-wide. Thread-safe, usable from any
    number of threads and event loops at once, and in a forked child. Sync
    methods release the GIL while they wait; the ``*_async`` methods never
    block the event loop.
    """

    __slots__ = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client configured from the ``M2M_AUTH_*`` environment variables.

        ``M2M_AUTH_TOKEN_URL`` | ``M2M_AUTH_DOMAIN`` | ``M2M_AUTH_ISSUER``,
        ``M2M_AUTH_CLIENT_ID``, ``M2M_AUTH_CLIENT_SECRET``,
        ``M2M_AUTH_AUTH_METHOD``, ``M2M_AUTH_AUDIENCE``, ``M2M_AUTH_SCOPE``,
        ``M2M_AUTH_ORGANIZATION``, ``M2M_AUTH_CACHE``; read from ``environ``
        (default ``os.environ``). Keyword ``options`` are the constructor's
        and win over the environment.
        """
        return cls(environ=os.environ if environ is None else environ, **options)

    async def get_token_async(
        self,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        organization: str | None = None,
        resource: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Token:
        """``get_token()`` for asyncio: awaits on the running loop, never blocking it.

        A fresh cached token is returned without leaving the loop's thread.
        """
        result = self._get_token_async(audience, scope, organization, resource, extra)
        if isinstance(result, Token):
            return result
        return await result

    async def fetch_token_async(
        self,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        organization: str | None = None,
        resource: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Token:
        """``fetch_token()`` for asyncio: awaits on the running loop, never blocking it."""
        return await self._fetch_token_async(audience, scope, organization, resource, extra)

    async def call_api_async(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        organization: str | None = None,
        resource: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """``call_api()`` for asyncio: awaits on the running loop, never blocking it."""
        return await self._call_api_async(
            method,
            url,
            headers=headers,
            body=body,
            audience=audience,
            scope=scope,
            organization=organization,
            resource=resource,
            extra=extra,
        )

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
