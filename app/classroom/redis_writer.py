"""The writer of a Redis broker (app.classroom.redis_broker): the messages waiting for
Redis, latest-wins per (room, key), and the task that writes them.

Once per turn of the event loop it writes all that is pending over a connection of its
own, without waiting for each reply: for each message the room's retained hash (a
process that starts serving the room replays it) and a PUBLISH on the room's channel.
Writes an outage left unanswered are sent again; receivers skip a sequence number they
have seen, so a repeat changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from app.classroom.rediskeys import RETAIN_SECONDS, key

log = logging.getLogger(__name__)

MAX_UNACKED = 100  # messages written to Redis and not yet answered
RETRY_SECONDS = 0.2  # after a failed connection
Pair = tuple[str, str]  # (room, key)
Write = tuple[bytes, int]  # a message's envelope and its sequence number
WRITES = 3  # Redis commands per message: keep it as the room's latest, expiry, publish


def _writes(room: str, name: str, raw: bytes) -> list[tuple[Any, ...]]:
    """The commands that relay one message: retain it (or drop it), then publish it."""
    retained = key(room, "retained")
    return [
        ("HDEL", retained, name) if raw[:1] == b"d" else ("HSET", retained, name, raw),
        ("EXPIRE", retained, RETAIN_SECONDS),
        ("PUBLISH", key(room, "messages"), raw),
    ]


class Writer:
    def __init__(
        self,
        redis: Any,
        errors: tuple[type[BaseException], ...],
        down: Callable[[], bool],
        max_pending: int,
        timeout: float,
    ) -> None:
        self.redis = redis
        self.errors = errors
        self.down = down  # whether Redis is known to be unreachable now
        self.pending: dict[Pair, Write] = {}  # the latest unsent message per (room, key)
        self.max_pending = max_pending  # past this the oldest waiting message is dropped
        self.timeout = timeout  # a write or an answer that takes longer: an outage
        self.wake = asyncio.Event()
        self.dropped = 0  # messages dropped because too many waited for Redis

    def queue(self, pair: Pair, item: Write) -> None:
        """Wait to be written (replacing the unsent message of the same room and key)."""
        self.pending.pop(pair, None)  # re-inserted last: the order of latest writes
        if len(self.pending) >= self.max_pending:
            del self.pending[next(iter(self.pending))]
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("rooms: Redis is not keeping up; %d unsent dropped", self.dropped)
        self.pending[pair] = item
        self.wake.set()

    async def run(self) -> None:
        """Send what is pending over one connection of its own, without waiting for each
        reply (a busy event loop would otherwise send one batch per round trip)."""
        while True:
            await self.wake.wait()
            if self.down():
                self.wake.clear()  # the reader sets it again when Redis is back
                continue
            conn = self.redis.connection_pool.make_connection()
            # Our own timeouts below: redis-py's wrap each write in asyncio.wait_for, which
            # on Python 3.11 costs a task and a turn of the event loop per write; behind a
            # busy loop that halved the frames relayed (newer ones replaced them meanwhile).
            conn.socket_timeout = None
            unacked: asyncio.Queue[tuple[Pair, Write]] = asyncio.Queue(MAX_UNACKED)
            reading: list[tuple[Pair, Write]] = []  # the message whose replies are being read
            tasks = {
                asyncio.create_task(self._send(conn, unacked)),
                asyncio.create_task(self._read_acks(conn, unacked, reading)),
            }
            try:  # until either fails (the connection broke) or Redis is reported down
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            except self.errors as exc:
                log.debug("rooms: Redis writer failed: %r", exc)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks)
                await conn.disconnect()
                # Unanswered writes may not have arrived: sent again (receivers skip repeats).
                while not unacked.empty():
                    reading.append(unacked.get_nowait())
                for pair, item in reading:
                    self._requeue(pair, item)

    async def _send(self, conn: Any, unacked: asyncio.Queue[tuple[Pair, Write]]) -> None:
        """Each time something is pending, write all of it at once (one write per turn of
        the event loop, however many rooms and keys)."""
        async with asyncio.timeout(self.timeout):
            await conn.connect()
        while not self.down():
            await self.wake.wait()
            self.wake.clear()
            while self.pending and not self.down():
                batch = []
                while self.pending and (not batch or len(batch) < unacked.maxsize):
                    pair = next(iter(self.pending))
                    batch.append((pair, self.pending.pop(pair)))
                try:
                    for entry in batch:
                        await unacked.put(entry)  # waits while too many are unanswered
                    commands = [
                        c for (room, name), (raw, _) in batch for c in _writes(room, name, raw)
                    ]
                    async with asyncio.timeout(self.timeout):
                        await conn.send_packed_command(conn.pack_commands(commands), False)
                except BaseException:
                    for pair, item in batch:
                        self._requeue(pair, item)
                    raise

    def _requeue(self, pair: Pair, item: Write) -> None:
        """Put back a message that may not have reached Redis, unless a newer one waits."""
        waiting = self.pending.get(pair)
        if waiting is None or waiting[1] < item[1]:
            self.pending[pair] = item

    async def _read_acks(
        self, conn: Any, unacked: asyncio.Queue[tuple[Pair, Write]], reading: list[Any]
    ) -> None:
        from redis.exceptions import ResponseError

        while True:
            reading[:] = [await unacked.get()]
            for _ in range(WRITES):
                try:
                    async with asyncio.timeout(self.timeout):  # an answer this late: an outage
                        await conn.read_response()
                except ResponseError as exc:  # one refused command: the others go on
                    log.warning("rooms: Redis refused a write: %s", exc)
            reading.clear()
