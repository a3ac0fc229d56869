"""Shared storage of detached solo sessions: Redis when `redis_url` is set, else SQLite.

A stored session is a blob (`app.session_state`) under the SHA-256 of its id (the id is a
bearer secret: neither the file nor Redis holds it), with the worker that owns it and the
client address it counts against. It lives `grace_seconds` after its last save. Every call
is blocking (the registry runs them in a thread) and atomic across processes and hosts:

- `save` writes the blob unless another worker has claimed the session since (LOST), or,
  for a session not stored yet, the store holds `max_total` sessions (FULL); an address
  past its `max_per_address` loses its own oldest stored session to the new one.
- `drop` deletes it if the caller still owns it (its grace period ran out there).
- `claim` makes the caller the owner and returns the blob, or MINE when the caller owns it
  already and holds it in memory (the fast path), or None when nothing is stored, or BUSY
  when another worker saved it with a socket still attached (its final save, when that
  socket drops, is on its way) and the caller does not `take` it anyway.
"""

from __future__ import annotations

import enum
import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from app import sqlite_shared

SQLITE_FILE = "sessions.sqlite3"
REDIS_PREFIX = "playground:session:"
PRUNE_EVERY = 100  # saves between two sweeps of expired SQLite rows

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,      -- sha256 hex of the session id
    owner TEXT NOT NULL,       -- the worker holding it (app.metrics worker id)
    address TEXT NOT NULL,     -- the client address it counts against
    expires REAL NOT NULL,     -- unix time: grace_seconds after its last save
    state BLOB NOT NULL,       -- app.session_state blob
    attached INTEGER NOT NULL  -- 1: saved while a socket had it (a final save follows)
);
CREATE INDEX IF NOT EXISTS sessions_address ON sessions(address, expires);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);
"""


class Saved(enum.Enum):
    SAVED = "saved"
    LOST = "lost"  # another worker owns the session now
    FULL = "full"  # the store holds its limit of sessions


MINE = "mine"  # claim(): the caller owns it and keeps its own copy
BUSY = "busy"  # claim(): another worker's socket had it at its last save


class SessionStore(Protocol):
    def save(
        self, session_id: str, owner: str, address: str, blob: bytes, attached: bool
    ) -> Saved: ...

    def claim(
        self, session_id: str, owner: str, have_local: bool, take: bool = True
    ) -> bytes | str | None: ...

    def drop(self, session_id: str, owner: str) -> None: ...

    def close(self) -> None: ...


def key_of(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SqliteSessions:
    """The embedded store: one file in the data directory, shared by one host's workers."""

    def __init__(self, path: Path, ttl: float, max_per_address: int, max_total: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ttl, self.max_per_address, self.max_total = ttl, max_per_address, max_total
        self._lock = threading.Lock()
        self._saves = 0
        self._db = sqlite_shared.connect(path)
        # Detached sessions are disposable: no disk sync per save (WAL stays consistent; a
        # power cut may lose the last saves).
        self._db.execute("PRAGMA synchronous=NORMAL")
        sqlite_shared.set_up(self._db, lambda: self._db.executescript(SCHEMA))

    def _write(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def save(self, session_id: str, owner: str, address: str, blob: bytes, attached: bool) -> Saved:
        key, now = key_of(session_id), time.time()
        with self._write():
            row = self._db.execute(
                "SELECT owner FROM sessions WHERE key = ? AND expires > ?", (key, now)
            ).fetchone()
            if row is not None and row[0] != owner:
                return Saved.LOST
            if row is None:
                full = self._make_room(address, now)
                if full:
                    return Saved.FULL
            self._db.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (key, owner, address, now + self.ttl, blob, int(attached)),
            )
        self._saves += 1
        if self._saves % PRUNE_EVERY == 0:
            with self._write():
                self._db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
        return Saved.SAVED

    def _make_room(self, address: str, now: float) -> bool:
        """Evict the address's oldest past its share; True if the store is full anyway."""
        live = "FROM sessions WHERE address = ? AND expires > ?"
        held = self._db.execute(f"SELECT count(*) {live}", (address, now)).fetchone()[0]
        if held >= self.max_per_address:
            self._db.execute(
                f"DELETE FROM sessions WHERE key IN (SELECT key {live} ORDER BY expires LIMIT ?)",
                (address, now, held - self.max_per_address + 1),
            )
        total = self._db.execute("SELECT count(*) FROM sessions WHERE expires > ?", (now,))
        return total.fetchone()[0] >= self.max_total

    def claim(
        self, session_id: str, owner: str, have_local: bool, take: bool = True
    ) -> bytes | str | None:
        key, now = key_of(session_id), time.time()
        with self._write():
            row = self._db.execute(
                "SELECT owner, attached FROM sessions WHERE key = ? AND expires > ?", (key, now)
            ).fetchone()
            if row is None:
                return None
            if row[0] == owner and have_local:
                return MINE
            if row[0] != owner and row[1] and not take:
                return BUSY
            self._db.execute("UPDATE sessions SET owner = ? WHERE key = ?", (owner, key))
            query = "SELECT state FROM sessions WHERE key = ?"
            return self._db.execute(query, (key,)).fetchone()[0]

    def drop(self, session_id: str, owner: str) -> None:
        with self._write():
            query = "DELETE FROM sessions WHERE key = ? AND owner = ?"
            self._db.execute(query, (key_of(session_id), owner))

    def count(self) -> int:
        with self._lock:
            query = "SELECT count(*) FROM sessions WHERE expires > ?"
            return self._db.execute(query, (time.time(),)).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception) under the connection's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, kind: Any, *rest: Any) -> None:
        try:
            self.db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self.lock.release()


