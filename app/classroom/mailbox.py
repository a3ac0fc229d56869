"""A per-connection outbox where the newest message of each kind replaces the unsent one.

The room offers messages without waiting; one pump task per connection sends them. A slow
connection therefore misses intermediate frames instead of slowing the room down.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

Payload = bytes | str  # bytes: a binary websocket message; str: a text (JSON) message


class Mailbox:
    """Ordered outbox: keyed messages are latest-wins, unkeyed ones queue up (bounded)."""

    def __init__(self, max_unkeyed: int = 256) -> None:
        self.max_unkeyed = max_unkeyed
        self._items: dict[object, Payload] = {}
        self._unkeyed = 0
        self._serial = itertools.count()
        self._ready = asyncio.Event()
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.replaced = 0  # keyed messages overwritten before being sent (missed frames)

    def offer(self, payload: Payload, key: str | None = None) -> None:
        """Queue a message; with a key, drop an unsent message of the same key. Never blocks."""
        if self.closed:
            return
        if key is None:
            if self._unkeyed >= self.max_unkeyed:
                # A client that does not read its replies: close rather than buffer forever.
                self.close(1008, "not reading messages")
                return
            self._unkeyed += 1
            slot: object = next(self._serial)
        else:
            slot = key
            if self._items.pop(slot, None) is not None:
                self.replaced += 1
        self._items[slot] = payload  # (re)inserted last: order follows the newest version
        self._ready.set()

    def discard(self, key: str) -> None:
        """Drop the unsent message of this key, if any."""
        self._items.pop(key, None)

    def clear(self) -> None:
        """Drop everything unsent (when a connection switches what it watches)."""
        self._items.clear()
        self._unkeyed = 0

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Stop accepting messages; the pump sends what is queued, then closes with code."""
        if not self.closed:
            self.closed = True
            self.close_code = code
            self.close_reason = reason
            self._ready.set()

    def __len__(self) -> int:
        return len(self._items)

    async def get(self) -> Payload | None:
        """The next message, waiting for one; None once closed and drained."""
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        slot = next(iter(self._items))
        if not isinstance(slot, str):
            self._unkeyed -= 1
        return self._items.pop(slot)


async def pump(mailbox: Mailbox, send: Callable[[Payload], Awaitable[None]]) -> None:
    """Send the mailbox's messages one at a time until it is closed and drained."""
    while (payload := await mailbox.get()) is not None:
        await send(payload)
