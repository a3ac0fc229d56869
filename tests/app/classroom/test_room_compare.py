"""A compare is for the page's own session: a room's live run refuses it, naming why."""

from __future__ import annotations

from tests.app.classroom.server import Client, run


def test_the_instructor_cannot_start_a_compare_on_the_live_run_and_the_room_goes_on(server):
    async def main():
        room = server.new_room()
        teacher = await Client.join(server, room["code"], secret=room["secret"])
        await teacher.text("you")
        await teacher.send("compare", action="start", seeds=2)
        error = await teacher.text("error")
        assert (error["request"], error["field"]) == ("compare", "type")
        assert "own session" in error["message"]
        assert not any(f.get("type") == "compare" for f in teacher.frames)
        await teacher.send("ping", t="on")
        assert (await teacher.text("pong"))["t"] == "on"

    run(main())
