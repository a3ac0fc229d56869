"""A forked student who reconnects to the other host: the fork follows them (same weights
and epoch, trains on there) and stops on the first host. Two real servers, a real Redis."""

from __future__ import annotations

import asyncio
import urllib.request

from app.metrics import sample_values
from tests.app.classroom.server import WAIT, Client, Server, run


def sessions(server: Server) -> float:
    """The training sessions the server holds (the live run, forks), from its /metrics."""
    with urllib.request.urlopen(server.base + "/metrics", timeout=10) as response:
        values = sample_values(response.read().decode())
    return next(v for k, v in values.items() if k.split("{")[0] == "playground_sessions")


async def until_sessions(server: Server, count: int) -> None:
    async with asyncio.timeout(WAIT):
        while await asyncio.to_thread(sessions, server) != count:
            await asyncio.sleep(0.05)


def test_a_fork_follows_its_student_to_the_other_host_and_stops_on_the_first(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room = a.new_room()  # host a runs the live run
        teacher = await Client.join(a, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        ada = await Client.join(b, room["code"], name="ada")
        you = await ada.text("you")
        await ada.until(lambda: ada.frames)
        await ada.send("fork")
        await ada.text("you", lambda d: d["mode"] == "fork")
        await ada.send("set_weight", layer=1, source=0, target=0, value=0.625)
        await ada.send("step", epochs=4)
        await ada.until(lambda: any(f["epoch"] == 4 for f in ada.frames))
        await until_sessions(b, 1)  # ada's fork runs on host b
        await ada.send("export")
        before = (await ada.text("state"))["state"]
        await ada.close()
        await teacher.text("roster", lambda d: d["students"] and d["students"][0]["away"])
        # ada's connection comes back through the balancer to host a.
        back = await Client.join(a, room["code"], member=you["id"])
        again = await back.text("you")
        first = await back.until(lambda: back.frames and back.frames[0])
        await back.send("export")
        state = (await back.text("state"))["state"]
        await back.send("step", epochs=1)
        await back.until(lambda: any(f["epoch"] == 5 for f in back.frames))
        await until_sessions(b, 0)  # stopped there: nothing left running behind
        roster = await teacher.text(  # one place, connected, on its own session
            "roster", lambda d: [(s["away"], s["mode"]) for s in d["students"]] == [(False, "fork")]
        )
        return you, again, first, before, state, roster

    you, again, first, before, state, roster = run(main())
    assert (again["id"], again["name"], again["mode"]) == (you["id"], "ada", "fork")
    assert first["epoch"] == 4
    assert state["trainer"] == before["trainer"]  # weights, optimizer, epoch: exactly
    assert roster["students"][0]["name"] == "ada"
