"""Who is in one room: members by id, who was removed, and the rules for getting in.

Plain bookkeeping (no broker, no sockets); `Room` adds the fan-out and the timers. When
the room spans processes, `others` holds the other processes' parts (`part()` of theirs):
counts, names, the roster and `max_students` cover them too. Two processes admitting at
the same instant would both take the last seat or the same name (they check a copy that
is a message behind): the room then takes the seat with the broker's atomic `take_seat`.
"""

from __future__ import annotations

from typing import Any

from app.classroom.codes import validate_name
from app.classroom.parts import Member, text
from app.mailbox import Mailbox
from app.protocol import CloseCode, ProtocolError

KICKED = "the instructor removed you from this room"


class Roster:
    """The members of one room in this process."""

    def __init__(self, max_students: int, kicked: tuple[str, ...] = ()) -> None:
        self.max_students = max_students
        self.members: dict[str, Member] = {}
        self.kicked: set[str] = set(kicked)  # casefolded names students chose, refused now
        self.kicked_ids: set[str] = set()  # places removed: their `member` id cannot rejoin
        self.others: dict[str, dict[str, Any]] = {}  # process -> its part (see `part`)

    def students(self) -> list[Member]:
        return [m for m in self.members.values() if not m.instructor]

    def instructors(self) -> list[Member]:
        return [m for m in self.members.values() if m.instructor]

    def returning(self, member_id: object) -> Member | None:
        """The student an earlier `you` id names, if still here (connected or away)."""
        if member_id in self.kicked_ids:
            raise ProtocolError("kicked", KICKED, "member", close=CloseCode.KICKED)
        member = self.members.get(member_id) if isinstance(member_id, str) else None
        return member if member is not None and not member.instructor else None

    def remote_students(self) -> list[dict[str, Any]]:
        return [s for part in self.others.values() for s in part["students"]]

    def full(self) -> bool:
        return len(self.students()) + len(self.remote_students()) >= self.max_students

    def elsewhere(self, member_id: object) -> dict[str, Any] | None:
        """The place another process holds under this (secret) id, if any."""
        if not isinstance(member_id, str):
            return None
        return next((s for s in self.remote_students() if s["id"] == member_id), None)

    def watched(self) -> bool:
        """Whether another process has a connected member of the room."""
        return any(
            p["instructors"] or any(not s["away"] for s in p["students"])
            for p in self.others.values()
        )

    def longest_away(self) -> Member | None:
        """The student whose connection closed first and who has not come back."""
        away = [m for m in self.students() if m.away_since is not None]
        return min(away, key=lambda m: m.away_since or 0.0, default=None)

    def by_ref(self, ref: object) -> Member | None:
        """The student the roster shows under `ref`."""
        return next((m for m in self.students() if m.ref == ref), None)

    def place(self, ref: object) -> dict[str, Any] | None:
        """The place the roster shows under `ref`, here or in another process."""
        member = self.by_ref(ref)
        if member is not None:
            return self._entry(member)
        return next((s for s in self.remote_students() if s["member"] == ref), None)

    def admit(
        self,
        mailbox: Mailbox,
        name: object,
        locked: bool,
        spare: bool = False,
        moved: dict[str, Any] | None = None,
    ) -> Member:
        """Add a student, or ProtocolError (locked, full, removed name, name taken, bad name).

        `spare`: a full room has a place to give (the caller then frees one). `moved`: the
        place (`part` entry) of a student who reconnected here from another process.
        """
        if moved is not None:
            member = Member(moved["name"], mailbox, named=moved["named"], id=moved["id"])
            member.ref = moved["member"]
            return self._add(member)
        if locked:
            raise ProtocolError(
                "room_locked", "the instructor has locked this room", close=CloseCode.ROOM_LOCKED
            )
        if self.full() and not spare:
            raise self.refusal("full")
        named = not (name is None or (isinstance(name, str) and not name.strip()))
        name = validate_name(name if named else self.free_name())
        if named and name.casefold() in self.kicked:
            raise ProtocolError("kicked", KICKED, "name", close=CloseCode.KICKED)
        if name.casefold() in self._taken():
            raise self.refusal("taken", name)
        return self._add(Member(name, mailbox, named=named))

    def refusal(self, why: str, name: str = "") -> ProtocolError:
        """The error for a join refused because the room is `full` or the name `taken`."""
        if why == "full":
            return ProtocolError(
                "room_full",
                f"this room is full ({self.max_students} students at most)",
                close=CloseCode.ROOM_FULL,
            )
        return ProtocolError(
            "name_taken", f"the name {name!r} is taken in this room; pick another", "name"
        )

    def admit_instructor(self, mailbox: Mailbox) -> Member:
        return self._add(Member("Instructor", mailbox, instructor=True))

    def _add(self, member: Member) -> Member:
        self.members[member.id] = member
        return member

    def _taken(self) -> set[str]:
        names = [m.name for m in self.students()] + [s["name"] for s in self.remote_students()]
        return {name.casefold() for name in names}

    def free_name(self, also_taken: frozenset[str] = frozenset()) -> str:
        """A made-up name ("Student 3") no place has, nor any of `also_taken` (casefolded)."""
        taken = self._taken() | also_taken
        n = len(taken) + 1
        while f"student {n}" in taken:
            n += 1
        return f"Student {n}"

    def remove(self, member: Member) -> bool:
        """Take a member out; False if they were not in."""
        return self.members.pop(member.id, None) is not None

    def bar(self, member_id: str, name: str | None) -> Member | None:
        """Refuse this place from now on (and the name, if the student chose it); its member."""
        self.kicked_ids.add(member_id)
        if name is not None:
            self.kicked.add(name.casefold())
        return self.members.get(member_id)

    def status(self) -> dict[str, Any]:
        """What everyone may know: counts, not names."""
        return {
            "students": len(self.students()) + len(self.remote_students()),
            "max_students": self.max_students,
            "instructor_online": bool(self.instructors())
            or any(p["instructors"] for p in self.others.values()),
        }

    def part(self) -> dict[str, Any]:
        """This process's part of the roster, for the other processes (ids included: the
        part travels between servers only)."""
        return {
            "students": [self._entry(m) for m in self.students()],
            "instructors": sum(m.away_since is None for m in self.instructors()),
        }

    @staticmethod
    def _entry(m: Member) -> dict[str, Any]:
        return {
            "id": m.id,
            "member": m.ref,
            "name": m.name,
            "named": m.named,
            "mode": m.mode,
            "away": m.away_since is not None,
        }

    def message(self) -> str:
        """The `roster` for instructors: each student's `member` ref, name, mode and presence.

        The ref names a place for `kick`; the id that takes a place back stays secret.
        """
        public = ("member", "name", "mode", "away")
        entries = [self._entry(m) for m in self.students()] + self.remote_students()
        return text("roster", students=[{k: s[k] for k in public} for s in entries])
