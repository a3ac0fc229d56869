"""/metrics of a classroom server: rooms, followers, forks and the bytes fanned out."""

from __future__ import annotations

import asyncio
import urllib.request

from app.metrics import sample_values
from tests.app.classroom.server import WAIT, Client, run


def test_rooms_followers_forks_and_fanout_bytes_are_counted(start_server):
    server = start_server()

    def metrics() -> dict[str, float]:
        with urllib.request.urlopen(server.base + "/metrics", timeout=10) as response:
            return sample_values(response.read().decode())

    async def until(predicate, what: str) -> dict[str, float]:
        try:
            async with asyncio.timeout(WAIT):
                while not predicate(values := await asyncio.to_thread(metrics)):
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {values}") from None
        return values

    async def main():
        assert metrics()["playground_rooms"] == 0
        room = server.new_room()
        teacher = await Client.join(server, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        students = [await Client.join(server, room["code"], name=f"s{i}") for i in range(3)]
        for s in students:
            await s.until(lambda s=s: s.frames)
        await students[0].send("fork")
        await students[0].text("you", lambda d: d["mode"] == "fork")
        await teacher.send("step", epochs=3)
        for s in students[1:]:
            await s.until(lambda s=s: any(f["epoch"] == 3 for f in s.frames))
        values = await until(
            lambda v: (v["playground_rooms"], v["playground_room_followers"]) == (1, 2),
            "one room with two followers",
        )
        assert values["playground_room_forks"] == 1
        clients = [teacher, *students]
        # Quiet now (paused): what the server counted is what the clients received.
        values = await until(
            lambda v: (
                v["playground_room_fanout_bytes_total"] == sum(c.payload_bytes for c in clients)
            ),
            "the fan-out bytes the clients received",
        )
        assert values["playground_room_fanout_bytes_total"] > 0

    run(main())
