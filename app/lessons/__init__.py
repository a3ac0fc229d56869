"""The course's lessons: one JSON file per lesson in this folder (docs/lessons.md).

A file is named ``NNN-<id>.json``; the number gives the course order. Loading validates
every lesson (`engine.lesson.Lesson.from_dict`), so a broken file stops the server at start
with its name and the field at fault.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from app.options import check_engine_limits
from app.protocol import ProtocolError
from app.settings import Settings
from engine.lesson import Lesson
from engine.options import ConfigError

LESSON_DIR = Path(__file__).parent
FILE_NAME = re.compile(r"^\d{3}-(?P<id>.+)\.json$")


class LessonFileError(ValueError):
    """A lesson file that cannot be used: its name, and what is wrong with it."""


def load_lesson(path: Path) -> Lesson:
    """Read and validate one lesson file."""
    name = FILE_NAME.match(path.name)
    if name is None:
        raise LessonFileError(f"{path.name}: the name must be NNN-<id>.json")
    try:
        lesson = Lesson.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise LessonFileError(f"{path.name}: not valid JSON ({e})") from e
    except ConfigError as e:
        raise LessonFileError(f"{path.name}: {e}") from e
    if lesson.id != name["id"]:
        raise LessonFileError(f"{path.name}: id {lesson.id!r} must match the file name")
    return lesson


def load_lessons(directory: Path = LESSON_DIR) -> list[Lesson]:
    """Every lesson in `directory`, in course order."""
    return [load_lesson(path) for path in sorted(directory.glob("*.json"))]


@cache
def course() -> tuple[Lesson, ...]:
    """The lessons shipped with the server, loaded and validated once per process."""
    return tuple(load_lessons())


def catalog(lessons: tuple[Lesson, ...], settings: Settings) -> list[dict[str, Any]]:
    """Every lesson's fields, plus whether this server's limits let it run.

    A lesson whose config (or a "now try" variant) needs more neurons, layers or points
    than the server allows is listed with ``available: false`` and the reason.
    """
    out = []
    for lesson in lessons:
        entry = lesson.to_dict()
        entry["available"], entry["unavailable_reason"] = True, None
        for config in (lesson.config, *(v.config for v in lesson.now_try)):
            try:
                check_engine_limits(config.to_dict(), settings)
            except ProtocolError as e:
                entry["available"], entry["unavailable_reason"] = False, e.message
                break
        out.append(entry)
    return out
