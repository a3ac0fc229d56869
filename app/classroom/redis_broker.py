"""Rooms across processes and hosts: the `Broker` over Redis pub/sub (PLAYGROUND_REDIS_URL).

Each process keeps a `LocalBroker` for its own sockets and mirrors it through Redis:
- messages: `publish` queues the payload for a writer task, latest-wins per (room, key),
  so a slow or absent Redis holds at most one payload per key, and offers it locally. The
  writer, once per turn of the event loop, stores all that is pending in the rooms'
  retained hashes (a process that starts serving a room replays it) and publishes it on
  their channels; other processes offer it to theirs.
- events: published on the room's event channel, then handed to this process's listeners;
  those of other processes run in order on one task, behind a bounded queue.
- the live run's owner holds a lease key; each process's roster part is a hash field;
  seats and names are taken atomically (`app.classroom.redis_seats`).

When Redis cannot be reached, `trouble` says so (rooms show it); local fan-out goes on,
events are refused with `room_unavailable`, and everything reconnects when Redis returns.
The redis package is imported here and in `redis_writer` only, and only when a URL is
configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.classroom.broker import Broker, EventHandler, LocalBroker, Sink, to_the_end
from app.classroom.redis_seats import RedisSeats
from app.classroom.redis_writer import Writer
from app.classroom.rediskeys import PREFIX, RETAIN_SECONDS, key
from app.mailbox import Payload
from app.protocol import ProtocolError

log = logging.getLogger(__name__)

TROUBLE = "the link between this room's servers (Redis) is down: reconnecting…"
LEASE_MS = 10_000  # the live run's owner renews its lease every few seconds
PART_SECONDS = 15.0  # a roster part not refreshed for this long is a process that has gone
MAX_PENDING = 4096  # payloads waiting for Redis, all rooms (latest-wins per key below this)
MAX_EVENTS = 1000  # events received and not yet handled
EVENT_SECONDS = 5.0  # a publish that takes longer counts as an outage
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)
# Renew the lease if it is ours, take it if it is free and ARGV[3] says so; the holder.
CLAIM = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or (v == false and ARGV[3] == '1') then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1]
end
if v == false then return '' end
return v
"""
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"

# A message on the wire: kind (b: frame, t: text, d: discard), sequence, origin, key, body.
HEAD = struct.Struct("!cQB H")


def envelope(kind: bytes, seq: int, origin: str, name: str, body: bytes) -> bytes:
    o, k = origin.encode(), name.encode()
    return HEAD.pack(kind, seq, len(o), len(k)) + o + k + body


def open_envelope(raw: bytes) -> tuple[bytes, int, str, str, bytes]:
    kind, seq, olen, klen = HEAD.unpack_from(raw)
    start = HEAD.size
    origin = raw[start : start + olen].decode()
    name = raw[start + olen : start + olen + klen].decode()
    return kind, seq, origin, name, raw[start + olen + klen :]


def client(url: str, **options: Any) -> Any:
    """A redis.asyncio client that fails fast (our loops retry, never the client)."""
    import redis.asyncio as aioredis  # lazily: only servers with a redis_url need it
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=EVENT_SECONDS, retry=Retry(NoBackoff(), 0),
        health_check_interval=10, **options,
    )  # fmt: skip


