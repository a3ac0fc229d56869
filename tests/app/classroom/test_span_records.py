"""What rooms save, seen from every host: share links, challenges and submissions, pushed
scenarios. Two real servers with their own data directories (two hosts) share a real
redis-server; everything travels over real HTTP and websockets."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import urllib.request

from app.classroom.redis_store import SharedStore
from tests.app.classroom.server import Client, Server, run
from tests.app.classroom.test_challenges import XOR, own_copy, sign_rule, teacher_of
from tests.redis_server import RedisServer


async def shared_link(server: Server, room: dict, name: str) -> str:
    """A student of `room` on `server` shares what they see; the link's id."""
    s = await Client.join(server, room["code"], name=name)
    await s.until(lambda: s.frames)
    await s.send("share")
    return (await s.text("shared"))["id"]


def csv_rows(server: Server, room: dict, challenge_id: int) -> tuple[int, list[dict]]:
    path = f"/api/rooms/{room['code']}/challenges/{challenge_id}/submissions.csv"
    body = json.dumps({"secret": room["secret"]}).encode()
    request = urllib.request.Request(server.base + path, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, list(csv.DictReader(io.StringIO(r.read().decode())))
    except urllib.error.HTTPError as e:
        return e.code, []


def stored_size(state: dict) -> int:
    """The bytes a share link's state takes in the store (its canonical JSON)."""
    return len(json.dumps(state, separators=(",", ":"), sort_keys=True))


def test_a_share_link_made_on_one_host_opens_on_the_other_and_counts_there(hosts):
    a = hosts("a")

    async def on_a():
        room = a.new_room()
        teacher = await teacher_of(a, room)
        link = await shared_link(a, room, "ada")
        # The same state shared again from host b is the same link (stored once).
        b = hosts("b")
        again = await shared_link(b, room, "bob")
        await teacher.send("step", epochs=3)
        await teacher.until(lambda: any(f["epoch"] == 3 for f in teacher.frames))
        return room, link, again, b

    room, link, again, b = run(on_a())
    assert again == link
    status, shared, _ = b.get(f"/api/snapshots/{link}")
    assert status == 200
    state = json.loads(shared)["state"]
    assert state["trainer"]["epoch"] == 0  # what ada saw when she shared it
    # The quota counts every host's links: host c may hold one and a half of these, so a
    # second, different state (epoch 3) is refused there although host c stored nothing.
    quota_mb = 1.5 * stored_size(state) / 2**20
    c = hosts("c", PLAYGROUND_SHARE_QUOTA_MB=repr(quota_mb))

    async def on_c():
        s = await Client.join(c, room["code"], name="cy")
        await s.until(lambda: any(f["epoch"] == 3 for f in s.frames))
        await s.send("share")
        return await s.text("error", lambda d: d["request"] == "share")

    error = run(on_c())
    assert error["code"] == "storage_full"
    status, body = c.post("/api/snapshots", {"state": state})  # the stored one: no new bytes
    assert (status, body["id"]) == (200, link)


def test_share_links_per_address_are_counted_over_every_host(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room = a.new_room()
        await teacher_of(a, room)
        students = [await Client.join(h, room["code"], name=f"s{i}") for i, h in enumerate((a, b))]
        for s in students:
            await s.until(lambda s=s: s.frames)
        for i in range(10):  # 10 a minute per address (docs/classroom.md), 5 on each host
            s = students[i % 2]
            mark = len(s.texts)
            await s.send("share")
            await s.text("shared", after=mark)
        await students[1].send("share")
        return await students[1].text("error", lambda d: d["request"] == "share")

    error = run(main())
    assert error["code"] == "rate_limited" and "share links" in error["message"]


def test_a_share_link_nobody_opens_expires_on_every_host(hosts):
    # Host b deletes links unopened for 0.5 s; a link made on host a is one of them.
    a, b = hosts("a"), hosts("b", PLAYGROUND_SHARE_DAYS=repr(0.5 / 86400))

    async def main():
        room = a.new_room()
        await teacher_of(a, room)
        return await shared_link(a, room, "ada")

    link = run(main())
    assert a.get(f"/api/snapshots/{link}")[0] == 200
    deadline = time.monotonic() + 60
    while b.get(f"/api/snapshots/{link}")[0] == 200:  # opened: kept another 0.5 s
        assert time.monotonic() < deadline
        time.sleep(0.6)
    assert a.get(f"/api/snapshots/{link}")[0] == 404  # gone for every host


def test_submissions_on_one_host_rank_and_export_on_the_other_and_survive_restarts(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room = a.new_room()
        teacher = await teacher_of(a, room)
        await teacher.send("challenge", **XOR)
        posted = await teacher.text("challenge")
        ada = await own_copy(b, room, "ada")
        await sign_rule(ada, 5.0)
        await ada.send("submit")
        verdict = await ada.text("verdict")
        board = await teacher.text("leaderboard", lambda d: d["submissions"] == 1)
        return room, posted["challenge"]["id"], verdict, board

    room, challenge_id, verdict, board = run(main())
    assert verdict["value"] == 1.0 and board["entries"][0]["name"] == "ada"
    status, rows = csv_rows(a, room, challenge_id)  # host a measured nothing itself
    assert status == 200 and [(r["name"], r["value"]) for r in rows] == [("ada", "1.0")]
    # Restart both hosts: the leaderboard and the CSV come back on either.
    a.stop()
    b.stop()
    a, b = hosts("a"), hosts("b")
    for server in (b, a):
        status, rows = csv_rows(server, room, challenge_id)
        assert status == 200 and [r["name"] for r in rows] == ["ada"]

    async def after():
        late = await Client.join(a, room["code"], name="late")
        return await late.text("leaderboard")

    assert run(after())["entries"] == board["entries"]


def test_a_pushed_scenario_is_stored_where_every_host_reads_it(hosts, redis_server):
    a, b = hosts("a"), hosts("b")

    async def main():
        room = a.new_room()
        student = await Client.join(a, room["code"], name="ada")
        await student.until(lambda: student.frames)
        teacher = await Client.join(b, room["code"], secret=room["secret"])
        await teacher.text("you", lambda d: d["role"] == "instructor")
        await teacher.send("push", title="Spiral", config={"dataset": "spiral"})
        return room, (await student.text("pushed"))["scenario"]

    room, pushed = run(main())
    # Read as host a reads its store (its data directory, the shared Redis).
    store = SharedStore.open_shared(a.data_dir, redis_server.url)
    try:
        stored = store.scenarios(room["code"])
    finally:
        store.close()
    assert [(s["id"], s["title"], s["config"]) for s in stored] == [
        (pushed["id"], "Spiral", {"dataset": "spiral"})
    ]


def test_while_redis_is_down_saves_are_refused_clearly_and_nothing_saved_is_lost(hosts, tmp_path):
    (tmp_path / "redis").mkdir()
    redis = RedisServer(tmp_path / "redis", persist=True).start()  # appendonly, as deployed
    try:
        a, b = hosts("a", redis.url), hosts("b", redis.url)

        async def main():
            room = a.new_room()
            await teacher_of(a, room)
            student = await Client.join(b, room["code"], name="ada")
            await student.until(lambda: student.frames)
            await student.send("share")
            link = (await student.text("shared"))["id"]
            state = json.loads(b.get(f"/api/snapshots/{link}")[1])["state"]
            await asyncio.to_thread(redis.stop)
            status, body, _ = await asyncio.to_thread(b.get, f"/api/snapshots/{link}")
            assert status == 503 and b"Redis" in body  # unreachable, not "no such link"
            status, body = await asyncio.to_thread(a.post, "/api/snapshots", {"state": state})
            assert status == 503 and "try again" in body["detail"]
            await student.text("room", lambda d: d["trouble"])
            await student.send("share")
            error = await student.text("error", lambda d: d["request"] == "share")
            assert error["code"] == "storage_unavailable" and "try again" in error["message"]
            await asyncio.to_thread(redis.start)
            return link, state

        link, state = run(main())
        for server in (a, b):
            status, body, _ = server.get(f"/api/snapshots/{link}")
            assert status == 200 and json.loads(body)["state"] == state
        assert a.post("/api/snapshots", {"state": state})[1]["id"] == link
    finally:
        redis.stop()
