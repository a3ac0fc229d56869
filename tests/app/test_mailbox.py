"""The one per-socket mailbox: texts in order before frames, latest wins, slow readers bounded."""

from __future__ import annotations

import asyncio

import numpy as np

from app import frames
from app.mailbox import Mailbox
from app.protocol import CloseCode
from app.session import Session
from app.settings import Settings


async def taken(mailbox: Mailbox) -> list:
    """Everything the send loop would take now; None at the end if it would close."""
    items = []
    while True:
        try:
            item = await asyncio.wait_for(mailbox.next(), 0.01)
        except TimeoutError:
            return items
        if item is None:
            return [*items, None]
        items.append(item)


def drain(mailbox: Mailbox) -> list:
    return asyncio.run(taken(mailbox))


def frame(with_inputs: bool, value: int = 0) -> bytes:
    arrays = [("weights", np.array([value], np.float32))]
    if with_inputs:
        arrays.append(("inputs", np.zeros((1, 2, 2), np.uint8)))
    return frames.encode({"type": "frame"}, arrays)


def test_a_newer_frame_replaces_an_unsent_one_and_counts_it_dropped():
    drops = []
    box = Mailbox(10, on_drop=lambda: drops.append(1))
    for i in range(5):
        box.offer_frame(frame(False, i))
    sent = drain(box)
    assert len(sent) == 1 and frames.decode(sent[0])[1]["weights"][0] == 4
    assert box.frames_dropped == 4 and len(drops) == 4


def test_texts_go_out_in_order_before_the_pending_frame():
    box = Mailbox(10)
    box.offer_frame(b"\x00\x00\x00\x00")
    box.send_text("a")
    box.offer("b")
    assert drain(box) == ["a", "b", b"\x00\x00\x00\x00"]


def test_a_keyed_text_replaces_its_unsent_version_and_moves_last():
    box = Mailbox(10)
    box.offer("room 1", "room")
    box.offer("reply")
    box.offer("room 2", "room")
    assert drain(box) == ["reply", "room 2"]


def test_the_frame_with_input_maps_is_never_replaced_by_a_plain_one():
    box = Mailbox(10)
    box.offer_frame(frame(True, 1))
    box.offer_frame(frame(False, 2))
    box.offer_frame(frame(False, 3))
    sent = [frames.decode(f) for f in drain(box)]
    assert [("inputs" in arrays, arrays["weights"][0]) for _, arrays in sent] == [
        (True, 1),
        (False, 3),
    ]


def test_discarded_frames_are_not_sent():
    box = Mailbox(10)
    box.offer_frame(frame(True))
    box.offer_frame(frame(False))
    box.discard_frame()
    box.send_text("config")
    assert drain(box) == ["config"]


def test_too_many_unread_texts_close_with_not_reading_at_once():
    box = Mailbox(3)
    for i in range(4):
        box.send_text(str(i))
    assert box.close_request == (CloseCode.NOT_READING, "too many unread messages")
    assert drain(box) == [None]  # the unread texts are not waited for


def test_a_close_sends_the_queued_texts_then_stops():
    box = Mailbox(10)
    box.offer("kicked")
    box.offer_frame(frame(False))
    box.close(CloseCode.KICKED, "removed")
    box.offer("late")
    assert drain(box) == ["kicked", None]


def test_a_waiting_sender_wakes_for_a_new_frame():
    async def run():
        box = Mailbox(10)
        waiter = asyncio.create_task(box.next())
        await asyncio.sleep(0)
        assert not waiter.done()
        box.offer_frame(b"f" * 8)
        return await asyncio.wait_for(waiter, 1)

    assert asyncio.run(run()) == b"f" * 8


def test_a_routine_frame_is_not_built_while_the_previous_one_waits():
    session = Session("s", Settings(), np.random.default_rng(0))
    box = Mailbox(10)
    session.subscribers = [box]
    session.publish_frame()  # carries the input maps: its own slot
    session.publish_frame()
    seq = session.seq
    session.publish_frame(fresh=False)  # the client has not taken the last one yet
    assert session.seq == seq and box.frames_dropped == 1
    session.publish_frame()  # a frame after a change is always built and replaces it
    assert session.seq == seq + 1 and box.frames_dropped == 2
    assert len(drain(box)) == 2


def test_input_maps_go_out_once_per_rebuild():
    async def run():
        session = Session("s", Settings(), np.random.default_rng(0))
        box = Mailbox(10)
        session.subscribers = [box]
        session.publish_frame()
        session.publish_frame()
        first = await taken(box)
        assert [frames.has_array(f, "inputs") for f in first] == [True, False]
        session.publish_frame()
        assert not frames.has_array((await taken(box))[0], "inputs")
        session.network_rebuilt()
        session.publish_frame()
        assert frames.has_array((await taken(box))[0], "inputs")

    asyncio.run(run())


def frame_with(names: list[str], value: int) -> bytes:
    arrays = [(name, np.zeros((1, 2, 2), np.uint8)) for name in names]
    return frames.encode({"type": "frame"}, [*arrays, ("weights", np.array([value], np.float32))])


def test_a_newer_frame_without_thumbnails_never_drops_an_unsent_one_with_them():
    box = Mailbox(10)
    box.offer_frame(frame_with(["output", "neurons"], 1))
    box.offer_frame(frame_with(["output"], 2))
    box.offer_frame(frame_with(["output"], 3))  # replaces 2, not 1
    assert box.frame_pending
    sent = [frames.decode(item)[1] for item in drain(box)]
    assert [a["weights"][0] for a in sent] == [1, 3]  # oldest first: thumbnails, then newer
    assert "neurons" in sent[0] and "neurons" not in sent[1]
    box = Mailbox(10)
    box.offer_frame(frame_with(["output"], 4))
    box.offer_frame(frame_with(["output", "neurons"], 5))  # newer thumbnails: after 4
    assert [frames.decode(item)[1]["weights"][0] for item in drain(box)] == [4, 5]


def test_max_fps_holds_frames_back_sends_the_newest_and_never_holds_texts():
    asyncio.run(max_fps_checks())


async def max_fps_checks():
    now = [0.0]
    mailbox = Mailbox(clock=lambda: now[0])
    mailbox.max_fps = 10
    mailbox.offer(frame(False, 1))
    assert await taken(mailbox) == [frame(False, 1)]  # the first goes at once
    now[0] = 0.05  # half an interval later
    mailbox.offer(frame(False, 2))
    mailbox.offer(frame(False, 3))
    mailbox.send_text("status")
    assert await taken(mailbox) == ["status"]  # the text goes; the frame waits for its slot
    assert mailbox.frame_pending  # so the session does not even build the next one
    now[0] = 0.1
    assert await taken(mailbox) == [frame(False, 3)]  # the newest of those that came meanwhile
    assert mailbox.frames_dropped == 1
    now[0] = 0.25  # late by more than one interval: no burst to catch up
    mailbox.offer(frame(False, 4))
    assert await taken(mailbox) == [frame(False, 4)]
    mailbox.offer(frame(False, 5))
    assert await taken(mailbox) == []
    mailbox.max_fps = None  # lifted: every frame at once
    assert await taken(mailbox) == [frame(False, 5)]
