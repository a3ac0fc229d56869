"""The websocket protocol's envelope, close codes and per-message validation.

One protocol for `/ws` and `/ws/room/{code}` (docs/protocol.md, docs/classroom.md): a room
socket speaks every message here plus the room's own (`app.classroom.parts.ROOM_TYPES`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class CloseCode(IntEnum):
    """Every application close code of both sockets.

    4000-4099 can close any socket (`static/js/socket.js` mirrors them); 4100-4199 close
    only room sockets (`static/js/classroom/room-socket.js` mirrors them).
    """

    SESSION_UNKNOWN = 4000
    SERVER_FULL = 4001
    TOO_MANY_ERRORS = 4002
    REPLACED = 4003
    NOT_READING = 4004

    ROOM_UNKNOWN = 4100  # no open room has this join code
    ROOM_ENDED = 4101
    ROOM_LOCKED = 4102  # the instructor locked joining
    ROOM_FULL = 4103
    KICKED = 4104
    UNAUTHORIZED = 4105  # wrong instructor secret
    RATE_LIMITED = 4106  # too many wrong join codes, or new seats, from this address
    BAD_JOIN = 4107  # the first message was not a valid join
    SERVER_STOPPING = 4108
    MEMBER_REPLACED = 4109  # the student rejoined on another connection (same place, fork)


class ProtocolError(Exception):
    """A refused client message: answered with an `error` message.

    The session goes on, unless `close` names a close code: then the socket is closed
    with it after the error has gone out (a refused join, a kick).
    """

    def __init__(
        self, code: str, message: str, field: str | None = None, close: CloseCode | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.close = close


@dataclass(frozen=True)
class Message:
    """One parsed client message."""

    type: str
    data: Any


MAX_STEP_EPOCHS = 1000
MAX_STEP_BATCHES = 100_000
MAX_ABS_VALUE = 1e6  # weights and biases a client may set
MAX_ABS_COORD = 1e6  # user point coordinates

MAX_PING_TEXT = 64  # characters of a string `t` that `pong` echoes

# type -> whether `data` must be an object (False: it may also be omitted or null)
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
    "lesson": True,
    "compare": True,
    "view": True,
}


def parse(text: str | bytes, types: Mapping[str, bool] = MESSAGE_TYPES) -> Message:
    """Decode and check the envelope `{"type": ..., "data": {...}}` against `types`.

    `data` is an object, or (where `types` allows) omitted or null; never anything else.
    """
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ProtocolError("invalid_message", "the message is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError("invalid_message", 'a message is an object {"type": ..., "data": ...}')
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in types:
        allowed = ", ".join(types)
        raise ProtocolError("invalid_message", f"type must be one of: {allowed}", "type")
    data = obj.get("data")
    if types[kind] and not isinstance(data, dict):
        raise ProtocolError("invalid_message", f"{kind} needs a data object", "data")
    if data is not None and not isinstance(data, dict):
        raise ProtocolError(
            "invalid_message",
            f"{kind} data must be an object or null, got {type(data).__name__}",
            "data",
        )
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
    if not _finite(value, bound):
        raise ProtocolError(
            "invalid_field",
            f"{name} must be a finite number from {-bound:g} to {bound:g}, got {_short(value)}",
            name,
        )
    return float(value)


def get_point(data: Any, name: str) -> tuple[float, float]:
    """`data[name]` as [x1, x2]: two finite numbers within the coordinate bound."""
    value = data.get(name) if isinstance(data, dict) else None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(_finite(v, MAX_ABS_COORD) for v in value)
    ):
        raise ProtocolError(
            "invalid_field",
            f"{name} must be [x1, x2] of two finite numbers from {-MAX_ABS_COORD:g} to "
            f"{MAX_ABS_COORD:g}, got {_short(value)}",
            name,
        )
    return float(value[0]), float(value[1])


def get_echo(data: Any, name: str) -> float | str | None:
    """`data[name]` for a reply to echo: a finite number, a short string, or null."""
    value = data.get(name) if isinstance(data, dict) else None
    if value is None or _finite(value, math.inf):
        return value
    if isinstance(value, str) and len(value) <= MAX_PING_TEXT:
        return value
    raise ProtocolError(
        "invalid_field",
        f"{name} must be a finite number, a string of at most {MAX_PING_TEXT} characters "
        f"or null, got {_short(value)}",
        name,
    )


def _finite(value: Any, bound: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= bound
    )


def _short(value: Any) -> str:
    """A value for an error message, cut short (it may be as large as a whole message)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        if not isinstance(p, list) or len(p) != 3 or not all(_finite(v, MAX_ABS_COORD) for v in p):
            raise ProtocolError(
                "invalid_field",
                f"points[{i}] must be [x1, x2, label] of finite numbers, got {_short(p)}",
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


def encode(message: dict[str, Any]) -> str:
    """A server -> client text message as it goes on the wire (no NaN: JSON has none)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def error(exc: ProtocolError, request: str | None) -> dict[str, Any]:
    """The `error` message for a rejected client message."""
    return text("error", code=exc.code, message=exc.message, field=exc.field, request=request)
