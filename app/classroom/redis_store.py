"""Rooms that every process and host can reach: the SQLite `Store` mirrored in Redis.

With PLAYGROUND_REDIS_URL set, a room's record (secret hash, locked, ended, removed names)
and its live run's last snapshot are written to this host's SQLite file first (saved data
never depends on Redis) and then to Redis, where a join code typed on another host finds
them. Reads try Redis and fall back to SQLite; a record found in Redis is copied into
SQLite, so every host that served a room can put it back (`restore`) if Redis lost it.
Share links, pushed scenarios, challenges and submissions live in Redis alone
(`app.classroom.redis_records`).

The methods are synchronous like the Store's (the room calls them in worker threads), so
this module uses redis's blocking client, with short timeouts.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from app.classroom.codes import InputError
from app.classroom.redis_records import RedisRecords
from app.classroom.rediskeys import RETAIN_SECONDS, key
from app.classroom.store import RoomRecord, Store
from app.protocol import CloseCode

log = logging.getLogger(__name__)

UNREACHABLE = "rooms are unavailable for a moment: this server cannot reach Redis; try again"


class SharedStore(RedisRecords, Store):
    def __init__(self, path: Path, url: str) -> None:
        super().__init__(path)
        import redis  # lazily: only servers with a redis_url need it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.errors = (redis.RedisError, OSError)
        self.redis = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )

    @classmethod
    def open_shared(cls, data_dir: Path, url: str) -> SharedStore:
        return cls(data_dir / "classroom.sqlite3", url)

    def close(self) -> None:
        self.redis.close()
        super().close()

    # Records ---------------------------------------------------------------------------

    def create_room(self, code: str, secret_hash: str) -> RoomRecord:
        """sqlite3.IntegrityError if the code is taken here or on any host; InputError if
        Redis cannot be reached (a room nobody else could join is not created)."""
        try:
            if not self.redis.hsetnx(key(code, "record"), "secret_hash", secret_hash):
                raise sqlite3.IntegrityError(f"room code {code} is taken on another host")
        except self.errors:
            raise InputError("rooms_unavailable", None, UNREACHABLE) from None
        record = super().create_room(code, secret_hash)
        self._write(record)
        return record

    def get_room(self, code: str) -> RoomRecord | None:
        """Redis's record (copied here), else this host's; InputError if neither can say."""
        try:
            stored = self.redis.hgetall(key(code, "record"))
        except self.errors:
            record = super().get_room(code)
            if record is None:  # maybe another host's room: do not call the code wrong
                raise InputError(
                    "rooms_unavailable", None, UNREACHABLE, close=CloseCode.ROOM_UNKNOWN
                ) from None
            return record
        if b"created" not in stored:
            record = super().get_room(code)
            if record is not None:
                self.restore(record)  # Redis lost it (restarted without its data)
            return record
        record = _record(code, stored)
        self._copy_here(record)
        return record

    def restore(self, record: RoomRecord) -> None:
        """Put a record back into Redis, keeping whatever Redis already has."""
        try:
            k = key(record.code, "record")
            pipe = self.redis.pipeline(transaction=False)
            for name, value in _fields(record).items():
                pipe.hsetnx(k, name, value)
            pipe.expire(k, RETAIN_SECONDS)
            pipe.execute()
        except self.errors:
            log.warning("rooms: could not restore room %s in Redis", record.code)

    def set_flags(self, code: str, *, locked: bool | None = None, ended: bool | None = None):
        super().set_flags(code, locked=locked, ended=ended)
        fields = {"locked": locked, "ended": ended}
        self._hset(code, {k: int(v) for k, v in fields.items() if v is not None})

    def add_kicked(self, code: str, name: str) -> None:
        super().add_kicked(code, name)
        record = super().get_room(code)
        if record is not None:
            self._hset(code, {"kicked": json.dumps(sorted(set(record.kicked) | {name}))})

    def _write(self, record: RoomRecord) -> None:
        self._hset(record.code, _fields(record))

    def _hset(self, code: str, fields: dict[str, Any]) -> None:
        if not fields:
            return
        try:
            self.redis.hset(key(code, "record"), mapping=fields)
            self.redis.expire(key(code, "record"), RETAIN_SECONDS)
        except self.errors:  # saved here; put back by `restore` when Redis returns
            log.warning("rooms: Redis missed a change of room %s", code)

    def _copy_here(self, record: RoomRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO rooms (code, secret_hash, locked, ended, created, kicked) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
                "locked = excluded.locked, ended = max(ended, excluded.ended), "
                "kicked = excluded.kicked",
                (record.code, record.secret_hash, record.locked, record.ended, record.created,
                 json.dumps(list(record.kicked))),
            )  # fmt: skip

    # The live run's snapshot -----------------------------------------------------------

    def save_live_state(self, code: str, state: dict[str, Any]) -> None:
        super().save_live_state(code, state)
        try:
            text = json.dumps({"at": time.time(), "state": state}, separators=(",", ":"))
            self.redis.set(key(code, "live"), text, ex=RETAIN_SECONDS)
        except self.errors:
            log.warning("rooms: the live run of room %s was saved here only", code)

    def live_state(self, code: str) -> dict[str, Any] | None:
        """The newer of Redis's and this host's snapshot."""
        try:
            raw = self.redis.get(key(code, "live"))
        except self.errors:
            raw = None
        here = super().live_state(code)
        if raw is None:
            return here
        shared = json.loads(raw)
        with self._lock:
            row = self._db.execute(
                "SELECT live_state_at FROM rooms WHERE code = ?", (code,)
            ).fetchone()
        if here is not None and row is not None and (row[0] or 0) > shared["at"]:
            return here
        return shared["state"]


def _fields(record: RoomRecord) -> dict[str, Any]:
    return {
        "secret_hash": record.secret_hash,
        "locked": int(record.locked),
        "ended": int(record.ended),
        "created": record.created,
        "kicked": json.dumps(list(record.kicked)),
    }


def _record(code: str, stored: dict[bytes, bytes]) -> RoomRecord:
    get = {k.decode(): v.decode() for k, v in stored.items()}
    return RoomRecord(
        code,
        get["secret_hash"],
        get.get("locked") == "1",
        get.get("ended") == "1",
        float(get["created"]),
        tuple(json.loads(get.get("kicked", "[]"))),
    )
