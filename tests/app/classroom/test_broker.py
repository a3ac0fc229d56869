"""The in-process broker: fan-out, retained state for late joiners, JSON events."""

from __future__ import annotations

import asyncio

from app.classroom.broker import Broker, LocalBroker
from app.mailbox import Mailbox
from tests.app.classroom.server import run


def test_published_payloads_reach_every_subscriber_as_the_same_bytes():
    async def main():
        broker = LocalBroker()
        boxes = [Mailbox() for _ in range(3)]
        for box in boxes:
            await broker.subscribe("R", box)
        frame = b"\x01" * 1000
        broker.publish("R", "frame", frame)
        return frame, [await box.next() for box in boxes]

    frame, got = run(main())
    assert all(g is frame for g in got)  # encoded once, never copied per follower


def test_a_late_subscriber_gets_the_latest_of_each_key_in_order():
    async def main():
        broker = LocalBroker()
        broker.publish("R", "config", "c1")
        broker.publish("R", "frame", b"f1")
        broker.publish("R", "config", "c2")
        broker.publish("R", "frame", b"f2")
        broker.publish("OTHER", "frame", b"x")
        box = Mailbox()
        await broker.subscribe("R", box)
        return [await box.next() for _ in range(len(box))]

    assert run(main()) == ["c2", b"f2"]


def test_unsubscribed_and_forgotten_rooms_receive_nothing():
    async def main():
        broker = LocalBroker()
        a, b = Mailbox(), Mailbox()
        await broker.subscribe("R", a)
        await broker.subscribe("R", b)
        await broker.unsubscribe("R", a)
        broker.publish("R", "frame", b"f")
        await broker.forget("R")
        late = Mailbox()
        await broker.subscribe("R", late)
        return len(a), len(b), len(late)

    assert run(main()) == (0, 1, 0)


def test_events_reach_listeners_as_json_copies():
    async def main():
        broker = LocalBroker()
        seen = []

        async def handler(event):
            seen.append(event)

        await broker.listen("R", handler)
        event = {"type": "kick", "name": "Bo", "tags": ("a",)}
        await broker.publish_event("R", event)
        return event, seen

    event, seen = run(main())
    assert seen == [{"type": "kick", "name": "Bo", "tags": ["a"]}]
    assert seen[0] is not event


async def cancel_the_publisher_while_listening(broker: Broker) -> str:
    """Publish an event whose listener waits; cancel the publisher while it does (as a
    socket's close cancels the task that published the instructor's `end`); then let the
    listener go on. How its work ended: "done", or "cancelled" with the publisher."""
    started, go_on, outcome = asyncio.Event(), asyncio.Event(), asyncio.Future()

    async def listener(event):
        started.set()
        try:
            await go_on.wait()  # a room's listener awaits Redis for each member it closes
        except asyncio.CancelledError:
            outcome.set_result("cancelled")
            raise
        outcome.set_result("done")

    await broker.listen("R", listener)
    publisher = asyncio.create_task(broker.publish_event("R", {"type": "end"}))
    await started.wait()
    publisher.cancel()
    await asyncio.gather(publisher, return_exceptions=True)
    go_on.set()
    return await outcome


def test_listeners_act_to_the_end_on_an_event_whose_publisher_was_cancelled():
    assert run(cancel_the_publisher_while_listening(LocalBroker())) == "done"


def test_discard_forgets_the_retained_frame_and_drops_unsent_copies():
    async def main():
        broker = LocalBroker()
        box = Mailbox()
        await broker.subscribe("R", box)
        broker.publish("R", "config", "c1")
        broker.publish("R", "frame", b"old shape")
        broker.discard("R", "frame")
        late = Mailbox()
        await broker.subscribe("R", late)
        return [await box.next() for _ in range(len(box))], [await late.next()], len(late)

    assert run(main()) == (["c1"], ["c1"], 0)
