"""Rooms across processes and hosts through a real redis-server: two real servers with their
own data directories (two hosts), the instructor on one and students on the other."""

from __future__ import annotations

import json
import time
import urllib.request

import redis
import websockets

from app.classroom.rediskeys import key
from app.protocol import CloseCode
from tests.app.classroom.server import Client, Server, run


async def room_on_two_hosts(a: Server, b: Server, students: int):
    room = a.new_room()
    teacher = await Client.join(a, room["code"], secret=room["secret"])
    await teacher.text("you", lambda d: d["role"] == "instructor")
    others = [await Client.join(b, room["code"], name=f"s{i}") for i in range(students)]
    for s in others:
        await s.until(lambda s=s: s.frames)  # the live run's frames reached the other host
    return room, teacher, others


def test_followers_on_another_host_see_the_instructors_run_and_are_counted(hosts):
    a, b = hosts("a", PLAYGROUND_MAX_STUDENTS="4"), hosts("b", PLAYGROUND_MAX_STUDENTS="4")

    async def main():
        room, teacher, students = await room_on_two_hosts(a, b, 3)
        await teacher.send("configure", learning_rate=0.3, hidden=[3])
        for s in students:
            await s.text("config", lambda d: d["config"]["learning_rate"] == 0.3)
        await teacher.send("step", epochs=5)
        for s in students:
            await s.until(lambda s=s: any(f["epoch"] == 5 for f in s.frames))
        roster = await teacher.text("roster", lambda d: len(d["students"]) == 3)
        assert sorted(x["name"] for x in roster["students"]) == ["s0", "s1", "s2"]
        status = await students[0].text("room", lambda d: d["students"] == 3)
        assert status["instructor_online"] and status["trouble"] is None
        # Names are unique across hosts: a fourth student on host a may not take s1.
        dup = await Client.join(a, room["code"], name="s1")
        error = await dup.text("error")
        assert error["code"] == "name_taken"
        # The seats are counted over both hosts: a fourth student on host a fills the
        # room of 4, and host b knows it.
        fourth = await Client.join(a, room["code"], name="s3")
        await fourth.text("you")
        await teacher.text("roster", lambda d: len(d["students"]) == 4)
        await students[0].text("room", lambda d: d["students"] == 4)
        fifth = await Client.join(b, room["code"], name="s4")
        assert (await fifth.closing())[0] == CloseCode.ROOM_FULL

    run(main())