class RedisBroker(Broker):
    def __init__(self, url: str) -> None:
        from redis.exceptions import RedisError

        self.errors = (RedisError, OSError, TimeoutError)
        self.redis = client(url)
        self.process = secrets.token_hex(6)
        self.seats = RedisSeats(self.redis, self.process, self.errors)  # app.classroom.redis_seats
        self.local = LocalBroker()
        self.rooms: set[str] = set()  # rooms whose channels this process listens to
        self._seen: dict[tuple[str, str], int] = {}  # newest sequence applied per key
        self._events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(MAX_EVENTS)
        self._pubsub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._watchers: list[Callable[[str | None], Awaitable[None]]] = []
        self.trouble = TROUBLE  # until the first connection
        self._tried = asyncio.Event()  # the first connection attempt is over
        self.writer = Writer(
            self.redis, self.errors, lambda: self.trouble is not None, MAX_PENDING, EVENT_SECONDS
        )

    # Lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the reader, writer and event tasks; return once the first connection
        has been tried (rooms loaded at once find Redis, if it is there)."""
        for loop in (self._read_loop, self.writer.run, self._event_loop):
            self._tasks.append(asyncio.create_task(loop()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._tried.wait(), EVENT_SECONDS)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(*self.errors):
            if self._pubsub is not None:
                await self._pubsub.aclose()
            await self.redis.aclose()

    def watch(self, callback: Callable[[str | None], Awaitable[None]]) -> None:
        self._watchers.append(callback)

    async def _set_trouble(self, trouble: str | None) -> None:
        if trouble == self.trouble:
            return
        self.trouble = trouble
        (log.info if trouble is None else log.error)("rooms: %s", trouble or "Redis is back")
        for callback in self._watchers:
            try:
                await callback(trouble)
            except Exception:
                log.exception("rooms: a watcher failed on a Redis state change")

    # Messages --------------------------------------------------------------------------

    def publish(self, room: str, key_: str, payload: Payload) -> None:
        # Queued for Redis first: the writer then runs before this process's own sockets
        # (each costs a deflate), so relayed followers do not start a fan-out behind.
        kind, body = (b"b", payload) if isinstance(payload, bytes) else (b"t", payload.encode())
        self._queue(room, key_, envelope(kind, time.time_ns(), self.process, key_, body))
        self.local.publish(room, key_, payload)

    def discard(self, room: str, key_: str) -> None:
        self._queue(room, key_, envelope(b"d", time.time_ns(), self.process, key_, b""))
        self.local.discard(room, key_)

    def _queue(self, room: str, key_: str, raw: bytes) -> None:
        seq = open_envelope(raw)[1]
        self._seen[(room, key_)] = seq
        self.writer.queue((room, key_), (raw, seq))

    async def subscribe(self, room: str, sink: Sink) -> None:
        await self._serve(room)
        await self.local.subscribe(room, sink)

    async def unsubscribe(self, room: str, sink: Sink) -> None:
        await self.local.unsubscribe(room, sink)

    async def forget(self, room: str) -> None:
        await self.local.forget(room)
        self.rooms.discard(room)
        for pair in [p for p in self._seen if p[0] == room]:
            del self._seen[pair]
        if self._pubsub is not None and self.trouble is None:
            with contextlib.suppress(*self.errors):
                await self._pubsub.unsubscribe(key(room, "messages"), key(room, "events"))

    @property
    def backlog(self) -> int:
        """Payloads waiting for Redis (at most MAX_PENDING)."""
        return len(self.writer.pending)

    def subscriber_count(self, room: str) -> int:
        return self.local.subscriber_count(room)

    async def _serve(self, room: str) -> None:
        """Start listening to room's channels here and replay what Redis retains of it."""
        if room in self.rooms:
            return
        self.rooms.add(room)
        if self._pubsub is not None and self.trouble is None:
            try:
                await self._pubsub.subscribe(key(room, "messages"), key(room, "events"))
                await self._load_retained(room)
            except self.errors:
                log.warning("rooms: could not subscribe to room %s yet", room)

    async def _load_retained(self, room: str) -> None:
        stored = await self.redis.hgetall(key(room, "retained"))
        for raw in sorted(stored.values(), key=lambda r: open_envelope(r)[1]):
            self._apply(room, raw)

    def _apply(self, room: str, raw: bytes) -> None:
        """A message from Redis (live or retained): offer it here unless we know newer."""
        kind, seq, origin, name, body = open_envelope(raw)
        if origin == self.process or seq <= self._seen.get((room, name), -1):
            return
        self._seen[(room, name)] = seq
        if kind == b"d":
            self.local.discard(room, name)
        else:
            self.local.publish(room, name, body if kind == b"b" else body.decode())

    # Events ----------------------------------------------------------------------------

    async def publish_event(self, room: str, event: dict[str, Any]) -> None:
        await to_the_end(self._publish_event(room, event))  # even if the publisher is cancelled

    async def _publish_event(self, room: str, event: dict[str, Any]) -> None:
        text = json.dumps({"origin": self.process, "event": event})
        try:
            if self.trouble is not None:
                raise ConnectionError(self.trouble)
            await asyncio.wait_for(self.redis.publish(key(room, "events"), text), EVENT_SECONDS)
        except self.errors:
            raise ProtocolError("room_unavailable", TROUBLE) from None
        await self.local.publish_event(room, event)

    async def listen(self, room: str, handler: EventHandler) -> None:
        await self.local.listen(room, handler)
        await self._serve(room)

    async def _event_loop(self) -> None:
        while True:
            room, event = await self._events.get()
            try:
                await self.local.publish_event(room, event)
            except Exception:
                log.exception("rooms: event %s of room %s failed", event.get("type"), room)

    # The live run's lease and the roster's parts -----------------------------------------

    async def claim(self, room: str, take: bool = True) -> str | None:
        if self.trouble is not None:
            return None
        try:
            owner = await self.redis.eval(
                CLAIM, 1, key(room, "owner"), self.process, LEASE_MS, int(take)
            )
        except self.errors:
            return None
        return owner.decode() if isinstance(owner, bytes) else str(owner)

    async def release(self, room: str) -> None:
        with contextlib.suppress(*self.errors):
            await self.redis.eval(RELEASE, 1, key(room, "owner"), self.process)

    async def take_seat(
        self,
        room: str,
        seat: tuple[str, str],
        max_students: int,
        spare: tuple[str, str] | None = None,
    ) -> str | None:
        if self.trouble is not None:
            return None
        return await self.seats.take(room, seat, max_students, spare, PART_SECONDS)

    async def free_seat(self, room: str, seat: tuple[str, str]) -> None:
        await self.seats.free(room, seat)

    async def sync_seats(self, room: str, seats: list[tuple[str, str]]) -> None:
        if self.trouble is None:  # else at the first tend after Redis is back
            await self.seats.sync(room, seats)

    async def share_part(self, room: str, part: dict[str, Any], quiet: bool = False) -> None:
        if self.trouble is not None:
            return  # shared again when Redis is back (Room.tend); a join must not wait
        text = json.dumps({**part, "at": time.time()})
        try:
            await self.redis.hset(key(room, "parts"), self.process, text)
            await self.redis.expire(key(room, "parts"), RETAIN_SECONDS)
        except self.errors:
            return  # shared again when Redis is back
        if not quiet:
            with contextlib.suppress(ProtocolError):
                await self.publish_event(room, {"type": "part", "process": self.process})

    async def parts(self, room: str) -> dict[str, dict[str, Any]] | None:
        if self.trouble is not None:
            return None
        try:
            stored = await self.redis.hgetall(key(room, "parts"))
        except self.errors:
            return None
        fresh = time.time() - PART_SECONDS
        found = {p.decode(): json.loads(v) for p, v in stored.items()}
        return {p: v for p, v in found.items() if p != self.process and v["at"] >= fresh}

    # The connection ----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        failures = 0
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(key("", "hello"))  # never empty: get_message needs one
                for room in list(self.rooms):
                    await pubsub.subscribe(key(room, "messages"), key(room, "events"))
                self._pubsub = pubsub
                for room in list(self.rooms):
                    await self._load_retained(room)
                failures = 0
                self._tried.set()
                await self._set_trouble(None)
                self.writer.wake.set()  # what was queued during the outage goes out now
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None:
                        self._receive(message)
            except self.errors as exc:
                log.debug("rooms: Redis connection failed: %r", exc)
                self._pubsub = None
                if not self._tried.is_set():
                    log.error("rooms: %s (at start-up)", TROUBLE)
                self._tried.set()
                await self._set_trouble(TROUBLE)
            finally:
                with contextlib.suppress(*self.errors, RuntimeError):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1

    def _receive(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        room, _, kind = channel.removeprefix(PREFIX).rpartition(":")
        if room not in self.rooms:
            return
        if kind == "messages":
            self._apply(room, message["data"])
        elif kind == "events":
            body = json.loads(message["data"])
            if body["origin"] == self.process:
                return  # handled when it was published
            try:
                self._events.put_nowait((room, body["event"]))
            except asyncio.QueueFull:
                log.error("rooms: too many events waiting; dropped a %s", body["event"]["type"])
