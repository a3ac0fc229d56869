"""docs/classroom.md's Challenges section names every message field, rule, metric, limit
and CSV column the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.classroom import challenges
from app.classroom.challenge_store import CSV_HEADER
from app.classroom.parts import RoomLimits
from engine.challenge import CONSTRAINTS, METRICS, Challenge

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "classroom.md").read_text()
SECTION = DOC.split("### Challenges", 1)[1].split("\n### ", 1)[0]
SOURCE = (ROOT / "app" / "classroom" / "challenges.py").read_text()


def row(direction: str, kind: str) -> str:
    return next(
        line for line in SECTION.splitlines() if line.startswith(f"| `{kind}` | {direction}")
    )


def test_the_challenge_message_documents_every_public_field():
    public = Challenge.from_dict({}, test_seed=1).public()
    sent = row("server", "challenge")
    assert all(f"`{key}`" in sent for key in ["id", "goal_text", "config", *public["config"]])
    posted = row("instructor", "challenge")
    assert all(f"`{key}`" in posted or f"`{key}`" in SECTION for key in public if key != "config")


def test_leaderboard_and_verdict_rows_document_every_field():
    entry = {"name": "a", "value": 1.0, "goal_met": True, "violations": [], "neurons": 1,
             "hidden_layers": 1, "epoch": 1}  # fmt: skip
    shown = challenges._shown(entry)
    board, verdict = row("server", "leaderboard"), row("server", "verdict")
    assert all(f"`{key}`" in board for key in [*shown, "rank", "students", "submissions"])
    assert all(f"`{key}`" in verdict for key in [*shown, "rank", "message", "challenge"])


@pytest.mark.parametrize("name", [*CONSTRAINTS, *METRICS])
def test_every_rule_and_metric_is_documented(name):
    assert f"`{name}`" in SECTION


def test_the_limits_in_the_doc_are_the_codes():
    limits = RoomLimits.defaults()
    assert f"{limits.submits_per_minute} submissions per student per minute" in SECTION
    assert f"{limits.submits_per_student} per student per challenge" in SECTION
    assert f"{limits.submits_per_challenge} per challenge" in SECTION
    assert f"{limits.challenges} challenges per room" in SECTION
    assert f"top {challenges.SHOWN}" in SECTION
    assert f"at most {challenges.JUDGES} of a room at once" in SECTION


def test_every_csv_column_and_error_code_is_documented():
    columns = SECTION.split("as CSV with the columns", 1)[1].split(". A name", 1)[0]
    assert re.findall(r"`([a-z_]+)`", columns) == [*CSV_HEADER[:2], "member", *CSV_HEADER[2:]]
    for code in set(re.findall(r'ProtocolError\(\s*"([a-z_]+)"', SOURCE)):
        assert f"`{code}`" in DOC
