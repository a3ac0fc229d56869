"""Close codes of the room websocket; `static/js/classroom/room-socket.js` mirrors them."""

from __future__ import annotations

from enum import IntEnum


class RoomClose(IntEnum):
    """Why the server closed a room connection (4100-4199; 4000s belong to app.protocol)."""

    ROOM_UNKNOWN = 4100  # no such join code
    ROOM_ENDED = 4101
    ROOM_LOCKED = 4102  # the instructor locked joining
    ROOM_FULL = 4103
    KICKED = 4104
    UNAUTHORIZED = 4105  # wrong instructor secret
    RATE_LIMITED = 4106  # too many wrong join codes from this client
    BAD_JOIN = 4107  # the first message was not a valid join
    SERVER_STOPPING = 4108
    REPLACED = 4109  # the student rejoined on another connection (same place, same fork)
