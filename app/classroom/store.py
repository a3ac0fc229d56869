"""SQLite storage of rooms, pushed scenarios and share-link snapshots.

One `Store` per process holds one connection (WAL mode) behind a lock, so it may be called
from worker threads (`asyncio.to_thread`). Migrations run when the store opens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import sqlite_shared
from app.classroom.challenge_store import ChallengeTables
from app.classroom.codes import InputError, Throttle

MAX_SCENARIOS = 100  # pushed scenarios kept per room (the latest)

# Append only: a migration, once released, never changes. Index + 1 is its schema version.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE rooms (
        code TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,      -- sha256 hex of the instructor secret; never the secret
        locked INTEGER NOT NULL DEFAULT 0,
        ended INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        live_state TEXT,                -- last snapshot of the live run (Trainer.export_state JSON)
        live_state_at REAL
    );
    CREATE TABLE scenarios (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
        scenario TEXT NOT NULL,         -- JSON: {"title", "config", "state"?}
        created REAL NOT NULL
    );
    CREATE INDEX scenarios_room ON scenarios(room_code);
    CREATE TABLE snapshots (
        id TEXT PRIMARY KEY,            -- the share link's unguessable id
        room_code TEXT,
        state TEXT NOT NULL,            -- Trainer.export_state JSON: config, data, weights
        created REAL NOT NULL
    );
    """,
    # 2: names the instructor removed stay removed across a restart.
    """
    -- a JSON list of casefolded names
    ALTER TABLE rooms ADD COLUMN kicked TEXT NOT NULL DEFAULT '[]';
    """,
    # 3: share links expire when nobody opened them for a while; identical ones are stored once.
    """
    ALTER TABLE snapshots ADD COLUMN visited REAL;  -- last opened (created, until then)
    ALTER TABLE snapshots ADD COLUMN digest TEXT;   -- sha256 of the stored state text
    CREATE INDEX snapshots_digest ON snapshots(digest);
    CREATE INDEX snapshots_visited ON snapshots(visited);
    """,
    # 4: challenges and their submissions (app.classroom.challenge_store).
    """
    CREATE TABLE challenges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
        spec TEXT NOT NULL,             -- Challenge.to_dict() JSON: the secret test_seed too
        created REAL NOT NULL
    );
    CREATE INDEX challenges_room ON challenges(room_code);
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        challenge_id INTEGER NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
        student TEXT NOT NULL,          -- the roster's public `member` ref of the place
        name TEXT NOT NULL,
        value REAL,                     -- the metric the server measured (NULL: none)
        goal_met INTEGER NOT NULL,
        violations TEXT NOT NULL,       -- JSON list of broken constraints, in words
        neurons INTEGER NOT NULL,
        hidden_layers INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX submissions_challenge ON submissions(challenge_id);
    """,
)


@dataclass(frozen=True)
class RoomRecord:
    """A room as stored; the live state is loaded separately (it can be large)."""

    code: str
    secret_hash: str
    locked: bool
    ended: bool
    created: float
    kicked: tuple[str, ...] = ()  # casefolded names refused


