"""``client_assertion_provider``: what a provider is given, and how the engine calls it.

The engine calls :func:`_call` on one of its worker threads (never an event
loop's), holding the GIL only while Python runs. A plain callable runs there.
An ``async def`` provider (or any callable returning an awaitable) runs on
the event loop of an asyncio caller waiting for a token when there is one
(so it can use that loop's sessions), else on an event loop of its own
(``asyncio.run``) on that worker thread: a sync client needs no loop.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, Union

__all__ = ["AssertionRequest", "AssertionProvider"]

# The longest an awaited provider is waited for on another thread's loop: the
# client's own timeout fails the request long before; this only frees the
# worker thread of a loop that stopped.
_LOOP_WAIT = 600.0


@dataclass(frozen=True)
class AssertionRequest:
    """What the assertion a ``client_assertion_provider`` returns must carry."""

    client_id: str
    """``iss`` and ``sub``: the client id."""
    audience: str
    """``aud``: the assertion audience (``assertion_audience``)."""
    token_endpoint: str
    """The token endpoint the assertion is sent to."""


AssertionProvider = Callable[[AssertionRequest], Union[str, Awaitable[str]]]
"""A ``client_assertion_provider``: sync, or ``async def``."""


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _call(
    provider: AssertionProvider,
    client_id: str,
    audience: str,
    token_endpoint: str,
    loop: Optional[asyncio.AbstractEventLoop],
) -> str:
    """Calls ``provider`` (on an engine worker thread); its exception propagates."""
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
