"""The Redis key names of rooms (one place: the broker and the store both read them).

Every key of a room starts with `playground:room:<code>:`; see docs/classroom.md.
"""

from __future__ import annotations

SHARED = "playground:"  # what rooms save for every host (app.classroom.redis_records)
PREFIX = SHARED + "room:"
RETAIN_SECONDS = 30 * 86400  # a room's keys go 30 days after their last write


def key(code: str, part: str) -> str:
    """`record`, `live`, `retained`, `parts`, `owner`, `seats`, `scenarios`, `challenges`, or a
    channel: `messages`, `events`."""
    return f"{PREFIX}{code}:{part}"
