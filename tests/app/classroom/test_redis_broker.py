"""The Redis broker against a real redis-server: two brokers stand for two processes."""

from __future__ import annotations

import asyncio
import time

from app.classroom import redis_broker
from app.classroom.redis_broker import RedisBroker
from app.mailbox import Mailbox
from app.protocol import ProtocolError
from tests.app.classroom.server import run
from tests.app.classroom.test_broker import cancel_the_publisher_while_listening


async def until(predicate, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while not (value := predicate()):
            await asyncio.sleep(0.01)
    return value


async def arrives(box: Mailbox, payload, timeout: float = 20.0) -> bool:
    """Wait until `payload` comes out of the mailbox (others before it are passed over)."""
    async with asyncio.timeout(timeout):
        while await box.next() != payload:
            pass
    return True


async def connected(url: str) -> RedisBroker:
    broker = RedisBroker(url)
    await broker.start()
    await until(lambda: broker.trouble is None)
    return broker


def test_payloads_reach_the_other_process_and_its_late_subscribers_in_order(redis_server):
    async def main():
        a, b = await connected(redis_server.url), await connected(redis_server.url)
        try:
            box = Mailbox()
            await b.subscribe("R", box)
            a.publish("R", "config", "c1")
            a.publish("R", "frame", b"f1")
            a.publish("R", "config", "c2")
            await until(lambda: len(box) == 2 and box.frame_pending)
            live = [await box.next() for _ in range(len(box))]
            a.discard("R", "frame")  # a frame of an old network shape: gone everywhere
            a.publish("R", "status", "s1")
            assert await arrives(box, "s1")  # sent after the discard, so that is in Redis
            # A process that starts serving the room now replays what Redis retains.
            c = await connected(redis_server.url)
            late = Mailbox()
            await c.subscribe("R", late)
            replay = [await late.next() for _ in range(len(late))]
            await c.close()
            return live, replay
        finally:
            await a.close()
            await b.close()

    live, replay = run(main())
    assert live == ["c2", b"f1"]
    assert replay == ["c2", "s1"]


def test_events_reach_every_process_once(redis_server):
    async def main():
        a, b = await connected(redis_server.url), await connected(redis_server.url)
        seen = {"a": [], "b": []}
        try:
            for name, broker in (("a", a), ("b", b)):

                async def handler(event, name=name):
                    seen[name].append(event)

                await broker.listen("R", handler)
            await a.publish_event("R", {"type": "kick", "member": "x"})
            await until(lambda: seen["b"])
            await a.publish_event("R", {"type": "end"})
            await until(lambda: len(seen["b"]) == 2)
            return seen
        finally:
            await a.close()
            await b.close()

    seen = run(main())
    assert seen["a"] == seen["b"] == [{"type": "kick", "member": "x"}, {"type": "end"}]


def test_listeners_here_act_to_the_end_on_an_event_whose_publisher_was_cancelled(redis_server):
    async def main():
        broker = await connected(redis_server.url)
        try:
            return await cancel_the_publisher_while_listening(broker)
        finally:
            await broker.close()

    assert run(main()) == "done"


def test_an_event_is_acted_on_here_though_its_publisher_was_cancelled_before_redis_answered(
    redis_server,
):
    async def main():
        broker = await connected(redis_server.url)
        seen: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

        async def listener(event):
            seen.set_result(event)

        try:
            await broker.listen("R", listener)
            publisher = asyncio.create_task(broker.publish_event("R", {"type": "end"}))
            await asyncio.sleep(0)  # the publisher has started: its Redis publish is on its way
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)
            async with asyncio.timeout(20):  # a safety net: it comes with Redis's answer
                return await seen
        finally:
            await broker.close()

    assert run(main()) == {"type": "end"}


def test_an_outage_is_reported_bounds_the_backlog_and_recovers(redis_server, monkeypatch):
    monkeypatch.setattr(redis_broker, "MAX_PENDING", 50)

    async def main():
        a, b = await connected(redis_server.url), await connected(redis_server.url)
        changes = []

        async def watcher(trouble):
            changes.append(trouble)

        a.watch(watcher)
        box = Mailbox()
        await b.subscribe("R", box)
        try:
            redis_server.stop()
            await until(lambda: a.trouble is not None and b.trouble is not None)
            try:
                await a.publish_event("R", {"type": "end"})
                refused = None
            except ProtocolError as exc:
                refused = exc.code
            for i in range(500):  # a class's worth of keys while Redis is away
                a.publish("R", f"k{i}", f"v{i}")
                a.publish("R", "frame", bytes([i % 256]))
            backlog = a.backlog
            redis_server.start()
            await until(lambda: a.trouble is None and b.trouble is None)
            # The newest of what waited goes out once Redis is back.
            assert await arrives(box, bytes([499 % 256]))
            return refused, backlog, changes
        finally:
            await a.close()
            await b.close()

    refused, backlog, changes = run(main())
    assert refused == "room_unavailable"
    assert backlog == 50
    assert changes[0] and "Redis" in changes[0] and changes[-1] is None


class Recorder:
    """A sink that keeps every payload offered to it (a mailbox keeps only the latest)."""

    def __init__(self) -> None:
        self.got: list[tuple[str | None, object]] = []

    def offer(self, payload, key=None) -> None:
        self.got.append((key, payload))

    def discard(self, key) -> None:
        self.got.append((key, None))


def test_a_busy_event_loop_relays_every_frame_it_publishes(redis_server):
    """A process whose loop is busy (its own sockets' fan-out) still relays every frame it
    publishes once per turn of the loop, byte for byte and in order: the writer must not
    take several turns per write, or newer frames replace the unsent ones."""
    frames = [bytes([i]) * 3000 for i in range(60)]

    async def main():
        a, b = await connected(redis_server.url), await connected(redis_server.url)
        try:
            far, near = Recorder(), Recorder()
            await b.subscribe("R", far)
            await a.subscribe("R", near)
            for frame in frames:
                a.publish("R", "frame", frame)
                time.sleep(0.02)  # this turn's fan-out to the process's own sockets
                await asyncio.sleep(0)  # one turn of the loop per frame
            await until(lambda: far.got and far.got[-1][1] == frames[-1])
            return far.got, near.got
        finally:
            await a.close()
            await b.close()

    far, near = run(main())
    assert near == [("frame", f) for f in frames]
    assert far == near
