"""Who is in one room: members by id, who was removed, and the rules for getting in.

Plain bookkeeping (no broker, no sockets); `Room` adds the fan-out and the timers.
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

    def full(self) -> bool:
        return len(self.students()) >= self.max_students

    def longest_away(self) -> Member | None:
        """The student whose connection closed first and who has not come back."""
        away = [m for m in self.students() if m.away_since is not None]
        return min(away, key=lambda m: m.away_since or 0.0, default=None)

    def by_ref(self, ref: object) -> Member | None:
        """The student the roster shows under `ref`."""
        return next((m for m in self.students() if m.ref == ref), None)

    def admit(self, mailbox: Mailbox, name: object, locked: bool, spare: bool = False) -> Member:
        """Add a student, or ProtocolError (locked, full, removed name, name taken, bad name).

        `spare`: a full room has a place to give (the caller then frees one).
        """
        if locked:
            raise ProtocolError(
                "room_locked", "the instructor has locked this room", close=CloseCode.ROOM_LOCKED
            )
        if self.full() and not spare:
            raise ProtocolError(
                "room_full",
                f"this room is full ({self.max_students} students at most)",
                close=CloseCode.ROOM_FULL,
            )
        named = not (name is None or (isinstance(name, str) and not name.strip()))
        name = validate_name(name if named else self._free_name())
        if named and name.casefold() in self.kicked:
            raise ProtocolError("kicked", KICKED, "name", close=CloseCode.KICKED)
        if any(m.name.casefold() == name.casefold() for m in self.students()):
            raise ProtocolError(
                "name_taken", f"the name {name!r} is taken in this room; pick another", "name"
            )
        return self._add(Member(name, mailbox, named=named))

    def admit_instructor(self, mailbox: Mailbox) -> Member:
        return self._add(Member("Instructor", mailbox, instructor=True))

    def _add(self, member: Member) -> Member:
        self.members[member.id] = member
        return member

    def _free_name(self) -> str:
        taken = {m.name.casefold() for m in self.students()}
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
            "students": len(self.students()),
            "max_students": self.max_students,
            "instructor_online": bool(self.instructors()),
        }

    def message(self) -> str:
        """The `roster` for instructors: each student's `member` ref, name, mode and presence.

        The ref names a place for `kick`; the id that takes a place back stays secret.
        """
        return text(
            "roster",
            students=[
                {"member": m.ref, "name": m.name, "mode": m.mode, "away": m.away_since is not None}
                for m in self.students()
            ],
        )
