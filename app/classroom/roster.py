"""Who is in one room: members by id, the names barred, and the rules for getting in.

Plain bookkeeping (no broker, no sockets); `Room` adds the fan-out and the timers.
"""

from __future__ import annotations

from typing import Any

from app.classroom.closecodes import RoomClose
from app.classroom.codes import validate_name
from app.classroom.mailbox import Mailbox
from app.classroom.parts import Member, RoomError, text


class Roster:
    """The members of one room in this process."""

    def __init__(self, max_students: int, kicked: tuple[str, ...] = ()) -> None:
        self.max_students = max_students
        self.members: dict[str, Member] = {}
        self.kicked: set[str] = set(kicked)  # casefolded names refused from now on

    def students(self) -> list[Member]:
        return [m for m in self.members.values() if not m.instructor]

    def instructors(self) -> list[Member]:
        return [m for m in self.members.values() if m.instructor]

    def returning(self, member_id: object) -> Member | None:
        """The student an earlier `you` id names, if still here (connected or away)."""
        member = self.members.get(member_id) if isinstance(member_id, str) else None
        return member if member is not None and not member.instructor else None

    def admit(self, mailbox: Mailbox, name: object, locked: bool) -> Member:
        """Add a student, or RoomError (locked, full, barred name, name taken, bad name)."""
        if locked:
            raise RoomError(
                "room_locked", "the instructor has locked this room", RoomClose.ROOM_LOCKED
            )
        students = self.students()
        if len(students) >= self.max_students:
            raise RoomError(
                "room_full",
                f"this room is full ({self.max_students} students at most)",
                RoomClose.ROOM_FULL,
            )
        if name is None or (isinstance(name, str) and not name.strip()):
            name = self._free_name()
        name = validate_name(name)
        if name.casefold() in self.kicked:
            raise RoomError(
                "kicked", "the instructor removed this name from the room", RoomClose.KICKED
            )
        if any(m.name.casefold() == name.casefold() for m in students):
            raise RoomError("name_taken", f"the name {name!r} is taken in this room; pick another")
        return self._add(Member(name, mailbox))

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

    def bar(self, name: str) -> list[Member]:
        """Refuse `name` from now on; the students currently using it."""
        folded = name.casefold()
        self.kicked.add(folded)
        return [m for m in self.students() if m.name.casefold() == folded]

    def status(self) -> dict[str, Any]:
        """What everyone may know: counts, not names."""
        return {
            "students": len(self.students()),
            "max_students": self.max_students,
            "instructor_online": bool(self.instructors()),
        }

    def message(self) -> str:
        """The `roster` message for instructors: every student's name, mode and presence."""
        return text(
            "roster",
            students=[
                {"name": m.name, "mode": m.mode, "away": m.away_since is not None}
                for m in self.students()
            ],
        )
