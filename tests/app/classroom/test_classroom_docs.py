"""docs/classroom.md, the JS mirror and the code name the same close codes and messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.classroom.parts import CONTROL_TYPES, INSTRUCTOR_ONLY, ROOM_TYPES
from app.protocol import MESSAGE_TYPES, CloseCode

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "classroom.md").read_text()
JS = (ROOT / "static" / "js" / "classroom" / "room-socket.js").read_text()


ROOM_CODES = [c for c in CloseCode if 4100 <= c < 4200]


@pytest.mark.parametrize("code", ROOM_CODES)
def test_every_room_close_code_is_mirrored_in_the_room_socket_js(code):
    assert re.search(rf"\b{code.name}: {int(code)},", JS)


@pytest.mark.parametrize("kind", sorted(ROOM_TYPES))
def test_every_room_message_is_documented(kind):
    assert f"`{kind}`" in DOC


def test_the_room_messages_are_the_room_kinds_and_add_to_the_solo_ones():
    assert set(ROOM_TYPES) >= CONTROL_TYPES | INSTRUCTOR_ONLY
    assert not set(ROOM_TYPES) & set(MESSAGE_TYPES)


SETTINGS = [
    "MAX_ROOMS",
    "MAX_STUDENTS",
    "ROOM_JOINS",
    "ROOM_JOIN_SECONDS",
    "JOIN_FAILURES",
    "JOIN_WINDOW",
    "SNAPSHOT_SECONDS",
    "ROOM_IDLE_SECONDS",
    "ROOM_CREATIONS",
    "ROOM_GRACE_SECONDS",
    "ROOM_COMPRESS_FRAMES",
    "ROOM_PAUSE_AFTER",
    "DATA_DIR",
    "ROOM_RECLAIM_SECONDS",
    "SHARE_QUOTA_MB",
    "SHARE_DAYS",
    "REDIS_URL",
    "ROOM_SHARES",
    "WALL_OPENINGS",
    "SUBMITS_PER_MINUTE",
    "SUBMITS_PER_STUDENT",
    "SUBMITS_PER_CHALLENGE",
    "CHALLENGES_PER_ROOM",
]


@pytest.mark.parametrize("name", SETTINGS)
def test_every_classroom_setting_is_documented(name):
    assert f"PLAYGROUND_{name}" in DOC


SOURCES = [
    *sorted((ROOT / "app" / "classroom").glob("*.py")),
    *(ROOT / "app" / "routes" / name for name in ("classroom.py", "challenges.py")),
]
CODES = sorted(
    {
        code
        for path in SOURCES
        for code in re.findall(r'(?:ProtocolError|InputError)\(\s*"([a-z_]+)"', path.read_text())
    }
)
KEY_PARTS = sorted(
    {part for path in SOURCES for part in re.findall(r'key\([\w.]+, "(\w+)"\)', path.read_text())}
)


@pytest.mark.parametrize("code", CODES)
def test_every_error_code_of_the_rooms_is_documented(code):
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("part", KEY_PARTS)
def test_every_redis_key_of_a_room_is_documented(part):
    assert f"`:{part}`" in DOC


def test_the_lists_above_are_found():  # the patterns still match how the code is written
    assert {"storage_unavailable", "room_full", "name_taken"} <= set(CODES)
    assert {"seats", "scenarios", "challenges", "record"} <= set(KEY_PARTS)
