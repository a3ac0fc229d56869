"""A Redis outage under a room spanning two hosts: students' joins and leaves, the class
wall and the spotlight never fail; what the other host missed reaches it when Redis is back."""

from __future__ import annotations

from tests.app.classroom.server import Client, run
from tests.app.classroom.test_span import room_on_two_hosts


def test_joins_leaves_and_the_wall_go_on_during_an_outage_and_catch_up(hosts, redis_server):
    a = hosts("a")
    b = hosts("b", PLAYGROUND_ROOM_GRACE_SECONDS="0")  # a closed socket leaves at once

    async def main():
        room, teacher, (ada, bo) = await room_on_two_hosts(a, b, 2)
        eve = await Client.join(a, room["code"], name="eve")
        eve_id = (await eve.text("you"))["id"]
        await teacher.send("wall", open=True)
        await ada.send("fork")
        await ada.text("you", lambda d: d["mode"] == "fork")
        card = await teacher.text("wall_card", lambda d: d["name"] == "s0" and d["mode"] == "fork")
        await teacher.send("spotlight", member=card["member"])
        await bo.text("spotlight", lambda d: d["name"] == "s0")
        await teacher.text("spotlight", lambda d: d["name"] == "s0")
        await teacher.send("challenge", dataset="xor", metric="test_accuracy", goal=0.95)
        fay = await Client.join(b, room["code"], name="fay")
        await fay.text("challenge")
        await fay.send("fork")
        await fay.text("you", lambda d: d["mode"] == "fork")

        redis_server.stop()
        await bo.text("room", lambda d: d["trouble"])
        await teacher.text("room", lambda d: d["trouble"])
        # A new student on host b gets in; the spotlit student leaves: host b's room sees
        # the live run's picture again at once (what it still has of it).
        cy = await Client.join(b, room["code"], name="cy")
        await cy.text("you")
        await ada.close()
        await bo.text("spotlight", lambda d: d["member"] is None)
        # A student whose place host a holds reconnects to host b.
        await eve.close()
        await teacher.text(
            "roster", lambda d: any(s["name"] == "eve" and s["away"] for s in d["students"])
        )
        eve2 = await Client.join(b, room["code"], member=eve_id)
        assert (await eve2.text("you"))["name"] == "eve"
        # A submission is measured and stored here; host a hears of it later.
        await fay.send("submit")
        await fay.text("verdict")
        # What needs the live run on the other host is refused, saying why.
        await cy.send("fork")
        error = await cy.text("error", lambda d: d["request"] == "fork")
        assert error["code"] == "room_unavailable" and "Redis" in error["message"]
        for s in (cy, bo, eve2, fay):
            assert not any(m["type"] == "error" and m["data"]["request"] != "fork" for m in s.texts)
            assert s.closed is None

        redis_server.start()  # empty: Redis kept nothing
        await bo.text("room", lambda d: d["trouble"] is None)
        # Host a hears that the spotlight ended and who moved: the room follows its
        # instructor again, and eve is in the roster once, on host b.
        await teacher.text("spotlight", lambda d: d["member"] is None)
        await teacher.text("leaderboard", lambda d: d["submissions"] == 1)
        await teacher.send("step", epochs=2)
        for s in (bo, cy, eve2):
            await s.until(lambda s=s: any(f.get("epoch") == 2 for f in s.frames))
        roster = await teacher.text(
            "roster",
            lambda d: (
                sorted((s["name"], s["away"]) for s in d["students"])
                == [("cy", False), ("eve", False), ("fay", False), ("s1", False)]
            ),
        )
        assert roster

    run(main())
