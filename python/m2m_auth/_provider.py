"""``client_assertion_provider``: what a provider is given, and how the engine calls it.

The engine calls :func:`_call` on one of its worker threads (never an event
loop's), holding the GIL only while Python runs. A plain callable runs there.
An ``async def`` provider (or any callable returning an awaitable) runs on
the event loop of an asyncio caller waiting for a token when there is one
(so it can use that loop's sessions), else on an event loop of its own
(``asyncio.run``) on that worker thread: a sync client needs no loop.

Importing this module imports nothing (``import m2m_auth`` stays cheap):
``asyncio`` and ``inspect`` are imported by the first call.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable
    from typing import Any

__all__ = ["AssertionRequest"]

# The longest an awaited provider is waited for on another thread's loop: the
# client's own timeout fails the request long before; this only frees the
# worker thread of a loop that stopped.
_LOOP_WAIT = 600.0


class AssertionRequest:
    """What the assertion a ``client_assertion_provider`` returns must carry (frozen).

    ``client_id`` is its ``iss`` and ``sub``, ``audience`` its ``aud`` (the
    ``assertion_audience``), and it is sent to ``token_endpoint``.
    """

    __slots__ = ("_client_id", "_audience", "_token_endpoint")
    _client_id: str
    _audience: str
    _token_endpoint: str

    def __init__(self, client_id: str, audience: str, token_endpoint: str) -> None:
        object.__setattr__(self, "_client_id", client_id)
        object.__setattr__(self, "_audience", audience)
        object.__setattr__(self, "_token_endpoint", token_endpoint)

    @property
    def client_id(self) -> str:
        """``iss`` and ``sub``: the client id."""
        return self._client_id

    @property
    def audience(self) -> str:
        """``aud``: the assertion audience (``assertion_audience``)."""
        return self._audience

    @property
    def token_endpoint(self) -> str:
        """The token endpoint the assertion is sent to."""
        return self._token_endpoint

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"AssertionRequest is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"AssertionRequest is frozen: cannot delete {name!r}")

    def _fields(self) -> tuple[str, str, str]:
        return (self.client_id, self.audience, self.token_endpoint)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssertionRequest):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"AssertionRequest(client_id={self.client_id!r}, audience={self.audience!r}, "
                f"token_endpoint={self.token_endpoint!r})")


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _call(
    provider: Callable[[AssertionRequest], str | Awaitable[str]],
    client_id: str,
    audience: str,
    token_endpoint: str,
    loop: asyncio.AbstractEventLoop | None,
) -> str:
    """Calls ``provider`` (on an engine worker thread); its exception propagates."""
    import asyncio
    import inspect

    result: Any = provider(AssertionRequest(client_id, audience, token_endpoint))
    if inspect.isawaitable(result):
        if loop is not None and loop.is_running() and not loop.is_closed():
            result = asyncio.run_coroutine_threadsafe(_await(result), loop).result(_LOOP_WAIT)
        else:
            result = asyncio.run(_await(result))
    if not isinstance(result, str):
        # The value itself is never shown: it may be a credential.
        raise TypeError(f"client_assertion_provider returned {type(result).__name__}, not str")
    return result