class Store(ChallengeTables):
    """All classroom persistence behind one small class (challenges: `ChallengeTables`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self.share_quota: int | None = None  # bytes all share links may take (None: no limit)
        self.share_seconds = 90 * 86400.0  # a link unvisited this long is gone (share_days)
        self._db = sqlite_shared.connect(path)
        self._db.execute("PRAGMA foreign_keys=ON")
        sqlite_shared.set_up(self._db, self.migrate)

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """The store file `classroom.sqlite3` under `data_dir` (the data_dir setting)."""
        return cls(data_dir / "classroom.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def schema_version(self) -> int:
        with self._lock:
            return self._version()

    def _version(self) -> int:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def migrate(self) -> None:
        """Apply every migration newer than the file's schema version, all or none.

        BEGIN IMMEDIATE takes the write lock before the version is read, so processes
        starting together (workers, test servers) migrate one after the other.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                current = self._version()
                if current > len(MIGRATIONS):
                    raise RuntimeError(
                        f"{self.path} has schema version {current}, newer than this code "
                        f"({len(MIGRATIONS)}); upgrade the server"
                    )
                for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
                    for statement in _statements(sql):
                        self._db.execute(statement)
                    self._db.execute("INSERT INTO schema_version VALUES (?)", (version,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def execute(self, sql: str, params: tuple = ()) -> tuple[list[tuple], int | None]:
        """One statement under the store's lock: its rows and the inserted row id (for the
        modules that keep their own tables, e.g. app.classroom.challenge_store)."""
        with self._lock:
            cur = self._db.execute(sql, params)
            return cur.fetchall(), cur.lastrowid

    # Rooms -----------------------------------------------------------------------------

    def create_room(self, code: str, secret_hash: str) -> RoomRecord:
        """Insert a room; sqlite3.IntegrityError if the code is taken."""
        created = time.time()
        with self._lock:
            self._db.execute(
                "INSERT INTO rooms (code, secret_hash, created) VALUES (?, ?, ?)",
                (code, secret_hash, created),
            )
        return RoomRecord(code, secret_hash, False, False, created)

    def get_room(self, code: str) -> RoomRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE code = ?",
                (code,),
            ).fetchone()
        return None if row is None else _room(row)

    def open_rooms(self) -> list[RoomRecord]:
        """Every room not ended, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE ended = 0 ORDER BY created"
            ).fetchall()
        return [_room(r) for r in rows]

    def restore(self, record: RoomRecord) -> None:
        """Put a record back where other processes look for it (nothing to do here: they
        share this file; see app.classroom.redis_store)."""

    def set_flags(self, code: str, *, locked: bool | None = None, ended: bool | None = None):
        with self._lock:
            if locked is not None:
                self._db.execute("UPDATE rooms SET locked = ? WHERE code = ?", (locked, code))
            if ended is not None:
                self._db.execute("UPDATE rooms SET ended = ? WHERE code = ?", (ended, code))

    def add_kicked(self, code: str, name: str) -> None:
        """Remember a removed (casefolded) name for the room."""
        with self._lock:
            row = self._db.execute("SELECT kicked FROM rooms WHERE code = ?", (code,)).fetchone()
            if row is None:
                return
            names = sorted(set(json.loads(row[0])) | {name})
            self._db.execute(
                "UPDATE rooms SET kicked = ? WHERE code = ?", (json.dumps(names), code)
            )

    def save_live_state(self, code: str, state: dict[str, Any]) -> None:
        text = json.dumps(state, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "UPDATE rooms SET live_state = ?, live_state_at = ? WHERE code = ?",
                (text, time.time(), code),
            )

    def live_state(self, code: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT live_state FROM rooms WHERE code = ?", (code,)
            ).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    # Scenarios -------------------------------------------------------------------------

    def add_scenario(self, code: str, scenario: dict[str, Any]) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO scenarios (room_code, scenario, created) VALUES (?, ?, ?)",
                (code, json.dumps(scenario, separators=(",", ":")), time.time()),
            )
            self._db.execute(
                "DELETE FROM scenarios WHERE room_code = ? AND id NOT IN (SELECT id FROM "
                "scenarios WHERE room_code = ? ORDER BY id DESC LIMIT ?)",
                (code, code, MAX_SCENARIOS),
            )
        return int(cur.lastrowid)

    def scenarios(self, code: str) -> list[dict[str, Any]]:
        """The room's pushed scenarios, oldest first, each with its `id`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, scenario FROM scenarios WHERE room_code = ? ORDER BY id", (code,)
            ).fetchall()
        return [{"id": i, **json.loads(s)} for i, s in rows]

    def throttle(self, name: str, limit: int, window: float, what: str) -> Throttle:
        """A per-client budget (`spend`) named `name`: this process's own here; one over
        every host in app.classroom.redis_records."""
        return Throttle(limit, window, what=what)

    # Snapshots (share links) -------------------------------------------------------------

    def save_snapshot(
        self,
        state: dict[str, Any],
        room_code: str | None = None,
        quota_bytes: int | None = None,
    ) -> str:
        """Store a trainer state behind an unguessable id (96 random bits) and return it.

        An identical state already stored gets its existing id. StorageFull if the stored
        states would pass `quota_bytes` in all.
        """
        text = json.dumps(state, separators=(",", ":"), sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM snapshots WHERE digest = ? AND state = ?", (digest, text)
            ).fetchone()
            if row is not None:
                self._db.execute("UPDATE snapshots SET visited = ? WHERE id = ?", (now, row[0]))
                return row[0]
            quota_bytes = quota_bytes if quota_bytes is not None else self.share_quota
            if quota_bytes is not None:
                used = self._db.execute("SELECT total(length(state)) FROM snapshots").fetchone()
                if used[0] + len(text) > quota_bytes:
                    raise StorageFull(quota_bytes)
            snap_id = secrets.token_urlsafe(12)
            self._db.execute(
                "INSERT INTO snapshots (id, room_code, state, created, visited, digest) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (snap_id, room_code, text, now, now, digest),
            )
        return snap_id

    def snapshot(self, snap_id: str) -> dict[str, Any] | None:
        """The stored state (and it counts as visited now), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM snapshots WHERE id = ?", (snap_id,)
            ).fetchone()
            if row is not None:
                self._db.execute(
                    "UPDATE snapshots SET visited = ? WHERE id = ?", (time.time(), snap_id)
                )
        return None if row is None else json.loads(row[0])

    def expire_snapshots(self, unvisited_seconds: float) -> int:
        """Delete share links nobody opened for `unvisited_seconds`; how many went."""
        cutoff = time.time() - unvisited_seconds
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM snapshots WHERE coalesce(visited, created) < ?", (cutoff,)
            )
        return cur.rowcount


class StorageFull(InputError):
    """The share-link storage quota (`quota_bytes`, all links together) is used up."""

    def __init__(self, quota_bytes: int) -> None:
        message = f"the server's share-link storage ({quota_bytes // 2**20} MB) is full; try later"
        super().__init__("storage_full", None, message)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, pending = [], ""
    for piece in sql.split(";"):
        pending += piece + ";"
        # A ';' inside a string or a comment leaves the statement incomplete: keep going.
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                statements.append(pending.strip())
            pending = ""
    return statements


_ROOM_COLUMNS = "code, secret_hash, locked, ended, created, kicked"


def _room(row: tuple) -> RoomRecord:
    code, secret_hash, locked, ended, created, kicked = row
    return RoomRecord(
        code, secret_hash, bool(locked), bool(ended), created, tuple(json.loads(kicked))
    )
