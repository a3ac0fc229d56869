"""The websocket protocol's envelope, close codes and per-message validation (docs/protocol.md)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class CloseCode(IntEnum):
    """Application close codes; `static/js/socket.js` mirrors these numbers."""

    SESSION_UNKNOWN = 4000
    SERVER_FULL = 4001
    TOO_MANY_ERRORS = 4002
    REPLACED = 4003
    NOT_READING = 4004


class ProtocolError(Exception):
    """A bad client message: answered with an `error` message, the session continues."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Message:
    """One parsed client message."""

    type: str
    data: Any


MAX_STEP_EPOCHS = 1000
MAX_STEP_BATCHES = 100_000
MAX_ABS_VALUE = 1e6  # weights and biases a client may set
MAX_ABS_COORD = 1e6  # user point coordinates

# type -> whether `data` must be an object (False: ignored / may be null)
MESSAGE_TYPES: dict[str, bool] = {
    "configure": True,
    "play": False,
    "pause": False,
    "step": False,
    "reset": False,
    "regenerate": False,
    "set_weight": True,
    "set_bias": True,
    "select_node": False,
    "add_points": True,
    "remove_points": True,
    "clear_points": False,
    "load_csv": True,
    "export": False,
    "restore": True,
    "trace": True,
    "ping": False,
}


def parse(text: str | bytes) -> Message:
    """Decode and check the envelope `{"type": ..., "data": {...}}`."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid_message", "the message is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError("invalid_message", 'a message is an object {"type": ..., "data": ...}')
    kind = obj.get("type")
    if kind not in MESSAGE_TYPES:
        allowed = ", ".join(MESSAGE_TYPES)
        raise ProtocolError("invalid_message", f"type must be one of: {allowed}", "type")
    data = obj.get("data")
    if MESSAGE_TYPES[kind] and not isinstance(data, dict):
        raise ProtocolError("invalid_message", f"{kind} needs a data object", "data")
    return Message(kind, data)


def get_int(data: Any, name: str, lo: int, hi: int, default: int | None = None) -> int:
    """`data[name]` as an int in [lo, hi]; the error names the field and the range."""
    value = data.get(name, default) if isinstance(data, dict) else default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ProtocolError(
            "invalid_field", f"{name} must be an integer from {lo} to {hi}, got {value!r}", name
        )
    return value


def get_float(data: Any, name: str, bound: float) -> float:
    """`data[name]` as a finite float with |value| <= bound."""
    value = data.get(name) if isinstance(data, dict) else None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > bound
    ):
        raise ProtocolError(
            "invalid_field",
            f"{name} must be a finite number from {-bound:g} to {bound:g}, got {value!r}",
            name,
        )
    return float(value)


def get_bool(data: Any, name: str, default: bool) -> bool:
    """`data[name]` as a bool (absent: default)."""
    value = data.get(name, default) if isinstance(data, dict) else default
    if not isinstance(value, bool):
        raise ProtocolError("invalid_field", f"{name} must be true or false, got {value!r}", name)
    return value


def get_points(data: Any, limit: int) -> list[list[float]]:
    """`data["points"]` as a list of [x1, x2, label] with finite numbers, at most `limit`."""
    points = data.get("points") if isinstance(data, dict) else None
    if not isinstance(points, list) or len(points) > limit:
        raise ProtocolError(
            "invalid_field", f"points must be a list of at most {limit} [x1, x2, label]", "points"
        )
    for i, p in enumerate(points):
        if (
            not isinstance(p, list)
            or len(p) != 3
            or not all(
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and abs(v) <= MAX_ABS_COORD
                for v in p
            )
        ):
            raise ProtocolError(
                "invalid_field",
                f"points[{i}] must be [x1, x2, label] of finite numbers, got {p!r}",
                "points",
            )
    return [[float(v) for v in p] for p in points]


def get_str(data: Any, name: str, max_len: int) -> str:
    """`data[name]` as a string of at most max_len characters."""
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or len(value) > max_len:
        raise ProtocolError(
            "invalid_field", f"{name} must be a string of at most {max_len} characters", name
        )
    return value


def text(kind: str, **data: Any) -> dict[str, Any]:
    """A server -> client text message."""
    return {"type": kind, "data": data}


def error(exc: ProtocolError, request: str | None) -> dict[str, Any]:
    """The `error` message for a rejected client message."""
    return text("error", code=exc.code, message=exc.message, field=exc.field, request=request)
