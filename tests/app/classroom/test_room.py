"""The room model without sockets: follow, fork, re-follow, push, lock, kick, end."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

import pytest

from app.budget import CpuAccount
from app.classroom.broker import LocalBroker
from app.classroom.codes import InputError, hash_secret
from app.classroom.parts import RoomLimits
from app.classroom.room import Room
from app.classroom.store import Store
from app.mailbox import Mailbox
from app.protocol import CloseCode, Message, ProtocolError
from tests.app.classroom.server import run


class DictRunner:
    """A stand-in training session: its state is a dict that `configure` updates."""

    def __init__(self, out, state=None, config=None):
        if "bad" in (config or {}) or "bad" in (state or {}):
            raise ProtocolError("invalid_field", "bad must not be set")
        self.out = out
        self.state = dict(state or {"lr": 0.03, **(config or {})})
        self.closed = False
        self.handled: list[str] = []  # message types, in order
        self.cpu = CpuAccount(time.monotonic)  # what requests on its behalf are charged to

    async def emit(self):
        self.out(json.dumps({"type": "config", "data": self.state}), "config")
        self.out(json.dumps(self.state).encode(), "frame")

    def announce(self):
        self.out(json.dumps({"type": "config", "data": self.state}), "config")
        self.out(json.dumps(self.state).encode(), "frame")

    async def handle(self, message, reply):
        self.handled.append(message.type)
        if message.type == "configure":
            self.state.update(message.data)
            await self.emit()
        elif message.type == "ping":
            reply({"type": "pong", "data": {}})

    def export_state(self):
        return dict(self.state)

    def turn_at(self):
        return self.cpu.ready_at()  # as if another session always wanted the CPU

    async def close(self):
        self.closed = True


async def make_runner(out, state=None, config=None):
    runner = DictRunner(out, state, config)
    await runner.emit()
    return runner


async def take(box: Mailbox) -> list[Any]:
    """Everything queued, as sent."""
    return [await box.next() for _ in range(len(box))]


async def received(box: Mailbox) -> list[Any]:
    """Everything queued, decoded: text as (type, data), frames as the state dict."""
    return [json.loads(i) if isinstance(i, bytes) else _text(i) for i in await take(box)]


def _text(item: str):
    msg = json.loads(item)
    return (msg["type"], msg["data"])


async def handle(room, member, message, reply=lambda m: None):
    """What a seat does with one parsed message."""
    await room.handle(member, Message(message["type"], message.get("data")), reply)


def frames(items):
    return [i for i in items if isinstance(i, dict)]


def types(items):
    return [i[0] for i in items if isinstance(i, tuple)]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path)
    s.create_room("AC3D4E", hash_secret("s3cret"))
    yield s
    s.close()


async def new_room(store, broker=None, grace_seconds=60.0, **limits) -> Room:
    """The stored room, loaded; `limits`: RoomLimits fields other than their defaults."""
    room = Room(
        store.get_room("AC3D4E"),
        broker=broker or LocalBroker(),
        store=store,
        make_runner=make_runner,
        limits=replace(RoomLimits.defaults(), **limits),
        grace_seconds=grace_seconds,
    )
    await room.start()
    return room


def test_followers_see_the_instructors_changes_as_the_same_frame_bytes(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        boxes = [Mailbox() for _ in range(3)]
        for i, box in enumerate(boxes):
            await room.join(box, f"s{i}")
            box.clear()
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.5}})
        return [await take(b) for b in boxes]

    got = run(main())
    frames_sent = [p[-1] for p in got]
    assert all(f is frames_sent[0] for f in frames_sent)  # one encoding, shared
    for items in got:
        assert json.loads(items[-1])["lr"] == 0.5
        assert _text(items[-2]) == ("config", {"lr": 0.5})


def test_a_late_joiner_first_gets_the_current_run(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.1}})
        box = Mailbox()
        await room.join(box, "late")
        return await received(box)

    items = run(main())
    assert types(items)[0] == "you"
    assert frames(items) == [{"lr": 0.1}]


CONTROL = [
    {"type": "lock"},
    {"type": "unlock"},
    {"type": "end"},
    {"type": "kick", "data": {"member": "s1"}},
    {"type": "push", "data": {"title": "x", "config": {"lr": 1}}},
    {"type": "roster"},
    {"type": "configure", "data": {"lr": 9}},
    {"type": "play"},
    {"type": "set_weight", "data": {"layer": 0, "source": 0, "target": 0, "value": 1}},
    {"type": "reset"},
]


@pytest.mark.parametrize("message", CONTROL, ids=lambda m: m["type"])
def test_a_following_student_cannot_drive_the_room(store, message):
    async def main():
        room = await new_room(store)
        student = await room.join(Mailbox(), "s0")
        await room.join(Mailbox(), "s1")
        with pytest.raises(ProtocolError) as info:
            await handle(room, student, message)
        return room, info.value

    room, error = run(main())
    assert error.code == "forbidden"
    assert room.live.state == {"lr": 0.03}
    assert not room.locked and not room.ended
    assert len(room.students()) == 2


def test_a_fork_starts_from_the_live_state_and_stays_private(store):
    async def main():
        room = await new_room(store)
        teacher_box = Mailbox()
        teacher = await room.join_instructor(teacher_box)
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.2}})
        forker_box, other_box = Mailbox(), Mailbox()
        forker = await room.join(forker_box, "forker")
        await room.join(other_box, "other")
        await handle(room, forker, {"type": "fork"})
        for box in (forker_box, other_box, teacher_box):
            box.clear()
        await handle(room, forker, {"type": "configure", "data": {"lr": 7.0}})
        mine = await received(forker_box)
        others = await received(other_box) + await received(teacher_box)
        live_state = dict(room.live.state)
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.3}})
        after = await received(forker_box)
        return live_state, forker, mine, others, after

    live_state, forker, mine, others, after = run(main())
    assert forker.mode == "fork"
    assert frames(mine) == [{"lr": 7.0}]
    assert live_state == {"lr": 0.2}  # the room's run never saw the fork's change
    assert all(i[0] == "roster" for i in others if isinstance(i, tuple))
    assert frames(others) == []
    assert frames(after) == []  # a forked student no longer gets live frames


def test_refollow_returns_to_the_live_run_and_closes_the_fork(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        box = Mailbox()
        student = await room.join(box, "s")
        await handle(room, student, {"type": "fork"})
        fork = student.fork
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.4}})
        await handle(room, student, {"type": "refollow"})
        box_items = await received(box)
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.5}})
        return student, fork, box_items, await received(box)

    student, fork, replay, live = run(main())
    assert fork.closed and student.mode == "follow"
    assert frames(replay) == [{"lr": 0.4}]
    assert frames(live) == [{"lr": 0.5}]


def test_push_starts_the_scenario_in_every_students_own_session_and_is_stored(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        boxes = [Mailbox() for _ in range(3)]
        students = [await room.join(b, f"s{i}") for i, b in enumerate(boxes)]
        await handle(room, students[0], {"type": "fork"})
        push = {"title": "xor", "config": {"dataset": "xor"}}
        await handle(room, teacher, {"type": "push", "data": push})
        return room, students, [await received(b) for b in boxes]

    room, students, got = run(main())
    for student, items in zip(students, got, strict=True):
        assert student.mode == "fork"
        assert student.fork.state == {"lr": 0.03, "dataset": "xor"}
        assert "pushed" in types(items)
    assert room.live.state == {"lr": 0.03}
    assert store.scenarios("AC3D4E")[0]["config"] == {"dataset": "xor"}


def test_a_bad_push_is_refused_before_anyone_is_switched(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        student = await room.join(Mailbox(), "s")
        with pytest.raises(ProtocolError):
            await handle(room, teacher, {"type": "push", "data": {"config": {"bad": 1}}})
        with pytest.raises(ProtocolError) as info:
            await handle(room, teacher, {"type": "push", "data": {"title": "no config"}})
        return student, info.value

    student, error = run(main())
    assert student.mode == "follow" and error.code == "invalid_field"
    assert store.scenarios("AC3D4E") == []


def test_lock_refuses_new_students_until_unlocked(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        await handle(room, teacher, {"type": "lock"})
        with pytest.raises(ProtocolError) as info:
            await room.join(Mailbox(), "late")
        locked_in_store = store.get_room("AC3D4E").locked
        await handle(room, teacher, {"type": "unlock"})
        await room.join(Mailbox(), "late")
        return info.value, locked_in_store

    error, locked_in_store = run(main())
    assert error.code == "room_locked" and error.close == CloseCode.ROOM_LOCKED
    assert locked_in_store


def test_kick_closes_that_students_connection_and_bars_the_chosen_name(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        bo_box = Mailbox()
        bo = await room.join(bo_box, "Bo")
        await room.join(Mailbox(), "Al")
        await handle(room, teacher, {"type": "kick", "data": {"member": bo.ref}})
        with pytest.raises(ProtocolError) as by_name:
            await room.join(Mailbox(), "BO")
        with pytest.raises(ProtocolError) as by_place:
            await room.join(Mailbox(), "someone", rejoin=bo.id)
        return room, bo_box, by_name.value, by_place.value

    room, bo_box, by_name, by_place = run(main())
    assert bo_box.closed and bo_box.close_request[0] == CloseCode.KICKED
    assert [m.name for m in room.students()] == ["Al"]
    assert by_name.code == by_place.code == "kicked"
    assert by_place.close == CloseCode.KICKED
    assert store.get_room("AC3D4E").kicked == ("bo",)  # still barred after a restart


def test_kicking_a_nameless_student_does_not_bar_the_next_nameless_joiner(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        first = await room.join(Mailbox(), None)
        await handle(room, teacher, {"type": "kick", "data": {"member": first.ref}})
        second = await room.join(Mailbox(), None)
        return first, second

    first, second = run(main())
    assert first.name == second.name == "Student 1"
    assert store.get_room("AC3D4E").kicked == ()


def test_kick_names_a_member_of_the_roster(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        await room.join(Mailbox(), "Al")
        with pytest.raises(ProtocolError) as info:
            await handle(room, teacher, {"type": "kick", "data": {"member": "Al"}})
        return room, info.value

    room, error = run(main())
    assert error.field == "member" and len(room.students()) == 1


def test_a_full_room_gives_the_place_of_a_student_who_left_to_a_newcomer(store):
    async def main():
        room = await new_room(store, seats=2)
        box = Mailbox()
        gone = await room.join(box, "gone")
        await room.join(Mailbox(), "here")
        await room.disconnected(gone, box)  # within the grace period: still holds a place
        new = await room.join(Mailbox(), "new")
        return room, gone, new

    room, gone, new = run(main())
    assert sorted(m.name for m in room.students()) == ["here", "new"]
    assert gone.id not in room.members


def test_a_refused_newcomer_frees_no_place(store):
    async def main():
        room = await new_room(store, seats=1)
        box = Mailbox()
        gone = await room.join(box, "gone")
        await room.disconnected(gone, box)
        with pytest.raises(ProtocolError) as info:
            await room.join(Mailbox(), "x" * 40)
        return room, gone, info.value

    room, gone, error = run(main())
    assert error.field == "name" and gone.id in room.members


def test_new_places_are_limited_per_address_but_rejoining_is_not(store):
    async def main():
        room = await new_room(store, joins_per_minute=2)
        box = Mailbox()
        a = await room.join(box, "a", client="10.0.0.1")
        await room.join(Mailbox(), "b", client="10.0.0.1")
        with pytest.raises(InputError) as info:
            await room.join(Mailbox(), "c", client="10.0.0.1")
        await room.join(Mailbox(), "d", client="10.0.0.2")  # another address
        await room.disconnected(a, box)
        again = await room.join(Mailbox(), None, rejoin=a.id, client="10.0.0.1")
        return info.value, again is a

    error, rejoined = run(main())
    assert error.code == "rate_limited" and "new places in this room" in str(error)
    assert rejoined


def test_end_closes_everyone_and_is_stored(store):
    async def main():
        room = await new_room(store)
        teacher_box = Mailbox()
        teacher = await room.join_instructor(teacher_box)
        boxes = [Mailbox() for _ in range(2)]
        for i, b in enumerate(boxes):
            await room.join(b, f"s{i}")
        await handle(room, teacher, {"type": "end"})
        with pytest.raises(ProtocolError) as info:
            await room.join(Mailbox(), "late")
        return [teacher_box, *boxes], info.value

    boxes, error = run(main())
    assert all(b.closed and b.close_request[0] == CloseCode.ROOM_ENDED for b in boxes)
    assert store.get_room("AC3D4E").ended
    assert error.code == "room_ended"


def test_the_room_refuses_students_past_its_limit_and_duplicate_names(store):
    async def main():
        room = await new_room(store, seats=2)
        await room.join(Mailbox(), "a")
        with pytest.raises(ProtocolError) as dup:
            await room.join(Mailbox(), "A")
        await room.join(Mailbox(), "b")
        with pytest.raises(ProtocolError) as full:
            await room.join(Mailbox(), "c")
        return dup.value, full.value

    dup, full = run(main())
    assert dup.code == "name_taken"
    assert full.code == "room_full" and "2 students" in str(full)


def test_only_instructors_see_the_roster_of_names(store):
    async def main():
        room = await new_room(store)
        teacher_box = Mailbox()
        await room.join_instructor(teacher_box)
        student_box = Mailbox()
        await room.join(student_box, "Ada")
        await room.join(Mailbox(), "Bo")
        return await received(teacher_box), await received(student_box)

    teacher_items, student_items = run(main())
    rosters = [d for t, d in (i for i in teacher_items if isinstance(i, tuple)) if t == "roster"]
    assert [s["name"] for s in rosters[-1]["students"]] == ["Ada", "Bo"]
    assert "roster" not in types(student_items)
    rooms = [d for t, d in (i for i in student_items if isinstance(i, tuple)) if t == "room"]
    assert rooms[-1]["students"] == 2 and "names" not in rooms[-1]


def test_structural_changes_are_snapshotted_and_a_new_room_resumes_from_them(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.9}})
        saved = store.live_state("AC3D4E")
        await room.close()
        again = await new_room(store)
        return saved, again.live.state

    saved, resumed = run(main())
    assert saved == {"lr": 0.9}
    assert resumed == {"lr": 0.9}


def test_a_student_who_reconnects_in_time_gets_name_mode_and_fork_back(store):
    async def main():
        room = await new_room(store)
        old_box = Mailbox()
        student = await room.join(old_box, "Ada")
        await handle(room, student, {"type": "fork"})
        await handle(room, student, {"type": "configure", "data": {"lr": 7.0}})
        fork = student.fork
        await room.disconnected(student, old_box)
        away = student.away_since is not None
        with pytest.raises(ProtocolError) as taken:
            await room.join(Mailbox(), "ada")  # the place is kept for its owner
        new_box = Mailbox()
        again = await room.join(new_box, "whatever", rejoin=student.id)
        return room, student, again, fork, away, taken.value, await received(new_box)

    room, student, again, fork, away, taken, items = run(main())
    assert away and taken.code == "name_taken"
    assert again is student and student.fork is fork and not fork.closed
    assert student.away_since is None and student.name == "Ada"
    assert types(items)[0] == "you" and frames(items) == [{"lr": 7.0}]
    assert len(room.students()) == 1


def test_a_student_away_past_the_grace_period_is_removed_and_their_fork_closed(store):
    async def main():
        room = await new_room(store, grace_seconds=0.05)
        box = Mailbox()
        student = await room.join(box, "Ada")
        await handle(room, student, {"type": "fork"})
        fork = student.fork
        await room.disconnected(student, box)
        async with asyncio.timeout(5):
            while student.id in room.members:
                await asyncio.sleep(0.01)
        late = await room.join(Mailbox(), "Ada", rejoin=student.id)  # a fresh place now
        return fork, late, student

    fork, late, student = run(main())
    assert fork.closed
    assert late is not student and late.mode == "follow"


def test_an_instructor_connection_leaves_at_once(store):
    async def main():
        room = await new_room(store)
        box = Mailbox()
        teacher = await room.join_instructor(box)
        await room.disconnected(teacher, box)
        return room

    assert run(main()).instructors() == []


def test_a_save_that_cannot_be_restored_starts_the_room_anew(store, caplog):
    store.save_live_state("AC3D4E", {"bad": True})

    async def main():
        room = await new_room(store)
        return room.live.state

    assert run(main()) == {"lr": 0.03}
    assert "could not be restored" in caplog.text


def test_closing_a_room_releases_what_this_process_held_for_it(store):
    async def main():
        broker = LocalBroker()
        room = await new_room(store, broker)
        await room.join(Mailbox(), "Ada")
        await room.close()
        late = Mailbox()
        await broker.subscribe("AC3D4E", late)  # nothing retained any more
        return room, len(late)

    room, retained = run(main())
    assert retained == 0 and room.live is None and room.members == {}


def test_pushing_the_current_run_gives_every_student_its_exact_state(store):
    async def main():
        room = await new_room(store)
        teacher = await room.join_instructor(Mailbox())
        await handle(room, teacher, {"type": "configure", "data": {"lr": 0.7, "custom": [1, 2]}})
        students = [await room.join(Mailbox(), f"s{i}") for i in range(2)]
        await handle(room, teacher, {"type": "push", "data": {"title": "this", "current": True}})
        await handle(room, students[0], {"type": "configure", "data": {"lr": 9}})
        return room, students

    room, students = run(main())
    assert students[0].fork.state == {"lr": 9, "custom": [1, 2]}
    assert students[1].fork.state == {"lr": 0.7, "custom": [1, 2]}
    assert room.live.state == {"lr": 0.7, "custom": [1, 2]}
    assert store.scenarios("AC3D4E")[0]["state"] == {"lr": 0.7, "custom": [1, 2]}


def test_share_links_are_limited_per_member(store):
    async def main():
        room = await new_room(store)
        student = await room.join(Mailbox(), "Ada")
        for _ in range(10):
            await handle(room, student, {"type": "share"})
        with pytest.raises(InputError) as info:
            await handle(room, student, {"type": "share"})
        return info.value

    error = run(main())
    assert error.code == "rate_limited" and "share links" in str(error)
