"""A SQLite file that several processes open together (a host's workers, test servers)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

ATTEMPTS = 50


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection usable from worker threads that waits up to 10 s for other
    processes' locks."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    return db


def set_up(db: sqlite3.Connection, setup: Callable[[], None]) -> None:
    """Switch to WAL, then run `setup` (schema, migrations).

    Both need the write lock; when processes open a new file together SQLite may refuse it
    at once (its deadlock avoidance skips the busy wait): retry a while.
    """
    for attempt in range(ATTEMPTS):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            setup()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.02 + 0.01 * attempt)
