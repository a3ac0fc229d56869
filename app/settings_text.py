"""Settings in words: what a field allows, and a refused value as one line for the operator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class Choices:
    """Marks an int field that takes one of a few values (its validator checks them)."""

    values: tuple[int, ...]


@dataclass(frozen=True)
class Allowed:
    """Marks a field whose allowed values need their own words (its validator checks them)."""

    text: str


def _join(values: tuple[Any, ...]) -> str:
    words = [str(v) for v in values]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _range(noun: str, meta: list[Any]) -> str:
    low = next((f"from {m.ge}" for m in meta if isinstance(m, at.Ge)), None)
    low = low or next((f"above {m.gt}" for m in meta if isinstance(m, at.Gt)), None)
    high = next((m.le for m in meta if isinstance(m, at.Le)), None)
    if low and high is not None:
        return f"{noun} {low} to {high}"
    if low:
        return f"{noun} {low.replace('from', 'of at least')}"
    return noun


def allowed_values(field: FieldInfo) -> str:
    """E.g. "an integer from 1 to 60", "10, 20, 25 or 50", "true or false", "a path"."""
    kind = field.annotation
    words = next((m.text for m in field.metadata if isinstance(m, Allowed)), None)
    if words is not None:
        return words
    choices = next((m for m in field.metadata if isinstance(m, Choices)), None)
    if choices is not None:
        return _join(choices.values)
    if get_origin(kind) is Literal:
        return _join(get_args(kind))
    if kind is bool:
        return "true or false (or 1 or 0)"
    if kind is int:
        return _range("an integer", field.metadata)
    if kind is float:
        return _range("a number", field.metadata)
    if kind is Path:
        return "a path"
    return "text"


def one_line(
    model: type[BaseModel], exc: ValidationError, flags: Mapping[str, Any], env_prefix: str
) -> str:
    """Every refused value of `exc` on one line, each named as the operator wrote it."""
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        field = model.model_fields.get(name)
        if field is None:
            parts.append(f"there is no setting {name!r}")
            continue
        where = f"--{name.replace('_', '-')}" if name in flags else env_prefix + name.upper()
        parts.append(f"{where}={error['input']!r}: {name} must be {allowed_values(field)}")
    return "; ".join(parts)
