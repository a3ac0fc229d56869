"""The course's lessons: one JSON file per lesson in this folder (docs/lessons.md).

A file is named ``NNN-<id>.json``; the number gives the course order. Loading validates
every lesson (`engine.lesson.Lesson.from_dict`), so a broken file stops the server at start
with its name and the field at fault.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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
