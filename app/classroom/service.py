"""The process's classroom: the rooms loaded here, their snapshots and limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import time
from typing import Any

from app.classroom.broker import Broker, LocalBroker
from app.classroom.codes import (
    InputError,
    Throttle,
    hash_secret,
    new_join_code,
    new_secret,
    normalize_join_code,
    secret_matches,
)
from app.classroom.framestamp import compress, stamp
from app.classroom.parts import MakeRunner, RoomLimits
from app.classroom.room import Room
from app.classroom.store import Store
from app.protocol import CloseCode, ProtocolError
from app.settings import Settings

log = logging.getLogger(__name__)

MAX_SLOW_LOOKUPS = 8  # join-code lookups that may wait at once per address past its budget
NEAR_FULL = 0.9  # from this share of max_rooms on, empty rooms go after room_reclaim_seconds
EXPIRY_PERIOD = 3600.0  # seconds between sweeps of unvisited share links (at most)
TEND_SECONDS = 3.0  # how often rooms renew their lease and look at the others' rosters


def _stamp_now(frame: bytes) -> bytes:
    # Wall-clock milliseconds, comparable with the browser's Date.now() on the same host.
    return stamp(frame, sent_at=round(time.time() * 1000, 1))


def _stamp_and_compress(frame: bytes) -> bytes:
    return compress(_stamp_now(frame))


class Classroom:
    """Creates and finds rooms; loads a stored room on first use; saves live runs."""

    def __init__(
        self,
        settings: Settings,
        make_runner: MakeRunner,
        broker: Broker | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.make_runner = make_runner
        if settings.redis_url and broker is None and store is None:
            # Rooms span processes and hosts (app.classroom.redis_broker); imported only here.
            from app.classroom.redis_broker import RedisBroker
            from app.classroom.redis_store import SharedStore

            broker = RedisBroker(settings.redis_url)
            store = SharedStore.open_shared(settings.data_dir, settings.redis_url)
        self.broker = broker or LocalBroker()
        self.store = store or Store.open(settings.data_dir)
        self.store.share_quota = int(settings.share_quota_mb * 2**20)
        self.store.share_seconds = settings.share_days * 86400
        self.throttle = Throttle(settings.join_failures, settings.join_window)
        self.creations = Throttle(settings.room_creations, 600.0, what="new rooms")
        self.shares = self.store.throttle("shares", 60, 600.0, "share links")  # /api/snapshots
        self.rooms: dict[str, Room] = {}
        self._idle_since: dict[str, float] = {}
        self._unwatched_since: dict[str, float] = {}
        self._loading = asyncio.Lock()
        self._loops: list[asyncio.Task[None]] = []
        self._lookups: dict[str, int] = {}  # join-code lookups under way per client address
        self._loaded_at: dict[str, float] = {}
        self._expired_at = -math.inf  # when share links were last expired
        self.unavailable: str | None = None  # why rooms are refused here, if they are

    async def start(self) -> None:
        self.broker.watch(self._trouble_changed)
        await self.broker.start()
        self._loops = [asyncio.create_task(self._save_loop()), asyncio.create_task(self._tend())]

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for room in list(self.rooms.values()):
            await room.close()
        self.rooms.clear()
        await self.broker.close()
        self.store.close()

    async def _trouble_changed(self, trouble: str | None) -> None:
        """Redis went away or came back: tell every room here; on return, put back what
        Redis may have lost (records, roster parts, the live run's snapshot)."""
        for room in list(self.rooms.values()):
            if trouble is None:
                await asyncio.to_thread(self.store.restore, room.current_record())
                await room.tend()  # tells the others what they missed (a spotlight ended...)
                with contextlib.suppress(ProtocolError):  # and asks them what this one missed
                    await self.broker.publish_event(room.code, {"type": "wall_query"})
                room.dirty = room.live is not None  # the next save writes it to Redis again
            await room.publish_status()

    async def _tend(self) -> None:
        while True:
            await asyncio.sleep(TEND_SECONDS)
            for code, room in list(self.rooms.items()):
                try:
                    await room.tend()
                except Exception:
                    log.exception("room %s: tending failed", code)

    def counts(self) -> dict[str, int]:
        """Rooms loaded here and their connected students by mode (app.metrics.GAUGES)."""
        here = [m for room in self.rooms.values() for m in room.students() if m.away_since is None]
        return {
            "rooms": len(self.rooms),
            "room_followers": sum(m.mode == "follow" for m in here),
            "room_forks": sum(m.mode == "fork" for m in here),
        }

    def limits(self) -> dict[str, Any]:
        return {
            "max_rooms": self.settings.max_rooms,
            "max_students": self.settings.max_students,
            "join_failures": self.settings.join_failures,
            "join_window": self.settings.join_window,
        }

    def refuse_rooms(self, reason: str) -> None:
        """From now on every room request is refused with `reason` (see install_classroom)."""
        self.unavailable = reason

    def _check_available(self) -> None:
        if self.unavailable is not None:
            raise InputError(
                "rooms_unavailable", None, self.unavailable, close=CloseCode.ROOM_UNKNOWN
            )

    async def create_room(self, client: str = "local") -> tuple[Room, str]:
        """A new room and its instructor secret (returned once, stored only as a hash)."""
        self._check_available()
        self.creations.check(client)
        await self._make_room_for_one()
        self._check_capacity()
        self.creations.count(client)  # every creation counts, not only failed ones
        secret = new_secret()
        for _ in range(20):
            code = new_join_code()
            try:
                await asyncio.to_thread(self.store.create_room, code, hash_secret(secret))
                break
            except sqlite3.IntegrityError:
                continue  # code taken: draw again
        else:  # pragma: no cover - 20 collisions in 2.4e8 codes
            raise InputError("server_full", None, "could not find a free join code; try again")
        return await self.room(code), secret

    async def _make_room_for_one(self) -> None:
        """At max_rooms, unload the room nobody has been connected to for longest, if that is
        past room_reclaim_seconds (students away in their grace period lose it)."""
        if len(self.rooms) < self.settings.max_rooms:
            return
        now = time.monotonic()
        empty = [
            (self._idle_since.get(code, self._loaded_at.get(code, now)), code)
            for code, room in self.rooms.items()
            if not room.watched_here()
        ]
        empty = [(since, code) for since, code in empty if now - since >= self._reclaim_after()]
        if empty:
            await self._unload(min(empty)[1])

    def _reclaim_after(self) -> float:
        """How long an empty room stays loaded: less when rooms are nearly at the limit."""
        if len(self.rooms) >= NEAR_FULL * self.settings.max_rooms:
            return min(self.settings.room_idle_seconds, self.settings.room_reclaim_seconds)
        return self.settings.room_idle_seconds

    async def _unload(self, code: str) -> None:
        """Save (if changed) and unload a room; it loads again from the store on next use."""
        room = self.rooms.pop(code)
        self._idle_since.pop(code, None)
        self._loaded_at.pop(code, None)
        try:
            if room.dirty:
                await room.snapshot()
        except Exception:
            log.exception("snapshot of room %s failed", code)
        await room.close()

    def _check_capacity(self) -> None:
        if len(self.rooms) >= self.settings.max_rooms:
            raise InputError(
                "too_many_rooms",
                None,
                f"this server runs its limit of {self.settings.max_rooms} rooms; "
                "end a room or try later",
            )

    async def find(self, raw_code: object, client: str) -> Room:
        """The open room for a join code typed by a client; guessing is throttled.

        A right code is always let in. Wrong ones count against the client address's
        budget; once it is spent, each wrong answer comes after a delay and only a few
        lookups per address may wait at once, so guessing is slow while a class behind
        one NAT address with a few typos is never locked out.
        """
        self._check_available()
        spent = self.throttle.spent(client)
        if spent and self._lookups.get(client, 0) >= MAX_SLOW_LOOKUPS:
            self.throttle.check(client)  # raises rate_limited
        self._lookups[client] = self._lookups.get(client, 0) + 1
        try:
            try:
                code = normalize_join_code(raw_code)
                room = await self._lookup(code)
                if room is None:
                    raise InputError(
                        "room_unknown",
                        "code",
                        f"no open room has the code {code}",
                        close=CloseCode.ROOM_UNKNOWN,
                    )
            except InputError as exc:
                if exc.code not in ("room_unknown", "invalid_field"):
                    raise  # a right code the server cannot serve now (e.g. too many rooms)
                self.throttle.count(client)
                if spent:
                    await asyncio.sleep(self.settings.join_window / self.settings.join_failures)
                raise
            return room
        finally:
            left = self._lookups[client] - 1
            if left:
                self._lookups[client] = left
            else:
                del self._lookups[client]

    async def _lookup(self, code: str) -> Room | None:
        """The open room with this code, loading it if needed; None if there is none.
        An ended room's code is a right code: it is told as ended, not as unknown, also
        once the ended room has been unloaded."""
        room = self.rooms.get(code)
        if room is None:
            record = await asyncio.to_thread(self.store.get_room, code)
            if record is None:
                return None
            if record.ended:
                raise InputError(
                    "room_ended", "code", "this room has ended", close=CloseCode.ROOM_ENDED
                )
            room = await self.room(code)
        return room

    def authorize(self, room: Room, secret: object, client: str) -> None:
        """InputError unless `secret` is the room's instructor secret (constant-time)."""
        if not secret_matches(secret, room.record.secret_hash):
            self.throttle.check(client)
            self.throttle.count(client)
            raise InputError(
                "unauthorized",
                "secret",
                "the instructor secret is wrong",
                close=CloseCode.UNAUTHORIZED,
            )

    async def room(self, code: str) -> Room:
        """The loaded room for a stored code, loading it (from its last snapshot) if needed."""
        async with self._loading:
            room = self.rooms.get(code)
            if room is not None:
                return room
            await self._make_room_for_one()
            self._check_capacity()
            record = await asyncio.to_thread(self.store.get_room, code)
            if record is None:
                raise InputError("room_unknown", "code", f"no room has the code {code}")
            room = Room(
                record,
                broker=self.broker,
                store=self.store,
                make_runner=self.make_runner,
                limits=RoomLimits.of(self.settings),
                prepare=_stamp_and_compress if self.settings.room_compress_frames else _stamp_now,
                grace_seconds=self.settings.room_grace_seconds,
            )
            await room.start()
            self.rooms[code] = room
            self._loaded_at[code] = time.monotonic()
            return room

    async def save_all(self) -> None:
        """Snapshot every changed live run; unload rooms ended or idle for long."""
        now = time.monotonic()
        for code, room in list(self.rooms.items()):
            if room.ended:
                del self.rooms[code]
                self._loaded_at.pop(code, None)
                continue
            try:
                if room.dirty:
                    await room.snapshot()
            except Exception:
                log.exception("snapshot of room %s failed", code)
            if room.watched():
                self._unwatched_since.pop(code, None)
            elif (
                now - self._unwatched_since.setdefault(code, now) >= self.settings.room_pause_after
            ):
                self._unwatched_since[code] = math.inf  # once per unwatched stretch
                await room.pause_unwatched()
            if room.watched_here():
                self._idle_since.pop(code, None)
            elif now - self._idle_since.setdefault(code, now) > self._reclaim_after():
                await self._unload(code)
        if now - self._expired_at >= min(EXPIRY_PERIOD, self.settings.share_days * 8640):
            days = self.settings.share_days
            try:
                gone = await asyncio.to_thread(self.store.expire_snapshots, days * 86400)
            except InputError as exc:  # the shared store is unreachable: the next save tries
                log.warning("share links not expired yet: %s", exc.message)
                return
            self._expired_at = now
            if gone:
                log.info("deleted %d share links nobody opened for %g days", gone, days)

    async def _save_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.snapshot_seconds)
            await self.save_all()
