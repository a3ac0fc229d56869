"""Fan-out of a room's messages to its connections, behind an interface a multi-process
broker (part 2: Redis pub/sub) can implement too.

Two channels per room:
- messages: already-encoded payloads (binary frames, JSON text) offered to every
  subscribed sink, keyed so that the latest of each key wins; the latest of each key is
  retained and replayed to a new subscriber (so a late joiner sees the current state).
- events: JSON-able dicts (push, kick, end, lock) delivered to every listener, i.e. to the
  room object in every worker process, which acts on its own local connections.

A room that spans processes (`app.classroom.redis_broker`) also needs to know which process
runs its live run (`claim`, a lease), what the other processes' members are (`share_part`,
`parts`), who holds its seats and names (`take_seat`) and whether the link between
processes is down (`trouble`). The single-process
broker answers these trivially: this process is the whole room.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from app.mailbox import Payload

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Sink(Protocol):
    """What a subscriber is: something that accepts a payload without blocking."""

    def offer(self, payload: Payload, key: str | None = None) -> None: ...

    def discard(self, key: str) -> None: ...


class Broker(abc.ABC):
    """Room fan-out. Implementations must never let one sink delay another."""

    process = "local"  # names this process to the others (roster parts, leases, asks)
    trouble: str | None = None  # why rooms cannot reach the other processes now, if so

    async def start(self) -> None:
        """Connect (a networked broker); rooms are served after this."""
        return None  # one process: nobody else to tell

    async def close(self) -> None:
        """Disconnect; nothing is served after this."""
        return None  # one process: nobody else to tell

    def watch(self, callback: Callable[[str | None], Awaitable[None]]) -> None:
        """Call callback(trouble) whenever `trouble` changes (None: recovered)."""
        return None  # one process: nobody else to tell

    async def claim(self, room: str, take: bool = True) -> str | None:
        """Renew this process's hold on the room's live run, or take it if it is free and
        `take`; the holder's `process` after that ("" if free), None if it cannot tell."""
        return self.process

    async def release(self, room: str) -> None:
        """This process stops running the room's live run (another may claim it)."""
        return None  # one process: nobody else to tell

    async def share_part(self, room: str, part: dict[str, Any], quiet: bool = False) -> None:
        """Publish this process's members of room (its part of the roster) to the others;
        unless `quiet`, tell them at once (otherwise they see it at their next look)."""
        return None  # one process: nobody else to tell

    async def parts(self, room: str) -> dict[str, dict[str, Any]] | None:
        """The other processes' current parts of room's roster, by process; None if it
        cannot tell (Redis is down: the last ones known are the best guess)."""
        return {}

    async def take_seat(
        self,
        room: str,
        seat: tuple[str, str],
        max_students: int,
        spare: tuple[str, str] | None = None,
    ) -> str | None:
        """Take a student's place (member id, name) in room over every process, atomically:
        "ok"; "spare" (ok, in place of `spare`, an away student of this process, since the
        room was full); "taken" (another place has the name); "full"; None if it cannot
        tell. One process: its roster has checked both already."""
        return "ok"

    async def free_seat(self, room: str, seat: tuple[str, str]) -> None:
        """The place (member id, name) taken with `take_seat` is free again."""
        return None  # one process: nobody else to tell

    async def sync_seats(self, room: str, seats: list[tuple[str, str]]) -> None:
        """Make the places this process holds in room exactly `seats` (heals a missed
        free, or a Redis that restarted empty)."""
        return None  # one process: nobody else to tell

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
        await to_the_end(self._deliver(room, json.dumps(event)))

    async def _deliver(self, room: str, text: str) -> None:
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


async def to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Await `work` in a task of its own: if the caller is cancelled meanwhile, the work
    still runs to the end (its error logged). Publishing an event is such work: each
    process acts on it fully, the publishing one too. An instructor's `end` is published
    from the task of the instructor's socket, and ending the room closes that socket first;
    its close cancels the socket's task, which then left the students after it connected."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_log_failure)
        raise


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("rooms: an event failed", exc_info=(type(exc), exc, exc.__traceback__))
