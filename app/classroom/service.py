"""The process's classroom: settings, the rooms loaded here, their snapshots and limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
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
from app.classroom.parts import MakeRunner
from app.classroom.room import Room
from app.classroom.store import Store, default_data_dir
from app.protocol import CloseCode

log = logging.getLogger(__name__)


def _env_number(name: str, default: float, kind: type = int) -> Any:
    raw = os.environ.get(f"PLAYGROUND_{name}")
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"PLAYGROUND_{name}={raw!r} is not a valid {kind.__name__}") from None


@dataclass(frozen=True)
class ClassroomSettings:
    """Classroom limits; each has a PLAYGROUND_<NAME> variable."""

    data_dir: Path = field(default_factory=default_data_dir)
    max_rooms: int = 50  # rooms loaded in this process at once
    max_students: int = 200  # per room
    # New places per client address per room per minute: a hall behind one NAT fills its
    # 200 seats within two minutes; a bot cannot take them all in a burst.
    room_joins: int = 100
    join_failures: int = 10  # wrong codes per client ...
    join_window: float = 60.0  # ... per this many seconds
    room_creations: int = 10  # new rooms per client address per 10 minutes
    snapshot_seconds: float = 3.0  # the live run is saved at least this often while it changes
    grace_seconds: float = 60.0  # a disconnected student keeps name and fork this long
    join_seconds: float = 10.0  # a new room socket has this long to send its join
    compress_frames: bool = True  # fan out zframes (compressed once per frame)
    pause_after: float = 60.0  # a live run nobody is connected to is paused after this
    idle_seconds: float = 900.0  # a room with nobody in it is unloaded (its state stays saved)

    @classmethod
    def from_env(cls, **overrides: Any) -> ClassroomSettings:
        values: dict[str, Any] = {
            "max_rooms": _env_number("MAX_ROOMS", cls.max_rooms),
            "max_students": _env_number("MAX_STUDENTS", cls.max_students),
            "room_joins": _env_number("ROOM_JOINS", cls.room_joins),
            "join_failures": _env_number("JOIN_FAILURES", cls.join_failures),
            "join_window": _env_number("JOIN_WINDOW", cls.join_window, float),
            "room_creations": _env_number("ROOM_CREATIONS", cls.room_creations),
            "snapshot_seconds": _env_number("SNAPSHOT_SECONDS", cls.snapshot_seconds, float),
            "grace_seconds": _env_number("ROOM_GRACE_SECONDS", cls.grace_seconds, float),
            "join_seconds": _env_number("ROOM_JOIN_SECONDS", cls.join_seconds, float),
            "compress_frames": bool(_env_number("ROOM_COMPRESS_FRAMES", 1)),
            "pause_after": _env_number("ROOM_PAUSE_AFTER", cls.pause_after, float),
            "idle_seconds": _env_number("ROOM_IDLE_SECONDS", cls.idle_seconds, float),
        }
        values.update(overrides)
        return cls(**values)


def _stamp_now(frame: bytes) -> bytes:
    # Wall-clock milliseconds, comparable with the browser's Date.now() on the same host.
    return stamp(frame, sent_at=round(time.time() * 1000, 1))


def _stamp_and_compress(frame: bytes) -> bytes:
    return compress(_stamp_now(frame))


class Classroom:
    """Creates and finds rooms; loads a stored room on first use; saves live runs."""

    def __init__(
        self,
        settings: ClassroomSettings,
        make_runner: MakeRunner,
        broker: Broker | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.make_runner = make_runner
        self.broker = broker or LocalBroker()
        self.store = store or Store.open(settings.data_dir)
        self.throttle = Throttle(settings.join_failures, settings.join_window)
        self.creations = Throttle(settings.room_creations, 600.0, what="new rooms")
        self.shares = Throttle(60, 600.0, what="share links")  # POST /api/snapshots
        self.rooms: dict[str, Room] = {}
        self._idle_since: dict[str, float] = {}
        self._unwatched_since: dict[str, float] = {}
        self._loading = asyncio.Lock()
        self._saver: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._saver = asyncio.create_task(self._save_loop())

    async def stop(self) -> None:
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        for room in list(self.rooms.values()):
            await room.close()
        self.rooms.clear()
        self.store.close()

    def limits(self) -> dict[str, Any]:
        return {
            "max_rooms": self.settings.max_rooms,
            "max_students": self.settings.max_students,
            "join_failures": self.settings.join_failures,
            "join_window": self.settings.join_window,
        }

    async def create_room(self, client: str = "local") -> tuple[Room, str]:
        """A new room and its instructor secret (returned once, stored only as a hash)."""
        self.creations.check(client)
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

    def _check_capacity(self) -> None:
        if len(self.rooms) >= self.settings.max_rooms:
            raise InputError(
                "too_many_rooms",
                None,
                f"this server runs its limit of {self.settings.max_rooms} rooms; "
                "end a room or try later",
            )

    async def find(self, raw_code: object, client: str) -> Room:
        """The open room for a join code typed by a client; throttled against guessing."""
        self.throttle.check(client)
        try:
            code = normalize_join_code(raw_code)
        except Exception:
            self.throttle.count(client)
            raise
        room = self.rooms.get(code)
        if room is None:
            record = await asyncio.to_thread(self.store.get_room, code)
            if record is None or record.ended:
                self.throttle.count(client)
                raise InputError(
                    "room_unknown",
                    "code",
                    f"no open room has the code {code}",
                    close=CloseCode.ROOM_UNKNOWN,
                )
            room = await self.room(code)
        return room

    def authorize(self, room: Room, secret: object, client: str) -> None:
        """InputError unless `secret` is the room's instructor secret (constant-time)."""
        self.throttle.check(client)
        if not secret_matches(secret, room.record.secret_hash):
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
            self._check_capacity()
            record = await asyncio.to_thread(self.store.get_room, code)
            if record is None:
                raise InputError("room_unknown", "code", f"no room has the code {code}")
            room = Room(
                record,
                broker=self.broker,
                store=self.store,
                make_runner=self.make_runner,
                max_followers=self.settings.max_students,
                prepare=_stamp_and_compress if self.settings.compress_frames else _stamp_now,
                grace_seconds=self.settings.grace_seconds,
                joins_per_minute=self.settings.room_joins,
            )
            await room.start()
            self.rooms[code] = room
            return room

    async def save_all(self) -> None:
        """Snapshot every changed live run; unload rooms ended or idle for long."""
        now = time.monotonic()
        for code, room in list(self.rooms.items()):
            if room.ended:
                del self.rooms[code]
                continue
            try:
                if room.dirty:
                    await room.snapshot()
            except Exception:
                log.exception("snapshot of room %s failed", code)
            if room.watched():
                self._unwatched_since.pop(code, None)
            elif now - self._unwatched_since.setdefault(code, now) >= self.settings.pause_after:
                self._unwatched_since[code] = math.inf  # once per unwatched stretch
                await room.pause_unwatched()
            if room.members:
                self._idle_since.pop(code, None)
            elif now - self._idle_since.setdefault(code, now) > self.settings.idle_seconds:
                await room.close()
                del self.rooms[code]
                self._idle_since.pop(code, None)

    async def _save_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.snapshot_seconds)
            await self.save_all()

    def counts(self) -> dict[str, int]:
        return {
            "rooms": len(self.rooms),
            "room_members": sum(len(r.members) for r in self.rooms.values()),
        }
