"""Room places over real sockets: joins per address, places freed when full, kick a member."""

from __future__ import annotations

import websockets

from tests.app.classroom.server import Client, Server, run


async def room_with_teacher(server: Server) -> tuple[dict, Client]:
    room = server.new_room()
    teacher = await Client.join(server, room["code"], secret=room["secret"])
    await teacher.text("you")
    return room, teacher


def test_new_places_are_limited_per_address_and_room_but_not_other_addresses(start_server):
    server = start_server(PLAYGROUND_ROOM_JOINS="3")

    async def main():
        room = server.new_room()
        first = []
        for i in range(3):
            first.append(await Client.join(server, room["code"], name=f"a{i}"))
            await first[-1].text("you")
        bot = await Client.join(server, room["code"], name="a3")
        error = await bot.text("error")
        closed = await bot.closing()
        other = await Client.join(server, room["code"], name="b0", source="127.0.0.2")
        you = await other.text("you")
        # Taking one's own place back is not a new place.
        mine = await first[0].text("you")
        await first[0].close()
        back = await Client.join(server, room["code"], member=mine["id"])
        again = await back.text("you")
        other_room = server.new_room()
        elsewhere = await Client.join(server, other_room["code"], name="a0")
        return error, closed, you, again, await elsewhere.text("you"), mine

    error, (code, reason), you, again, elsewhere, mine = run(main())
    assert error["code"] == "rate_limited" and "new places in this room" in error["message"]
    assert code == 4106 and "at most 3 per 60 s" in reason
    assert you["name"] == "b0"
    assert again["id"] == mine["id"] and again["name"] == "a0"
    assert elsewhere["name"] == "a0"  # the budget is per room


def test_a_full_room_frees_the_place_of_a_student_who_left_for_a_newcomer(start_server):
    server = start_server(PLAYGROUND_MAX_STUDENTS="2")

    async def main():
        room, teacher = await room_with_teacher(server)
        a = await Client.join(server, room["code"], name="a")
        gone = await a.text("you")
        b = await Client.join(server, room["code"], name="b")
        await b.text("you")
        await a.close()  # left without coming back; within its grace period
        await teacher.text("roster", lambda d: any(s["away"] for s in d["students"]))
        c = await Client.join(server, room["code"], name="c")
        you = await c.text("you")
        roster = await teacher.text(
            "roster", lambda d: sorted(s["name"] for s in d["students"]) == ["b", "c"]
        )
        late = await Client.join(server, room["code"], member=gone["id"])
        return you, roster, await late.text("error"), await late.closing()

    you, roster, error, (code, _) = run(main())
    assert you["name"] == "c"
    assert not any(s["away"] for s in roster["students"])
    assert error["code"] == "room_full" and code == 4103  # its place went to c


def test_kicking_a_nameless_student_does_not_bar_the_next_nameless_joiner(server):
    async def main():
        room, teacher = await room_with_teacher(server)
        first = await Client.join(server, room["code"])
        assert (await first.text("you"))["name"] == "Student 1"
        roster = await teacher.text("roster", lambda d: len(d["students"]) == 1)
        entry = roster["students"][0]
        await teacher.send("kick", member=entry["member"])
        kicked = await first.text("kicked")
        closed = await first.closing()
        second = await Client.join(server, room["code"])
        you = await second.text("you")
        await second.send("ping", t=1)
        await second.text("pong")  # admitted and staying
        return entry, kicked, closed, you

    entry, kicked, (code, _), you = run(main())
    assert entry["name"] == "Student 1" and "id" not in entry  # the rejoin id stays secret
    assert "removed" in kicked["message"] and code == 4104
    assert you["name"] == "Student 1"


def test_a_kicked_place_cannot_be_taken_back_and_its_chosen_name_is_barred(server):
    async def main():
        room, teacher = await room_with_teacher(server)
        ada = await Client.join(server, room["code"], name="Ada")
        mine = await ada.text("you")
        roster = await teacher.text("roster", lambda d: len(d["students"]) == 1)
        await teacher.send("kick", member=roster["students"][0]["member"])
        await ada.closing()
        back = await Client.join(server, room["code"], member=mine["id"])
        renamed = await Client.join(server, room["code"], name="ADA")
        unknown = await teacher.send("kick", member=mine["id"])  # the secret id is no ref
        error = await teacher.text("error", lambda d: d["request"] == "kick")
        return await back.closing(), await renamed.closing(), unknown, error

    (back, _), (renamed, _), _, error = run(main())
    assert back == renamed == 4104
    assert error["field"] == "member"


def test_a_socket_that_never_joins_is_told_and_closed_with_bad_join(start_server):
    server = start_server(PLAYGROUND_ROOM_JOIN_SECONDS="0.5")

    async def main():
        room = server.new_room()
        ws = await websockets.connect(f"{server.ws}/ws/room/{room['code']}")
        silent = Client(ws, "silent")
        return await silent.text("error"), await silent.closing()

    error, (code, reason) = run(main())
    assert error["code"] == "timeout" and "no join message within 0.5 s" in error["message"]
    assert code == 4107 and reason == error["message"]
