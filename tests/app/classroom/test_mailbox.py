"""The per-connection outbox: latest wins per key, order kept, slow readers bounded."""

from __future__ import annotations

import asyncio

from app.classroom.mailbox import Mailbox, pump
from tests.app.classroom.server import run


def drain(mailbox: Mailbox) -> list:
    out = []
    while len(mailbox):
        out.append(run(mailbox.get()))
    return out


def test_a_newer_frame_replaces_the_unsent_one_and_moves_last():
    box = Mailbox()
    box.offer(b"f1", "frame")
    box.offer("config", "config")
    box.offer(b"f2", "frame")
    assert drain(box) == ["config", b"f2"]
    assert box.replaced == 1


def test_unkeyed_messages_all_arrive_in_order():
    box = Mailbox()
    for i in range(5):
        box.offer(f"m{i}")
    assert drain(box) == [f"m{i}" for i in range(5)]


def test_a_client_that_never_reads_replies_is_closed_not_buffered():
    box = Mailbox(max_unkeyed=3)
    for i in range(4):
        box.offer(f"m{i}")
    assert box.closed and box.close_code == 1008
    box.offer("late")
    assert drain(box) == ["m0", "m1", "m2"]


def test_pump_sends_everything_then_stops_when_closed():
    async def main():
        box = Mailbox()
        sent = []

        async def send(payload):
            sent.append(payload)

        task = asyncio.create_task(pump(box, send))
        box.offer("a")
        box.offer(b"f", "frame")
        await asyncio.sleep(0)
        box.offer("b")
        box.close(4104, "kicked")
        await asyncio.wait_for(task, 1)
        return sent

    assert run(main()) == ["a", b"f", "b"]


def test_a_slow_sender_misses_frames_but_gets_the_newest():
    async def main():
        box = Mailbox()
        received = []
        gate = asyncio.Event()

        async def slow_send(payload):
            received.append(payload)
            await gate.wait()  # the socket is stuck until the test opens it

        task = asyncio.create_task(pump(box, slow_send))
        for i in range(100):
            box.offer(i.to_bytes(2, "little"), "frame")
            await asyncio.sleep(0)
        gate.set()
        box.close()
        await asyncio.wait_for(task, 1)
        return received, box.replaced

    received, replaced = run(main())
    assert received[-1] == (99).to_bytes(2, "little")
    assert len(received) == 2 and replaced == 98
