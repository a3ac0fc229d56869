"""The class wall over real websockets against a real server: cards, their rate and
picture, the spotlight and handing back, and refusals."""

from __future__ import annotations

import base64
import functools
import json
import time
from pathlib import Path

import numpy as np

from app.classroom.broker import LocalBroker
from app.classroom.codes import hash_secret
from app.classroom.room import Room
from app.classroom.runner import make_session_runner
from app.classroom.store import Store
from app.classroom.wall import (
    CARD_SECONDS,
    THUMB_CELLS,
    THUMB_LEVELS,
    frame_card,
)
from app.frames import decode
from app.mailbox import Mailbox
from app.protocol import Message
from app.sessions import Registry
from app.settings import Settings
from app.snapshot import build_frame
from engine import Config, Trainer
from tests.app.classroom.server import Client, run

DOC = (Path(__file__).resolve().parents[3] / "docs" / "classroom.md").read_text()
WALL_DOC = DOC[DOC.index("## Class wall") : DOC.index("## How it works")]


class RawClient(Client):
    """A room socket that also keeps its last binary frame (the thumbnail's source)."""

    last_raw: bytes | None = None

    async def _read(self) -> None:
        original = self.ws.recv

        async def recv(*args, **kwargs):
            message = await original(*args, **kwargs)
            if isinstance(message, bytes):
                self.last_raw = message
            return message

        self.ws.recv = recv
        await super()._read()


def cards(teacher: Client, name: str) -> list[dict]:
    return [
        m["data"]
        for m in teacher.texts
        if m["type"] == "wall_card" and m["data"].get("name") == name
    ]


async def a_class(server, *names: str):
    room = server.new_room()
    teacher = await Client.join(server, room["code"], secret=room["secret"])
    await teacher.text("you", lambda d: d["role"] == "instructor")
    students = [await RawClient.join(server, room["code"], name=n) for n in names]
    for s in students:
        await s.until(lambda s=s: s.frames)
    return teacher, students


async def forked(student: Client) -> None:
    await student.send("fork")
    await student.text("you", lambda d: d["mode"] == "fork")


