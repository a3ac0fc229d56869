"""What a room is made of: message kinds, the Runner interface and a Member.

Kept apart from `room.py` so the server adapter (`runner.py`), the seat and the routes can
name these without the room's behaviour.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app import protocol
from app.budget import CpuAccount
from app.mailbox import Mailbox, Payload
from app.protocol import MESSAGE_TYPES, Message
from app.settings import Settings

# Text messages of the live run every follower needs; the latest of each is retained.
FANOUT_TYPES = frozenset({"config", "dataset", "status"})
# Instructor messages after which the live state is snapshotted at once.
STRUCTURAL_TYPES = frozenset(
    {"configure", "reset", "regenerate", "set_weight", "set_bias", "add_points",
     "remove_points", "clear_points", "load_csv", "restore", "step", "lesson"}
)  # fmt: skip
CONTROL_TYPES = frozenset({"lock", "unlock", "end", "kick", "push"})
# The class wall's messages (app.classroom.wall): open/close a wall, move the spotlight.
WALL_TYPES: dict[str, bool] = {"wall": True, "spotlight": True}
INSTRUCTOR_ONLY = CONTROL_TYPES | {"roster"} | set(WALL_TYPES)
# What a following student may ask of the live run (it changes nothing).
READ_ONLY = frozenset({"ping", "export", "trace"})

# The room's own client messages (type -> whether `data` must be an object), and all that
# a room socket accepts: the solo socket's messages plus these.
ROOM_TYPES: dict[str, bool] = {
    "join": False,
    "lock": False,
    "unlock": False,
    "end": False,
    "kick": True,
    "push": True,
    "roster": False,
    "fork": False,
    "refollow": False,
    "share": False,
    **WALL_TYPES,
    "challenge": True,
    "submit": False,
}
CHALLENGE_TYPES = frozenset({"challenge", "submit"})  # app.classroom.challenges
SOCKET_TYPES: dict[str, bool] = {**MESSAGE_TYPES, **ROOM_TYPES}

Reply = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RoomLimits:
    """What one room allows each client: the room settings of `app.settings` (documented
    in docs/classroom.md, "Settings")."""

    seats: int  # max_students
    joins_per_minute: int  # room_joins: new places per client address
    shares_per_minute: int  # room_shares: share links per client address
    wall_openings: int  # per instructor per minute
    submits_per_minute: int  # per student
    submits_per_student: int  # per student and challenge
    submits_per_challenge: int
    challenges: int  # challenges_per_room

    @classmethod
    def of(cls, settings: Settings) -> RoomLimits:
        return cls(
            seats=settings.max_students,
            joins_per_minute=settings.room_joins,
            shares_per_minute=settings.room_shares,
            wall_openings=settings.wall_openings,
            submits_per_minute=settings.submits_per_minute,
            submits_per_student=settings.submits_per_student,
            submits_per_challenge=settings.submits_per_challenge,
            challenges=settings.challenges_per_room,
        )

    @classmethod
    def defaults(cls) -> RoomLimits:
        return cls.of(Settings.model_construct())  # the documented defaults, no environment


# out(payload, kind): kind is the text message's type, "frame", or "discard" (payload None:
# the network was rebuilt, an unsent frame of the old shape must not be shown).
Out = Callable[[Payload | None, str | None], None]


class Runner(Protocol):
    """A training session the room drives (the live run, or one student's fork)."""

    async def handle(self, message: Message, reply: Reply) -> None:
        """Apply one message of docs/protocol.md; answers (pong, state) go to `reply`."""

    def export_state(self) -> dict[str, Any]: ...

    @property
    def cpu(self) -> CpuAccount:
        """The session's CPU account: costly requests made on its behalf are charged to it."""

    def turn_at(self) -> float:
        """When the session may spend CPU again (its debt repaid, if others want the CPU)."""

    def announce(self) -> None:
        """Send the full picture again (config, dataset, status, a frame with inputs)."""

    async def close(self) -> None: ...


# make_runner(out, state=None, config=None): a started runner whose messages go to out.
MakeRunner = Callable[..., Awaitable[Runner]]


def text(kind: str, **data: Any) -> str:
    """A server -> client text message, encoded."""
    return protocol.encode(protocol.text(kind, **data))


@dataclass(eq=False)
class Member:
    """One place in the room (a student keeps it across reconnects within the grace)."""

    name: str
    mailbox: Mailbox
    instructor: bool = False
    named: bool = True  # False: the room made the name up ("Student 3")
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))  # rejoins: a secret
    ref: str = field(default_factory=lambda: secrets.token_urlsafe(6))  # roster, kick: public
    fork: Runner | None = None  # the student's own session, when forked
    away_since: float | None = None  # connection lost; kept (fork too) for the grace period
    address: str = ""  # the client address of the current connection (per-address limits)

    @property
    def mode(self) -> str:
        return "control" if self.instructor else ("fork" if self.fork else "follow")

    def you(self, mode: str | None = None) -> str:
        """This connection's identity and mode (`mode` overrides, for an announced switch)."""
        return text("you", id=self.id, name=self.name, role=self.role, mode=mode or self.mode)

    @property
    def role(self) -> str:
        return "instructor" if self.instructor else "student"
