"""Fan-out of a room's messages to its connections, behind an interface a multi-process
broker (part 2: Redis pub/sub) can implement too.

Two channels per room:
- messages: already-encoded payloads (binary frames, JSON text) offered to every
  subscribed sink, keyed so that the latest of each key wins; the latest of each key is
  retained and replayed to a new subscriber (so a late joiner sees the current state).
- events: JSON-able dicts (push, kick, end, lock) delivered to every listener, i.e. to the
  room object in every worker process, which acts on its own local connections.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from app.mailbox import Payload

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Sink(Protocol):
    """What a subscriber is: something that accepts a payload without blocking."""

    def offer(self, payload: Payload, key: str | None = None) -> None: ...

    def discard(self, key: str) -> None: ...


class Broker(abc.ABC):
    """Room fan-out. Implementations must never let one sink delay another."""

    @abc.abstractmethod
    def publish(self, room: str, key: str, payload: Payload) -> None:
        """Offer payload to every sink of room under key, and retain it as room's latest key.

        Never blocks (the training loop calls it): a networked broker queues the payload
        for its own writer task.
        """

    @abc.abstractmethod
    def discard(self, room: str, key: str) -> None:
        """Forget the retained key and drop its unsent copies (a frame of an old network)."""

    @abc.abstractmethod
    async def subscribe(self, room: str, sink: Sink) -> None:
        """Add a sink; it first receives the room's retained messages, oldest key first."""

    @abc.abstractmethod
    async def unsubscribe(self, room: str, sink: Sink) -> None:
        """Remove a sink (no error if it was not subscribed)."""

    @abc.abstractmethod
    async def publish_event(self, room: str, event: dict[str, Any]) -> None:
        """Deliver a JSON-able control event to every listener of room, in every process."""

    @abc.abstractmethod
    async def listen(self, room: str, handler: EventHandler) -> None:
        """Call handler for each event of room published from now on."""

    @abc.abstractmethod
    async def forget(self, room: str) -> None:
        """This process stops serving the room (it ended, or was unloaded): drop its sinks,
        listeners and whatever retained copies are held here."""


class LocalBroker(Broker):
    """The single-process broker: dicts of sets, no I/O."""

    def __init__(self) -> None:
        self._sinks: dict[str, dict[Sink, None]] = {}
        self._retained: dict[str, dict[str, Payload]] = {}
        self._listeners: dict[str, list[EventHandler]] = {}

    def publish(self, room: str, key: str, payload: Payload) -> None:
        retained = self._retained.setdefault(room, {})
        retained.pop(key, None)
        retained[key] = payload
        for sink in list(self._sinks.get(room, ())):
            sink.offer(payload, key)

    def discard(self, room: str, key: str) -> None:
        self._retained.get(room, {}).pop(key, None)
        for sink in self._sinks.get(room, ()):
            sink.discard(key)

    async def subscribe(self, room: str, sink: Sink) -> None:
        self._sinks.setdefault(room, {})[sink] = None
        for key, payload in self._retained.get(room, {}).items():
            sink.offer(payload, key)

    async def unsubscribe(self, room: str, sink: Sink) -> None:
        self._sinks.get(room, {}).pop(sink, None)

    async def publish_event(self, room: str, event: dict[str, Any]) -> None:
        # Round-trip through JSON so a handler sees exactly what a networked broker delivers.
        text = json.dumps(event)
        for handler in list(self._listeners.get(room, ())):
            await handler(json.loads(text))

    async def listen(self, room: str, handler: EventHandler) -> None:
        self._listeners.setdefault(room, []).append(handler)

    async def forget(self, room: str) -> None:
        self._sinks.pop(room, None)
        self._retained.pop(room, None)
        self._listeners.pop(room, None)

    def subscriber_count(self, room: str) -> int:
        return len(self._sinks.get(room, ()))