# KEYS: the session's hash, its address's sorted set, the sorted set of all.
# ARGV: owner, address, blob, now ms, ttl ms, max per address, max total, member (the key),
# the hashes' key prefix, "1" if a socket is attached.
_SAVE = """
local current = redis.call('HGET', KEYS[1], 'owner')
if current and current ~= ARGV[1] then return 'lost' end
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if not current then
  while redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) do
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    redis.call('ZREM', KEYS[2], oldest)
    redis.call('ZREM', KEYS[3], oldest)
    redis.call('DEL', ARGV[9] .. oldest)
  end
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 'full' end
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'address', ARGV[2], 'state', ARGV[3],
           'attached', ARGV[10])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[8])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[8])
redis.call('PEXPIRE', KEYS[2], ttl)
return 'saved'
"""

# KEYS: the session's hash. ARGV: owner, "1" if the caller holds it in memory, "1" to take
# it even from a worker whose socket had it at its last save.
_CLAIM = """
local current = redis.call('HGET', KEYS[1], 'owner')
if not current then return false end
if current == ARGV[1] and ARGV[2] == '1' then return 'mine' end
if current ~= ARGV[1] and ARGV[3] ~= '1' and redis.call('HGET', KEYS[1], 'attached') == '1' then
  return 'busy'
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return redis.call('HGET', KEYS[1], 'state')
"""

# KEYS: the session's hash, the sorted set of all. ARGV: owner, member, address set prefix.
_DROP = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
local address = redis.call('HGET', KEYS[1], 'address')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', ARGV[3] .. address, ARGV[2])
return 1
"""


class RedisSessions:
    """Sessions in Redis, shared by every worker of every host; TTL = grace_seconds."""

    def __init__(self, url: str, ttl: float, max_per_address: int, max_total: int) -> None:
        import redis  # the [redis] extra: imported only when a URL is configured

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.ttl_ms = max(1, int(ttl * 1000))
        self.max_per_address, self.max_total = max_per_address, max_total
        self._save = self.client.register_script(_SAVE)
        self._claim = self.client.register_script(_CLAIM)
        self._drop = self.client.register_script(_DROP)

    def save(self, session_id: str, owner: str, address: str, blob: bytes, attached: bool) -> Saved:
        key = key_of(session_id)
        keys = [REDIS_PREFIX + key, REDIS_PREFIX + "address:" + address, REDIS_PREFIX + "all"]
        now = int(time.time() * 1000)
        args = [owner, address, blob, now, self.ttl_ms, self.max_per_address, self.max_total]
        result = self._save(keys=keys, args=[*args, key, REDIS_PREFIX, int(attached)])
        return Saved(result.decode())

    def claim(
        self, session_id: str, owner: str, have_local: bool, take: bool = True
    ) -> bytes | str | None:
        result = self._claim(
            keys=[REDIS_PREFIX + key_of(session_id)], args=[owner, int(have_local), int(take)]
        )
        return {b"mine": MINE, b"busy": BUSY}.get(result, result)

    def drop(self, session_id: str, owner: str) -> None:
        key = key_of(session_id)
        keys = [REDIS_PREFIX + key, REDIS_PREFIX + "all"]
        self._drop(keys=keys, args=[owner, key, REDIS_PREFIX + "address:"])

    def close(self) -> None:
        self.client.close()


def open_store(settings: Any) -> SessionStore | None:
    """The store `settings` ask for; None when session_save_seconds is 0 (memory only)."""
    if settings.session_save_seconds <= 0:
        return None
    bounds = (
        settings.grace_seconds,
        settings.max_sessions_per_address,
        settings.max_saved_sessions,
    )
    if settings.redis_url:
        return RedisSessions(settings.redis_url, *bounds)
    return SqliteSessions(Path(settings.data_dir) / SQLITE_FILE, *bounds)