def test_the_wall_shows_each_students_own_run_at_most_once_a_second(server):
    async def main():
        teacher, (ada, bo) = await a_class(server, "Ada", "Bo")
        await forked(ada)
        await ada.send("configure", hidden=[5, 3], fps=30)
        await ada.text("config", lambda d: d["config"]["hidden"] == [5, 3])
        opened = time.monotonic()
        await teacher.send("wall", open=True)
        await teacher.text("wall", lambda d: d["open"] is True)
        follower = await teacher.text("wall_card", lambda d: d["name"] == "Bo")
        assert follower["mode"] == "follow" and "thumb" not in follower
        await ada.send("play")
        # Cards follow the run while it plays.
        await teacher.until(lambda: any((c.get("epoch") or 0) >= 20 for c in cards(teacher, "Ada")))
        mark = len(ada.texts)
        await ada.send("pause")
        status = await ada.text("status", lambda d: d["state"] == "paused", after=mark)
        await ada.until(lambda: ada.frames[-1]["epoch"] == status["epoch"])
        # The trailing card shows where the run stopped, from the run's own last frame.
        epoch = status["epoch"]
        last = await teacher.until(
            lambda: next((c for c in cards(teacher, "Ada") if c.get("epoch") == epoch), None)
        )
        elapsed = time.monotonic() - opened
        made = [c for c in cards(teacher, "Ada") if "thumb" in c]
        return last, made, elapsed, ada.last_raw, ada.frames[-1]

    last, made, elapsed, raw, header = run(main())
    for key in [*last, *last["thumb"]]:  # docs/classroom.md describes every field
        assert f"`{key}`" in WALL_DOC, key
    assert last["mode"] == "fork" and last["layer_sizes"] == [2, 5, 3, 1]
    assert last["test_loss"] == header["test_loss"]
    assert last["test_accuracy"] == header["test_accuracy"]
    # At most one card a second (the first may come at once).
    assert 2 <= len(made) <= elapsed / CARD_SECONDS + 1
    thumb = last["thumb"]
    cells = np.frombuffer(base64.b64decode(thumb["cells"]), np.uint8)
    cells = cells.reshape(THUMB_CELLS, THUMB_CELLS)
    assert thumb["kind"] == "ramp" and cells.max() < THUMB_LEVELS
    _, arrays = decode(raw)
    output = arrays["output"]
    k = output.shape[0] // THUMB_CELLS
    sampled = output[k // 2 :: k, k // 2 :: k]
    shown = thumb["lo"] + cells * thumb["scale"]
    # Each cell is the map's value at that cell, within the coarser quantisation.
    assert np.abs(shown - sampled).max() <= thumb["scale"] / 2 + 2 / 31 + 1e-9
    assert (np.sign(shown) == np.sign(sampled))[np.abs(sampled) > thumb["scale"]].all()


def test_the_spotlight_shows_a_students_run_to_followers_until_handed_back(server):
    async def main():
        teacher, (ada, bo) = await a_class(server, "Ada", "Bo")
        await teacher.send("configure", hidden=[2])
        await bo.text("config", lambda d: d["config"]["hidden"] == [2])
        await forked(ada)
        await ada.send("configure", hidden=[6, 6])
        await ada.send("step", epochs=7)
        await ada.until(lambda: any(f["epoch"] == 7 for f in ada.frames))
        await teacher.send("wall", open=True)
        card = await teacher.text("wall_card", lambda d: d["name"] == "Ada")
        mark = len(bo.texts)
        await teacher.send("spotlight", member=card["member"])
        note = await bo.text("spotlight", lambda d: d["name"] == "Ada", after=mark)
        assert note["member"] == card["member"]
        await ada.text("spotlight", lambda d: d["name"] == "Ada")  # the student is told
        cfg = await bo.text("config", lambda d: d["config"]["hidden"] == [6, 6], after=mark)
        assert cfg["layer_sizes"] == [2, 6, 6, 1]
        frames_before = len(bo.frames)
        await ada.send("step", epochs=3)  # the student drives what the room sees
        await bo.until(lambda: any(f["epoch"] == 10 for f in bo.frames[frames_before:]))
        # The teacher's own page shows it too (its socket gets the room's output).
        await teacher.text("config", lambda d: d["config"]["hidden"] == [6, 6])
        mark = len(bo.texts)
        await teacher.send("spotlight", member=None)
        await bo.text("spotlight", lambda d: d["member"] is None, after=mark)
        await bo.text("config", lambda d: d["config"]["hidden"] == [2], after=mark)
        await ada.text("spotlight", lambda d: d["member"] is None)
        # Ada's own session never stopped being hers.
        await ada.send("step", epochs=1)
        await ada.until(lambda: any(f["epoch"] == 11 for f in ada.frames))
        # Spotlit again, then Ada follows again: the room gets the live run back.
        await teacher.send("spotlight", member=card["member"])
        await bo.text("config", lambda d: d["config"]["hidden"] == [6, 6], after=mark)
        mark = len(bo.texts)
        await ada.send("refollow")
        await bo.text("spotlight", lambda d: d["member"] is None, after=mark)
        await bo.text("config", lambda d: d["config"]["hidden"] == [2], after=mark)
        back = await teacher.text(
            "wall_card", lambda d: d["name"] == "Ada" and d["mode"] == "follow"
        )
        assert "thumb" not in back

    run(main())


def test_wall_refusals_name_the_field(server):
    async def main():
        teacher, (ada, bo) = await a_class(server, "Ada", "Bo")
        await ada.send("wall", open=True)
        refused = await ada.text("error", lambda d: d["code"] == "forbidden")
        assert "wall" in refused["message"]
        await ada.send("spotlight", member=None)
        await ada.text("error", lambda d: d["code"] == "forbidden" and "spotlight" in d["message"])
        await teacher.send("wall", open="yes")
        assert (await teacher.text("error"))["field"] == "open"
        await teacher.send("wall", open=True)
        bo_card = await teacher.text("wall_card", lambda d: d["name"] == "Bo")
        await teacher.send("spotlight", member=bo_card["member"])  # Bo follows: nothing to show
        error = await teacher.text("error", lambda d: d["field"] == "member")
        assert error["code"] == "invalid_field"
        await teacher.send("spotlight", member="x" * 5000)
        await teacher.until(lambda: sum(m["type"] == "error" for m in teacher.texts) >= 3)

    run(main())


def test_a_student_who_leaves_is_taken_off_the_wall(server):
    async def main():
        teacher, (ada, bo) = await a_class(server, "Ada", "Bo")
        await teacher.send("wall", open=True)
        card = await teacher.text("wall_card", lambda d: d["name"] == "Ada")
        await teacher.send("kick", member=card["member"])
        await teacher.text("wall_card", lambda d: d["member"] == card["member"] and d.get("gone"))
        # A wall opened later is not shown the departed student.
        await teacher.send("wall", open=False)
        await teacher.text("wall", lambda d: d["open"] is False)
        mark = len(teacher.texts)
        await teacher.send("wall", open=True)
        await teacher.text("wall_card", lambda d: d["name"] == "Bo", after=mark)
        later = [m["data"] for m in teacher.texts[mark:] if m["type"] == "wall_card"]
        assert all(c["member"] != card["member"] for c in later)

    run(main())


def test_a_card_of_several_classes_shows_the_most_likely_class_of_each_cell():
    trainer = Trainer(
        Config(dataset="blobs", num_classes=3, loss="cross_entropy", hidden=(4,), seed=3)
    )
    trainer.train_epochs(30)
    frame = build_frame(
        trainer, trainer.metrics(), seq=0, state="paused", grid_size=100, thumb_size=20,
        selected=None, include_inputs=False, levels=32,
    ).data  # fmt: skip
    card = frame_card(frame)
    thumb = card["thumb"]
    cells = np.frombuffer(base64.b64decode(thumb["cells"]), np.uint8).reshape(20, 20)
    probabilities = trainer.grid(100).output[2::5, 2::5]  # (20, 20, 3) at the cell centres
    assert thumb["kind"] == "classes" and probabilities.shape == (20, 20, 3)
    # The same class wherever one class clearly leads (quantisation may swap near-ties).
    top = np.sort(probabilities, axis=2)
    clear = top[:, :, -1] - top[:, :, -2] > 1 / 31
    assert (cells == probabilities.argmax(axis=2))[clear].all()
    assert len(np.unique(cells)) == 3 and card["epoch"] == 30
    assert card["test_accuracy"] == trainer.metrics()["test_accuracy"]


def test_a_wall_opened_again_shows_where_a_paused_run_stopped(server):
    async def main():
        teacher, (ada,) = await a_class(server, "Ada")
        await forked(ada)
        await ada.send("step", epochs=5)
        await ada.until(lambda: any(f["epoch"] == 5 for f in ada.frames))
        await teacher.send("wall", open=True)
        await teacher.text("wall_card", lambda d: d.get("epoch") == 5)
        await teacher.send("wall", open=False)
        await teacher.text("wall", lambda d: d["open"] is False)
        await ada.send("step", epochs=3)  # while no wall is open
        await ada.until(lambda: any(f["epoch"] == 8 for f in ada.frames))
        mark = len(teacher.texts)
        await teacher.send("wall", open=True)
        card = await teacher.text("wall_card", lambda d: d.get("epoch") == 8, after=mark)
        assert card["state"] == "paused" and "thumb" in card

    run(main())


def test_the_wall_and_the_spotlight_reach_across_processes_through_the_broker(tmp_path):
    """Two rooms of one code on one broker stand for two worker processes: the instructor
    and a follower on one, the student on the other. Only broker messages and events
    connect them, as they would over Redis."""

    async def main():
        settings = Settings(data_dir=tmp_path)
        store = Store.open(tmp_path)
        store.create_room("AC3D4E", hash_secret("s3cret"))
        broker = LocalBroker()
        here, there = [
            Room(
                store.get_room("AC3D4E"),
                broker=broker,
                store=store,
                make_runner=functools.partial(make_session_runner, Registry(settings)),
            )
            for _ in range(2)
        ]
        for room in (here, there):
            await room.start()
        teacher = await here.join_instructor(Mailbox())
        follower_box = Mailbox()
        await here.join(follower_box, "Bo")
        ada = await there.join(Mailbox(), "Ada")
        await there.fork(ada)
        await there.handle(ada, Message("configure", {"hidden": [7]}), lambda m: None)

        await here.handle(teacher, Message("wall", {"open": True}), lambda m: None)
        sent = await drain(teacher.mailbox)
        card = next(d for t, d in sent if t == "wall_card" and d.get("name") == "Ada")
        assert card["layer_sizes"] == [2, 7, 1] and card["thumb"]["size"] == THUMB_CELLS

        await drain(follower_box)
        await here.handle(teacher, Message("spotlight", {"member": card["member"]}), lambda m: 0)
        seen = await drain(follower_box)
        assert ("spotlight", {"member": card["member"], "name": "Ada"}) in seen
        assert [d["layer_sizes"] for t, d in seen if t == "config"] == [[2, 7, 1]]

        await here.handle(teacher, Message("spotlight", {"member": None}), lambda m: 0)
        seen = await drain(follower_box)
        assert ("spotlight", {"member": None, "name": None}) in seen
        assert [d["layer_sizes"] for t, d in seen if t == "config"][-1] == [2, 4, 2, 1]
        for room in (here, there):
            await room.close()
        store.close()

    run(main())


async def drain(box: Mailbox) -> list:
    """Every text queued in a mailbox as (type, data); frames are left out."""
    items = [await box.next() for _ in range(len(box))]
    return [(m["type"], m["data"]) for m in (json.loads(i) for i in items if isinstance(i, str))]


def test_opening_the_wall_is_limited_per_instructor(server):
    async def main():
        teacher, _ = await a_class(server, "Ada")
        for _ in range(Settings.model_fields["wall_openings"].default):
            await teacher.send("wall", open=True)
            await teacher.send("wall", open=False)
        await teacher.send("wall", open=True)
        error = await teacher.text("error", lambda d: d["code"] == "rate_limited")
        assert error["field"] == "open"
        await teacher.send("roster")  # the socket and the room go on
        await teacher.text("roster")

    run(main())
