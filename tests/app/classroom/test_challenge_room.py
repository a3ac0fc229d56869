"""Challenges in the room model without sockets: the per-student and per-challenge caps, and
two processes' copies of a room (two Room objects on one broker and one SQLite file) that
keep one leaderboard."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.classroom import challenges
from app.classroom.broker import LocalBroker
from app.mailbox import Mailbox
from app.protocol import Message, ProtocolError
from engine import Config, Trainer
from tests.app.classroom.server import run
from tests.app.classroom.test_room import new_room, received, store  # noqa: F401 (fixture)

XOR = {"dataset": "xor", "goal": 0.9}


def fork_with(member, trainer: Trainer) -> None:
    """Give the member's own session a real trainer state (the room's stand-in runner
    exports whatever state it holds)."""
    member.fork.state = {"trainer": trainer.export_state(), "view": {}}


async def forked(room, name: str):
    member = await room.join(Mailbox(), name)
    await room.handle(member, Message("fork", None), lambda m: None)
    fork_with(member, Trainer(Config(dataset="xor")))
    return member


async def submit(room, member) -> dict:
    replies = []
    await room.handle(member, Message("submit", None), replies.append)
    return replies[0]["data"]


async def latest(box: Mailbox, kind: str) -> dict | None:
    """The last `kind` message waiting in the mailbox (all of it is taken)."""
    texts = [i for i in await received(box) if isinstance(i, tuple)]
    return next((data for t, data in reversed(texts) if t == kind), None)


async def posted(store, broker=None, **limits):  # noqa: F811
    """A room with the XOR challenge posted by its instructor."""
    room = await new_room(store, broker, **limits)
    teacher = await room.join_instructor(Mailbox())
    await room.handle(teacher, Message("challenge", XOR), lambda m: None)
    return room


def test_a_student_has_a_bounded_number_of_submissions_per_challenge(store):  # noqa: F811
    async def main():
        room = await posted(store, submits_per_student=2)
        ada = await forked(room, "ada")
        for _ in range(2):
            await submit(room, ada)
        with pytest.raises(ProtocolError) as err:
            await submit(room, ada)
        bob = await forked(room, "bob")
        return err.value, await submit(room, bob)

    err, bobs = run(main())
    assert err.code == "rate_limited" and "2 submissions" in err.message
    assert bobs["rank"] in (1, 2)


def test_a_challenge_has_a_bounded_number_of_submissions(store):  # noqa: F811
    async def main():
        room = await posted(store, submits_per_challenge=3)
        for name in ("a", "b", "c"):
            await submit(room, await forked(room, name))
        with pytest.raises(ProtocolError) as err:
            await submit(room, await forked(room, "d"))
        return err.value

    err = run(main())
    assert err.code == "rate_limited" and "3 submissions" in err.message


def test_two_processes_of_a_room_keep_one_leaderboard(store):  # noqa: F811
    async def main():
        broker = LocalBroker()  # stands for Redis: both copies listen to the room's events
        here, there = await new_room(store, broker), await new_room(store, broker)
        teacher = await here.join_instructor(Mailbox())
        await here.handle(teacher, Message("challenge", XOR), lambda m: None)
        ada = await forked(there, "ada")  # a student on the other process
        good = Trainer(Config(dataset="xor", hidden=[], features=["x1_x2"]))
        good.set_weight(0, 0, 0, 5.0)
        good.set_bias(0, 0, 0.0)
        fork_with(ada, good)
        verdict = await submit(there, ada)
        board = await latest(teacher.mailbox, "leaderboard")
        return verdict, board, await latest(ada.mailbox, "challenge")

    verdict, board, posted = run(main())
    assert verdict["value"] == 1.0 and verdict["goal_met"]
    assert [(e["name"], e["value"]) for e in board["entries"]] == [("ada", 1.0)]
    assert posted is not None and "test_seed" not in posted["challenge"]


def test_a_submission_measured_while_a_new_challenge_is_posted_has_no_rank(store, monkeypatch):  # noqa: F811
    started, go = threading.Event(), threading.Event()
    measure = challenges.judge

    def held(challenge, state):  # the real measurement, held until the test lets it finish
        started.set()
        go.wait(20)
        return measure(challenge, state)

    monkeypatch.setattr(challenges, "judge", held)

    async def main():
        room = await posted(store)
        ada = await forked(room, "ada")
        pending = asyncio.create_task(submit(room, ada))
        await asyncio.to_thread(started.wait, 20)
        await room.handle(room.instructors()[0], Message("challenge", XOR), lambda m: None)
        go.set()
        return await pending, room.challenges.entries

    verdict, entries = run(main())
    assert verdict["rank"] is None and "new challenge" in verdict["message"]
    assert entries == []  # the new challenge's leaderboard is untouched


def test_an_evaluation_is_charged_to_the_students_session_and_debt_waits(store):  # noqa: F811
    async def main():
        room = await posted(store)
        ada = await forked(room, "Ada")
        cpu = ada.fork.cpu
        before = cpu.spent
        first = await submit(room, ada)
        charged = cpu.spent - before
        # A session that has spent past its share (frames, steps, evaluations) waits.
        cpu.spend(5.0)
        with pytest.raises(ProtocolError) as refused:
            await room.handle(ada, Message("submit", None), lambda m: None)
        return first, charged, refused.value, len(room.challenges.entries)

    first, charged, refused, entries = run(main())
    assert first["value"] is not None and charged > 0
    assert refused.code == "rate_limited" and "share of the server's CPU" in refused.message
    assert entries == 1  # the refused one was not measured
