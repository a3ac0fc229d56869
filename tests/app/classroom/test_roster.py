"""The roster's admission rules, on their own."""

from __future__ import annotations

import json

import pytest

from app.classroom.roster import Roster
from app.mailbox import Mailbox
from app.protocol import ProtocolError


def test_students_without_a_name_get_free_numbered_ones():
    roster = Roster(10)
    roster.admit(Mailbox(), "Student 2", locked=False)
    names = [roster.admit(Mailbox(), None, locked=False).name for _ in range(2)]
    assert names == ["Student 3", "Student 4"]  # never a name already taken


def test_barring_a_place_refuses_its_id_and_its_chosen_name_in_any_case():
    roster = Roster(10, kicked=("al",))
    bo = roster.admit(Mailbox(), "Bo", locked=False)
    assert roster.by_ref(bo.ref) is bo
    assert roster.bar(bo.id, "BO") is bo
    for name in ("bo", "AL"):
        with pytest.raises(ProtocolError) as info:
            roster.admit(Mailbox(), name, locked=False)
        assert info.value.code == "kicked"
    with pytest.raises(ProtocolError) as info:
        roster.returning(bo.id)
    assert info.value.code == "kicked" and info.value.field == "member"


def test_only_students_can_come_back_by_id_and_the_roster_hides_ids():
    roster = Roster(10)
    teacher = roster.admit_instructor(Mailbox())
    ada = roster.admit(Mailbox(), "Ada", locked=False)
    assert roster.returning(ada.id) is ada
    assert roster.returning(teacher.id) is None
    assert roster.returning(123) is None
    message = json.loads(roster.message())
    assert message["data"]["students"] == [
        {"member": ada.ref, "name": "Ada", "mode": "follow", "away": False}
    ]
    assert ada.id not in roster.message()
    assert roster.status() == {"students": 1, "max_students": 10, "instructor_online": True}
