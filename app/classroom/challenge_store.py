"""Challenges and submissions in the room store's SQLite file (tables of migration 4).

Plain functions over `Store.execute`, called from worker threads (`asyncio.to_thread`).
A submission is kept as a leaderboard entry (`app.classroom.challenges`): a dict with
`id`, `student`, `name`, `value`, `goal_met`, `violations`, `neurons`, `hidden_layers`,
`epoch` and `at` (seconds since the epoch).
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from typing import Any

from app.classroom.store import Store

ENTRY_COLUMNS = (
    "id, student, name, value, goal_met, violations, neurons, hidden_layers, epoch, created"
)
CSV_HEADER = (
    "submission", "student", "name", "metric", "value", "goal", "goal_met", "within_rules",
    "violations", "neurons", "hidden_layers", "epoch", "submitted_utc",
)  # fmt: skip


def add_challenge(store: Store, room: str, spec: dict[str, Any]) -> int:
    """Store a challenge of `room` (its full spec, secret seed included); its id."""
    text = json.dumps(spec, separators=(",", ":"))
    _, row_id = store.execute(
        "INSERT INTO challenges (room_code, spec, created) VALUES (?, ?, ?)",
        (room, text, time.time()),
    )
    assert row_id is not None
    return row_id


def ensure_challenge(store: Store, room: str, challenge_id: int, spec: dict[str, Any]) -> bool:
    """Keep a challenge posted by another process here too (another host has its own file;
    the workers of one host share this one: then it is there already). False if this file
    has that id for another room's challenge (hosts number their challenges apart)."""
    text = json.dumps(spec, separators=(",", ":"))
    store.execute(
        "INSERT OR IGNORE INTO challenges (id, room_code, spec, created) VALUES (?, ?, ?, ?)",
        (challenge_id, room, text, time.time()),
    )
    rows, _ = store.execute("SELECT room_code FROM challenges WHERE id = ?", (challenge_id,))
    return rows[0][0] == room


def count_challenges(store: Store, room: str) -> int:
    rows, _ = store.execute("SELECT count(*) FROM challenges WHERE room_code = ?", (room,))
    return rows[0][0]


def challenge(store: Store, room: str, challenge_id: int | None = None) -> tuple[int, dict] | None:
    """(id, spec) of a challenge of `room`: the given id, else the latest; None if none."""
    if challenge_id is None:
        rows, _ = store.execute(
            "SELECT id, spec FROM challenges WHERE room_code = ? ORDER BY id DESC LIMIT 1",
            (room,),
        )
    else:
        rows, _ = store.execute(
            "SELECT id, spec FROM challenges WHERE room_code = ? AND id = ?",
            (room, challenge_id),
        )
    return (rows[0][0], json.loads(rows[0][1])) if rows else None


def add_submission(store: Store, challenge_id: int, entry: dict[str, Any]) -> dict[str, Any]:
    """Store a measured submission; the entry with its `id` and `at`."""
    at = time.time()
    _, row_id = store.execute(
        "INSERT INTO submissions (challenge_id, student, name, value, goal_met, violations, "
        "neurons, hidden_layers, epoch, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            challenge_id,
            entry["student"],
            entry["name"],
            entry["value"],
            int(entry["goal_met"]),
            json.dumps(entry["violations"]),
            entry["neurons"],
            entry["hidden_layers"],
            entry["epoch"],
            at,
        ),
    )
    return {**entry, "id": row_id, "at": at}


def submissions(store: Store, challenge_id: int) -> list[dict[str, Any]]:
    """Every submission of a challenge, oldest first."""
    rows, _ = store.execute(
        f"SELECT {ENTRY_COLUMNS} FROM submissions WHERE challenge_id = ? ORDER BY id",
        (challenge_id,),
    )
    return [_entry(row) for row in rows]


def _entry(row: tuple) -> dict[str, Any]:
    sub_id, student, name, value, goal_met, violations, neurons, layers, epoch, at = row
    return {
        "id": sub_id,
        "student": student,
        "name": name,
        "value": value,
        "goal_met": bool(goal_met),
        "violations": json.loads(violations),
        "neurons": neurons,
        "hidden_layers": layers,
        "epoch": epoch,
        "at": at,
    }


def csv_text(spec: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """The submissions as CSV (one row each, oldest first; `violations` joined by "; ")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow(
            [
                e["id"],
                e["student"],
                _cell(e["name"]),
                spec["metric"],
                "" if e["value"] is None else repr(e["value"]),
                repr(spec["goal"]),
                int(e["goal_met"]),
                int(not e["violations"]),
                "; ".join(e["violations"]),
                e["neurons"],
                e["hidden_layers"],
                e["epoch"],
                datetime.fromtimestamp(e["at"], UTC).isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A student's text as a spreadsheet shows it, never as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
