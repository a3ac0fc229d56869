"""The per-socket outbox: texts in order, one latest frame, close on a client not reading."""

from __future__ import annotations

import asyncio

from app.outbox import Outbox
from app.protocol import CloseCode


def drain(outbox: Outbox) -> list:
    async def run():
        items = []
        while True:
            try:
                item = await asyncio.wait_for(outbox.next(), 0.01)
            except TimeoutError:
                return items
            if item is None:
                return [*items, None]
            items.append(item)

    return asyncio.run(run())


def test_a_newer_frame_replaces_an_unsent_one_and_counts_it_dropped():
    drops = []
    outbox = Outbox(10, on_drop=lambda: drops.append(1))
    for i in range(5):
        outbox.offer_frame(bytes([i]))
    assert drain(outbox) == [b"\x04"]
    assert outbox.frames_dropped == 4 and len(drops) == 4


def test_texts_go_out_in_order_before_the_pending_frame():
    outbox = Outbox(10)
    outbox.offer_frame(b"frame")
    outbox.send_text("a")
    outbox.send_text("b")
    assert drain(outbox) == ["a", "b", b"frame"]


def test_discarded_frame_is_not_sent():
    outbox = Outbox(10)
    outbox.offer_frame(b"old shape")
    outbox.discard_frame()
    outbox.send_text("config")
    assert drain(outbox) == ["config"]


def test_too_many_unread_texts_ask_to_close_with_not_reading():
    outbox = Outbox(3)
    for i in range(4):
        outbox.send_text(str(i))
    assert outbox.close_request == (CloseCode.NOT_READING, "too many unread messages")
    assert drain(outbox) == [None]


def test_a_waiting_sender_wakes_for_a_new_frame():
    async def run():
        outbox = Outbox(10)
        waiter = asyncio.create_task(outbox.next())
        await asyncio.sleep(0)
        assert not waiter.done()
        outbox.offer_frame(b"f")
        return await asyncio.wait_for(waiter, 1)

    assert asyncio.run(run()) == b"f"


def test_a_routine_frame_is_not_built_while_the_previous_one_waits():
    import numpy as np

    from app.session import Session
    from app.settings import Settings

    session = Session("s", Settings(), np.random.default_rng(0))
    outbox = Outbox(10)
    session.subscribers = [outbox]
    session.publish_frame()
    seq = session.seq
    session.publish_frame(fresh=False)  # the client has not taken the first frame yet
    assert session.seq == seq and outbox.frames_dropped == 1
    session.publish_frame()  # a frame after a change is always built and replaces it
    assert session.seq == seq + 1 and outbox.frames_dropped == 2
    assert drain(outbox)[-1] is not None


def test_input_maps_keep_coming_until_a_frame_carrying_them_was_sent():
    import numpy as np

    from app import frames
    from app.session import Session
    from app.settings import Settings

    async def run():
        session = Session("s", Settings(), np.random.default_rng(0))
        outbox = Outbox(10)
        session.subscribers = [outbox]

        async def sent_frame() -> bytes:
            return await asyncio.wait_for(outbox.next(), 1)

        session.publish_frame()
        session.publish_frame()  # replaces the first before the socket took it
        assert frames.has_array(await sent_frame(), "inputs")
        session.publish_frame()
        assert not frames.has_array(await sent_frame(), "inputs")
        session.network_rebuilt()
        session.publish_frame()
        assert frames.has_array(await sent_frame(), "inputs")

    asyncio.run(run())
