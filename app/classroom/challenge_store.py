"""Challenges and submissions in the room store's SQLite file (tables of migration 4).

Methods of the store (`ChallengeTables`), called from worker threads (`asyncio.to_thread`).
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

from app.protocol import ProtocolError

ENTRY_COLUMNS = (
    "id, student, name, value, goal_met, violations, neurons, hidden_layers, epoch, created"
)
CSV_HEADER = (
    "submission", "student", "name", "metric", "value", "goal", "goal_met", "within_rules",
    "violations", "neurons", "hidden_layers", "epoch", "submitted_utc",
)  # fmt: skip


class ChallengeTables:
    """The SQLite side of challenges: a part of `app.classroom.store.Store` (its `execute`).

    `app.classroom.redis_records` keeps the same in Redis when rooms span hosts.
    """

    def execute(self, sql: str, params: tuple = ()) -> tuple[list[tuple], int | None]: ...

    def add_challenge(self, room: str, spec: dict[str, Any]) -> int:
        """Store a challenge of `room` (its full spec, secret seed included); its id."""
        text = json.dumps(spec, separators=(",", ":"))
        _, row_id = self.execute(
            "INSERT INTO challenges (room_code, spec, created) VALUES (?, ?, ?)",
            (room, text, time.time()),
        )
        assert row_id is not None
        return row_id

    def count_challenges(self, room: str) -> int:
        rows, _ = self.execute("SELECT count(*) FROM challenges WHERE room_code = ?", (room,))
        return rows[0][0]

    def challenge(self, room: str, challenge_id: int | None = None) -> tuple[int, dict] | None:
        """(id, spec) of a challenge of `room`: the given id, else the latest; None if none."""
        if challenge_id is None:
            rows, _ = self.execute(
                "SELECT id, spec FROM challenges WHERE room_code = ? ORDER BY id DESC LIMIT 1",
                (room,),
            )
        else:
            rows, _ = self.execute(
                "SELECT id, spec FROM challenges WHERE room_code = ? AND id = ?",
                (room, challenge_id),
            )
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def add_submission(
        self, challenge_id: int, entry: dict[str, Any], limits: tuple[int, int]
    ) -> dict[str, Any]:
        """Store a measured submission; the entry with its `id` and `at`. `rate_limited`
        if the student (`limits[0]`) or the challenge (`limits[1]`) has had their number."""
        rows, _ = self.execute(
            "SELECT count(*), total(student = ?) FROM submissions WHERE challenge_id = ?",
            (entry["student"], challenge_id),
        )
        if rows[0][1] >= limits[0] or rows[0][0] >= limits[1]:
            raise too_many(per_student=rows[0][1] >= limits[0], limits=limits)
        at = time.time()
        _, row_id = self.execute(
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

    def submissions(self, challenge_id: int) -> list[dict[str, Any]]:
        """Every submission of a challenge, oldest first."""
        rows, _ = self.execute(
            f"SELECT {ENTRY_COLUMNS} FROM submissions WHERE challenge_id = ? ORDER BY id",
            (challenge_id,),
        )
        return [_entry(row) for row in rows]


def too_many(per_student: bool, limits: tuple[int, int]) -> ProtocolError:
    """The refusal of a submission past a limit (`limits`: per student, per challenge)."""
    if per_student:
        return ProtocolError(
            "rate_limited",
            f"you have made this challenge's {limits[0]} submissions; your best one counts",
        )
    return ProtocolError("rate_limited", f"this challenge has had its {limits[1]} submissions")


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
