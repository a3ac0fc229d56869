"""The process's classroom: rooms load on demand, unwatched runs pause, codes are throttled."""

from __future__ import annotations

import pytest

from app import frames
from app.classroom.codes import InputError
from app.classroom.service import Classroom
from app.mailbox import Mailbox
from app.settings import Settings
from tests.app.classroom.server import run
from tests.app.classroom.test_room import DictRunner


class FrameRunner(DictRunner):
    """The stand-in runner, sending real binary frames (the classroom stamps them)."""

    async def emit(self):
        self.announce()

    def announce(self):
        self.out(frames.encode({"type": "frame", "state": self.state}, []), "frame")


async def make_runner(out, state=None, config=None):
    runner = FrameRunner(out, state, config)
    await runner.emit()
    return runner


def classroom(tmp_path, **settings) -> Classroom:
    return Classroom(Settings(data_dir=tmp_path, **settings), make_runner)


def test_a_run_nobody_is_connected_to_is_paused_once(tmp_path):
    async def main():
        c = classroom(tmp_path, room_pause_after=0.0)
        room, _ = await c.create_room()
        box = Mailbox()
        student = await room.join(box, "Ada")
        await c.save_all()
        watched = list(room.live.handled)
        await room.disconnected(student, box)  # away: nobody is connected now
        await c.save_all()
        await c.save_all()
        paused = list(room.live.handled)
        await c.stop()
        return watched, paused

    watched, paused = run(main())
    assert watched == []
    assert paused == ["pause"]


def test_a_stored_room_loads_on_first_use_and_a_right_code_passes_a_spent_budget(tmp_path):
    async def main():
        first = classroom(tmp_path)
        room, secret = await first.create_room()
        await first.stop()
        second = classroom(tmp_path, join_failures=2, join_window=0.2)
        again = await second.find(room.code.lower(), "1.2.3.4")
        second.authorize(again, secret, "1.2.3.4")
        for _ in range(3):  # the third comes after the budget: slowed, still a clear answer
            with pytest.raises(InputError) as wrong:
                await second.find("CCCCCC", "1.2.3.4")
            assert wrong.value.code == "room_unknown"
        right = await second.find(room.code, "1.2.3.4")
        await second.stop()
        return room.code, again.code, right.code

    code, loaded, right = run(main())
    assert loaded == code == right