def test_fork_refollow_push_kick_and_end_reach_students_on_the_other_host(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room, teacher, (forker, kicked, watcher) = await room_on_two_hosts(a, b, 3)
        await teacher.send("step", epochs=4)
        await forker.until(lambda: any(f["epoch"] == 4 for f in forker.frames))
        # A fork on host b starts from the live run host a runs.
        await forker.send("fork")
        await forker.text("you", lambda d: d["mode"] == "fork")
        await forker.send("step", epochs=2)
        await forker.until(lambda: any(f["epoch"] == 6 for f in forker.frames))
        mark = len(watcher.frames)
        await teacher.send("step", epochs=1)
        await watcher.until(lambda: any(f["epoch"] == 5 for f in watcher.frames[mark:]))
        roster = await teacher.text(
            "roster", lambda d: any(s["mode"] == "fork" for s in d["students"])
        )
        await forker.send("refollow")
        await forker.text("you", lambda d: d["mode"] == "follow", after=len(forker.texts) - 1)
        await forker.until(lambda: forker.frames[-1]["epoch"] == 5)
        # Push: every student on host b gets their own session of the pushed config.
        await teacher.send("push", title="Spiral", config={"dataset": "spiral"})
        for s in (forker, watcher, kicked):
            pushed = await s.text("pushed")
            assert pushed["scenario"]["title"] == "Spiral"
            await s.text("config", lambda d: d["config"]["dataset"] == "spiral")
        # Kick a student on the other host by the roster's ref.
        ref = next(s["member"] for s in roster["students"] if s["name"] == "s1")
        await teacher.send("kick", member=ref)
        assert (await kicked.closing())[0] == CloseCode.KICKED
        await teacher.text("roster", lambda d: len(d["students"]) == 2)
        # End: students on host b are closed, and no host lets anyone in again.
        await teacher.send("end")
        for s in (forker, watcher):
            assert (await s.closing())[0] == CloseCode.ROOM_ENDED
        for server in (a, b):
            late = await Client.join(server, room["code"], name="late")
            code, _ = await late.closing()
            assert code in (CloseCode.ROOM_ENDED, CloseCode.ROOM_UNKNOWN)

    run(main())


def test_the_instructor_on_a_host_that_does_not_run_the_live_run_still_drives_it(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room = a.new_room()  # host a loads the room first: it runs the live run
        watcher = await Client.join(a, room["code"], name="w")
        await watcher.until(lambda: watcher.frames)
        teacher = await Client.join(b, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        await teacher.send("configure", learning_rate=0.1)
        await watcher.text("config", lambda d: d["config"]["learning_rate"] == 0.1)
        await teacher.send("ping")  # answered through the host that runs the live run
        await teacher.text("pong")
        await teacher.send("configure", learning_rate=-1)
        error = await teacher.text("error")
        assert error["code"] == "invalid_field" and error["field"] == "learning_rate"
        await teacher.send("lock")
        status = await watcher.text("room", lambda d: d["locked"])
        assert status["students"] == 1
        refused = await Client.join(b, room["code"], name="x")
        assert (await refused.closing())[0] == CloseCode.ROOM_LOCKED

    run(main())


def test_a_redis_outage_shows_on_the_room_and_the_room_recovers(hosts, redis_server):
    a, b, c = hosts("a"), hosts("b"), hosts("c")  # c never sees the room before the outage

    async def main():
        room, teacher, (student,) = await room_on_two_hosts(a, b, 1)
        await teacher.send("step", epochs=3)
        await student.until(lambda: any(f["epoch"] == 3 for f in student.frames))
        redis_server.stop()
        trouble = await student.text("room", lambda d: d["trouble"])
        assert "Redis" in trouble["trouble"]
        await teacher.text("room", lambda d: d["trouble"])
        # The instructor's own run goes on on its host; events across hosts are refused.
        await teacher.send("lock")
        error = await teacher.text("error", lambda d: d["request"] == "lock")
        assert error["code"] == "room_unavailable"
        # A host that does not know the room says rooms are unavailable, not "no such room".
        stranger = await Client.join(c, room["code"], name="x")
        error = await stranger.text("error")
        assert error["code"] == "rooms_unavailable" and "Redis" in error["message"]
        # Solo sessions are served all along.
        async with websockets.connect(f"{b.ws}/ws", compression=None) as solo:
            while not isinstance(await solo.recv(), bytes):
                pass  # until its first frame
        redis_server.start()  # empty: Redis kept nothing
        mark = len(student.texts)
        await student.text("room", lambda d: d["trouble"] is None, after=mark)
        await teacher.text("room", lambda d: d["trouble"] is None)
        await teacher.send("step", epochs=2)
        await student.until(lambda: any(f["epoch"] == 5 for f in student.frames))
        # The room's record was put back: a new student on host b can join by its code.
        late = await Client.join(b, room["code"], name="late")
        await late.until(lambda: any(f["epoch"] == 5 for f in late.frames))

    run(main())


def holding(store: redis.Redis, code: str) -> list[bytes]:
    """The processes whose part of the room's roster has students."""
    parts = store.hgetall(key(code, "parts"))
    return [p for p, v in parts.items() if json.loads(v)["students"]]


def test_two_workers_on_one_port_serve_one_room(live_server_factory, redis_server):
    server = live_server_factory(workers=2, redis_url=redis_server.url, room_creations=100)
    deadline = time.monotonic() + 60  # the second worker may start seconds after the first
    while server.log().count("Application startup complete.") < 2:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    request = urllib.request.Request(server.url + "/api/rooms", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as r:
        room = json.loads(r.read())
    host = Server.__new__(Server)  # the test client's view of it: its port
    host.port = server.port

    async def main():
        teacher = await Client.join(host, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        # Students join until both workers hold some (the balancer counts room followers,
        # so once both workers publish their loads, joins alternate between them).
        store = redis.Redis.from_url(redis_server.url)
        students: list[Client] = []
        while len(students) < 40 and len(holding(store, room["code"])) < 2:
            students.append(await Client.join(host, room["code"], name=f"s{len(students)}"))
            await students[-1].text("you")
            await teacher.text("roster", lambda d: len(d["students"]) == len(students))
        assert len(holding(store, room["code"])) == 2
        await teacher.send("step", epochs=3)
        for s in students:
            await s.until(lambda s=s: any(f["epoch"] == 3 for f in s.frames))
        await teacher.send("end")
        for s in students:
            assert (await s.closing())[0] == CloseCode.ROOM_ENDED

    run(main())


def test_a_student_who_reconnects_to_the_other_host_keeps_their_place(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room, teacher, (ada,) = await room_on_two_hosts(a, b, 1)
        you = await ada.text("you")
        await ada.close()
        await teacher.text("roster", lambda d: d["students"] and d["students"][0]["away"])
        mark = len(teacher.texts)
        again = await Client.join(a, room["code"], name="ignored", member=you["id"])
        back = await again.text("you")
        await again.until(lambda: again.frames)
        roster = await teacher.text(
            "roster", lambda d: len(d["students"]) == 1 and not d["students"][0]["away"], mark
        )
        return you, back, roster

    you, back, roster = run(main())
    assert (back["id"], back["name"]) == (you["id"], "s0")
    assert roster["students"][0]["name"] == "s0"


def test_when_the_host_running_the_live_run_stops_another_takes_it_over(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room, teacher, (student,) = await room_on_two_hosts(a, b, 1)
        await teacher.send("step", epochs=7)
        await student.until(lambda: any(f["epoch"] == 7 for f in student.frames))
        await teacher.close()
        a.stop()  # a restart of host a: its rooms are saved and its lease released
        mark = len(student.frames)
        teacher = await Client.join(b, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        # Host b runs the live run now, from the snapshot: it announces epoch 7 again...
        resumed = await student.until(lambda: student.frames[mark:])
        assert resumed[0]["epoch"] == 7
        await teacher.send("step", epochs=1)  # ...and the instructor drives it there
        return await student.until(
            lambda: next((f for f in student.frames[mark:] if f["epoch"] >= 8), None)
        )

    frame = run(main())
    assert frame["epoch"] == 8
