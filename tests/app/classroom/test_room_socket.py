"""A real server and real websockets: follow, fork isolation, push, refusals, limits."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
import websockets

from app.classroom.parts import READ_ONLY
from app.classroom.store import Store
from app.connection import SOCKET_MESSAGES
from app.protocol import MESSAGE_TYPES
from tests.app.classroom.server import Client, run


async def instructor_and_students(server, n: int):
    room = server.new_room()
    teacher = await Client.join(server, room["code"], secret=room["secret"])
    await teacher.text("you", lambda d: d["role"] == "instructor")
    students = [await Client.join(server, room["code"], name=f"s{i}") for i in range(n)]
    for s in students:
        await s.until(lambda s=s: s.frames)  # the current run has arrived
    return room, teacher, students


def test_every_student_follows_the_instructors_changes(server):
    async def main():
        room, teacher, students = await instructor_and_students(server, 3)
        await teacher.send("configure", learning_rate=0.3, hidden=[3])
        for s in students:
            cfg = await s.text("config", lambda d: d["config"]["learning_rate"] == 0.3)
            assert cfg["config"]["hidden"] == [3]
            await s.until(lambda s=s: any(len(f["weights_shape"]) for f in []) or s.frames)
        marks = [len(s.frames) for s in students]
        await teacher.send("step", epochs=5)
        for s, mark in zip(students, marks, strict=True):
            frame = await s.until(
                lambda s=s, mark=mark: next((f for f in s.frames[mark:] if f["epoch"] == 5), None)
            )
            assert frame["sent_at"] <= frame["received_at"]
        roster = await teacher.text("roster", lambda d: len(d["students"]) == 3)
        assert sorted(x["name"] for x in roster["students"]) == ["s0", "s1", "s2"]
        # Fanned-out frames travel compressed once (zframes).
        assert all(s.zframes == len(s.frames) for s in students)

    run(main())


def test_the_instructor_pushes_a_lesson_and_every_student_sees_its_checks(server):
    async def main():
        room, teacher, students = await instructor_and_students(server, 2)
        await teacher.send("lesson", id="l1-l2")
        for s in students:
            cfg = await s.text("config", lambda d: d["config"]["regularization"] == "l1")
            assert cfg["config"]["stop_at"] == 100
        await teacher.send("play")
        for s in students:
            frame = await s.until(
                lambda s=s: next(
                    (f for f in s.frames if f.get("state") == "paused" and f["epoch"] == 100), None
                )
            )
            assert frame["lesson"]["id"] == "l1-l2"
            assert [c["met"] for c in frame["lesson"]["checks"]] == [True, True]

    run(main())


def test_frame_compression_can_be_turned_off(start_server):
    server = start_server(PLAYGROUND_ROOM_COMPRESS_FRAMES="0")

    async def main():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        await teacher.send("step", epochs=2)
        await student.until(lambda: any(f["epoch"] == 2 for f in student.frames))
        return student

    student = run(main())
    assert student.zframes == 0 and student.frames


def test_a_late_joiner_gets_the_input_maps_sent_only_after_the_last_rebuild(server):
    def has_inputs(frame):
        return any(a["name"] == "inputs" for a in frame["arrays"])

    async def main():
        room, teacher, _ = await instructor_and_students(server, 0)
        await teacher.send("configure", hidden=[3])
        await teacher.send("step", epochs=5)
        await teacher.until(lambda: any(f["epoch"] == 5 for f in teacher.frames))
        await teacher.send("step", epochs=3)  # a later frame, without the input maps
        await teacher.until(lambda: any(f["epoch"] == 8 for f in teacher.frames))
        late = await Client.join(server, room["code"], name="late")
        await late.until(lambda: any(f["epoch"] == 8 for f in late.frames))
        return teacher.frames, late.frames

    sent, frames = run(main())
    # The rebuild's frame carried the input maps (at epoch 0, or 5 if the server coalesced).
    rebuild = [f for f in sent if has_inputs(f)][-1]
    assert rebuild["epoch"] < 8 and not has_inputs(sent[-1])
    # It was kept apart from the newest frame, so the late joiner got both.
    with_inputs = [f for f in frames if has_inputs(f)]
    assert [f["epoch"] for f in with_inputs] == [rebuild["epoch"]]
    assert frames[-1]["epoch"] == 8
    neurons = next(a for a in with_inputs[0]["arrays"] if a["name"] == "neurons")
    assert neurons["shape"][0] == 3 + 1  # of the current network, not an older one


def test_room_frames_carry_thumbnails_only_when_they_moved_and_late_joiners_get_them(server):
    async def step(client, epoch):
        await client.send("step", epochs=1)
        await client.until(lambda: any(f["epoch"] == epoch for f in client.frames))

    async def main():
        room, teacher, _ = await instructor_and_students(server, 0)
        await teacher.send("configure", hidden=[3], learning_rate=1e-6)  # maps stand still
        await step(teacher, 1)
        await step(teacher, 2)
        mark = len(teacher.frames)
        await teacher.send("set_weight", layer=1, source=0, target=0, value=3.0)
        await teacher.until(lambda: len(teacher.frames) > mark)
        await step(teacher, 3)
        late = await Client.join(server, room["code"], name="late")
        await late.until(lambda: any(f["epoch"] == 3 for f in late.frames))
        return teacher, late, mark

    teacher, late, mark = run(main())
    rebuild = max(i for i, a in enumerate(teacher.arrays) if "inputs" in a)
    sent = [a.get("neurons") for a in teacher.arrays]
    assert sent[rebuild] is not None  # after a rebuild: every thumbnail
    assert rebuild < mark - 1  # (the epoch-2 frame came after it)
    assert all(n is None for n in sent[rebuild + 1 : mark])  # still: left out
    moved = sent[mark]  # set_weight's frame
    assert moved is not None and not np.array_equal(moved, sent[rebuild])  # moved: sent
    assert teacher.frames[-1]["epoch"] == 3 and sent[-1] is None  # step 3's: still
    # The late joiner holds the thumbnails last sent (retained apart from newer frames).
    got = [a["neurons"] for a in late.arrays if "neurons" in a]
    np.testing.assert_array_equal(got[-1], [n for n in sent if n is not None][-1])
    assert late.frames[-1]["epoch"] == 3


def test_a_forked_students_changes_never_reach_the_room(server):
    async def main():
        room, teacher, (forker, watcher) = await instructor_and_students(server, 2)
        await teacher.send("step", epochs=3)
        await watcher.until(lambda: any(f["epoch"] == 3 for f in watcher.frames))
        await forker.until(lambda: any(f["epoch"] == 3 for f in forker.frames))
        mark = len(forker.frames)  # the room is paused: later frames are the fork's
        await forker.send("fork")
        await forker.text("you", lambda d: d["mode"] == "fork")
        # The fork starts from the live run's weights and epoch.
        first = await forker.until(lambda: forker.frames[mark:] and forker.frames[mark])
        assert first["epoch"] == 3
        watched = len(watcher.texts), len(watcher.frames)
        await forker.send("configure", learning_rate=5.0, hidden=[7])
        await forker.send("step", epochs=4)
        # hidden=[7] rebuilds the network (epoch 0), then 4 epochs are trained.
        await forker.until(lambda: any(f["epoch"] == 4 for f in forker.frames[mark + 1 :]))
        await forker.text("config", lambda d: d["config"]["learning_rate"] == 5.0)
        # The room still runs its own config: check through the instructor's export.
        await teacher.send("export")
        state = await teacher.text("state")
        assert state["state"]["trainer"]["config"]["hidden"] != [7]
        assert state["state"]["trainer"]["config"]["learning_rate"] != 5.0
        new_texts = watcher.texts[watched[0] :]
        assert not any(m["type"] == "config" for m in new_texts)
        assert all(f["epoch"] <= 3 for f in watcher.frames[watched[1] :])
        # Re-follow: back to the live run.
        await teacher.send("configure", learning_rate=0.2)
        await forker.send("refollow")
        await forker.text("you", lambda d: d["mode"] == "follow")
        await forker.text("config", lambda d: d["config"]["learning_rate"] == 0.2)

    run(main())


def test_push_starts_the_scenario_in_every_students_own_session(server):
    async def main():
        room, teacher, students = await instructor_and_students(server, 3)
        scenario = {"dataset": "xor", "hidden": []}
        await teacher.send("push", title="xor without hidden layers", config=scenario)
        for s in students:
            pushed = await s.text("pushed")
            assert pushed["scenario"]["title"] == "xor without hidden layers"
            await s.text("you", lambda d: d["mode"] == "fork")
            await s.text("config", lambda d: d["config"]["dataset"] == "xor")
        # Each student now drives their own copy; the room is untouched.
        await students[0].send("configure", hidden=[4])
        await students[0].text("config", lambda d: d["config"]["hidden"] == [4])
        await teacher.send("export")
        state = await teacher.text("state")
        assert state["state"]["trainer"]["config"]["dataset"] == "circle"

    run(main())


def test_a_bad_push_is_answered_with_an_error_naming_the_field(server):
    async def main():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        await teacher.send("push", title="bad", config={"learning_rate": 99})
        error = await teacher.text("error")
        assert error["field"] == "learning_rate" and error["request"] == "push"
        assert "pushed" not in student.types()

    run(main())


STUDENT_REFUSED = sorted(
    (set(MESSAGE_TYPES) - READ_ONLY - set(SOCKET_MESSAGES))
    | {"lock", "unlock", "end", "kick", "push", "roster"}
)


def test_a_following_student_is_refused_every_control_message(server):
    async def main():
        room, teacher, (student, other) = await instructor_and_students(server, 2)
        for kind in STUDENT_REFUSED:
            data = {"member": "s1"} if kind == "kick" else {}
            await student.send(kind, **data)
            error = await student.text("error", lambda d, k=kind: d["request"] == k)
            assert error["code"] == "forbidden", kind
        await student.send("view", max_fps=24)  # about the socket, not the room's run
        await student.send("ping", t=1)
        await student.text("pong")
        assert not [
            m for m in student.texts if m["type"] == "error" and m["data"]["request"] == "view"
        ]
        await teacher.send("export")
        state = await teacher.text("state")
        assert state["state"]["trainer"]["epoch"] == 0
        assert other.closed is None and student.closed is None
        # The room was neither locked nor ended: a newcomer still gets in.
        late = await Client.join(server, room["code"], name="late")
        await late.text("you")

    run(main())


def test_a_wrong_secret_is_refused_and_the_secret_never_reaches_students(start_server):
    server = start_server()  # its own: the log is read after stopping it

    async def main():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        bad = await Client.join(server, room["code"], secret="x" * 32)
        code, _ = await bad.closing()
        assert code == 4105
        await teacher.send("step", epochs=1)
        await student.until(lambda: any(f["epoch"] == 1 for f in student.frames))
        return room, student

    room, student = run(main())
    assert room["secret"] not in repr(student.texts) + repr(student.frames)
    server.stop()
    assert room["secret"] not in server.log()


def test_guessing_join_codes_is_slowed_but_a_right_code_always_gets_in(start_server):
    # 5 wrong codes per 5 s; past them a wrong answer comes after 5 / 5 = 1 s.
    server = start_server(PLAYGROUND_JOIN_FAILURES="5", PLAYGROUND_JOIN_WINDOW="5")

    async def main():
        room = server.new_room()
        codes = []
        for guess in ["AAAAAA", "CCCCCC", "DDDDDD", "EEEEEE", "FFFFFF"]:
            c = await Client.join(server, guess, name="guesser")
            codes.append((await c.closing())[0])
        # The budget is spent; the class behind this address still gets in at once.
        right = await Client.join(server, room["code"], name="student")
        assert (await right.text("you"))["name"] == "student"
        start = time.monotonic()
        late = await Client.join(server, "GGGGGG", name="guesser")
        assert (await late.closing())[0] == 4100
        slowed = time.monotonic() - start
        # Many guesses at once: only a few may wait; the rest are refused outright.
        many = [await Client.join(server, f"HHHHH{c}", name="g") for c in "34679ACDEFGH"]
        closes = [(await c.closing())[0] for c in many]
        return codes, slowed, closes

    codes, slowed, closes = run(main())
    assert codes == [4100] * 5
    assert slowed >= 1.0
    assert 4106 in closes and set(closes) <= {4100, 4106}


def test_lock_kick_and_end(server):
    async def main():
        room, teacher, (a, b) = await instructor_and_students(server, 2)
        await teacher.send("lock")
        await a.text("room", lambda d: d["locked"])
        late = await Client.join(server, room["code"], name="late")
        assert (await late.closing())[0] == 4102
        await teacher.send("unlock")
        await a.text("room", lambda d: not d["locked"])
        roster = await teacher.text("roster", lambda d: len(d["students"]) == 2)
        s0 = next(x["member"] for x in roster["students"] if x["name"] == "s0")
        await teacher.send("kick", member=s0)
        assert (await a.closing())[0] == 4104
        await teacher.text("roster", lambda d: [x["name"] for x in d["students"]] == ["s1"])
        again = await Client.join(server, room["code"], name="S0")
        assert (await again.closing())[0] == 4104
        await teacher.send("end")
        assert (await b.closing())[0] == 4101
        assert (await teacher.closing())[0] == 4101
        after = await Client.join(server, room["code"], name="after")
        assert (await after.closing())[0] == 4101  # ended, said as such

    run(main())


def test_an_ended_room_is_said_to_have_ended_after_it_was_unloaded(start_server):
    server = start_server()

    async def end():
        room, teacher, _ = await instructor_and_students(server, 1)
        await teacher.send("end")
        assert (await teacher.closing())[0] == 4101
        return room

    room = run(end())
    server.stop()  # the ended room is no longer loaded anywhere: only its record says it ended
    server.start()

    async def late():
        after = await Client.join(server, room["code"], name="after")
        return await after.text("error"), await after.closing()

    error, (code, _) = run(late())
    assert code == 4101 and error["code"] == "room_ended"
    status, body, _ = server.get(f"/api/rooms/{room['code']}/qr.svg")
    assert status == 410 and b"ended" in body


def test_room_and_server_limits_give_clear_messages(start_server):
    server = start_server(PLAYGROUND_MAX_STUDENTS="2", PLAYGROUND_MAX_ROOMS="1")

    async def main():
        room, teacher, students = await instructor_and_students(server, 2)
        third = await Client.join(server, room["code"], name="third")
        error = await third.text("error")
        return error, await third.closing()

    error, (code, _) = run(main())
    assert code == 4103 and "2 students" in error["message"]
    status, body = server.post("/api/rooms")
    assert status == 503 and "limit of 1 rooms" in body["detail"]


def test_room_creation_is_limited_per_client_address(start_server):
    server = start_server(PLAYGROUND_ROOM_CREATIONS="2")
    assert [server.post("/api/rooms")[0] for _ in range(2)] == [200, 200]
    status, body = server.post("/api/rooms")
    assert status == 429 and "too many new rooms: at most 2 per 600 s" in body["detail"]


@pytest.mark.parametrize("name", ["", " ", "x" * 33, "a\nb"])
def test_bad_display_names_are_refused_naming_the_field(server, name):
    async def main():
        room = server.new_room()
        c = await Client.join(server, room["code"], name=name)
        if not name.strip():
            return await c.text("you")  # an empty name gets a generated one
        return await c.text("error")

    result = run(main())
    if name.strip():
        assert result["field"] == "name"
    else:
        assert result["name"].startswith("Student ")


def test_a_restart_keeps_rooms_live_state_and_share_links(start_server):
    server = start_server()

    async def before():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        await teacher.send("configure", learning_rate=0.5, hidden=[5])
        await teacher.send("step", epochs=6)
        await student.until(lambda: any(f["epoch"] == 6 for f in student.frames))
        await student.send("share")
        shared = await student.text("shared")
        return room, shared

    room, shared = run(before())
    server.stop()
    server.start()

    async def after():
        student = await Client.join(server, room["code"], name="back")
        cfg = await student.text("config")
        frame = await student.until(lambda: student.frames and student.frames[0])
        teacher = await Client.join(server, room["code"], secret=room["secret"])
        you = await teacher.text("you")
        return cfg, frame, you

    cfg, frame, you = run(after())
    assert cfg["config"]["learning_rate"] == 0.5 and cfg["config"]["hidden"] == [5]
    assert frame["epoch"] == 6
    assert you["role"] == "instructor"
    status, body, _ = server.get(f"/api/snapshots/{shared['id']}")
    assert status == 200
    import json

    state = json.loads(body)["state"]
    assert state["trainer"]["config"]["hidden"] == [5]
    assert state["trainer"]["epoch"] == 6


def test_the_room_page_has_a_strict_csp_and_the_qr_code_is_svg(server):
    room = server.new_room()
    status, body, headers = server.get(f"/room/{room['code']}")
    assert status == 200
    csp = headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    status, svg, headers = server.get(f"/api/rooms/{room['code']}/qr.svg")
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    assert svg.startswith(b"<svg")


def test_a_playing_room_is_saved_every_few_seconds_and_survives_a_crash(start_server):
    server = start_server(PLAYGROUND_SNAPSHOT_SECONDS="0.2")

    async def before():
        room, teacher, _ = await instructor_and_students(server, 0)
        await teacher.send("play")
        await teacher.until(lambda: any(f["epoch"] >= 40 for f in teacher.frames))
        seen = max(f["epoch"] for f in teacher.frames)
        # No structural change happened since the start: only the periodic save can store it.
        store = Store.open(server.data_dir)
        try:
            while (store.live_state(room["code"]) or {}).get("trainer", {}).get("epoch", 0) < seen:
                await asyncio.sleep(0.05)
        finally:
            store.close()
        return room, seen

    room, seen = run(before())
    server.kill()
    server.start()

    async def after():
        student = await Client.join(server, room["code"], name="back")
        status = await student.text("status")
        frame = await student.until(lambda: student.frames and student.frames[-1])
        return status, frame

    status, frame = run(after())
    assert frame["epoch"] >= seen
    assert status["state"] == "paused"  # resumed paused: the instructor presses play


def test_a_dropped_student_reconnects_to_the_same_fork(server):
    async def main():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        you = await student.text("you")
        await student.send("fork")
        await student.text("you", lambda d: d["mode"] == "fork")
        await student.send("configure", learning_rate=5.0)
        await student.text("config", lambda d: d["config"]["learning_rate"] == 5.0)
        await student.close()  # the connection drops
        await teacher.text("roster", lambda d: d["students"] and d["students"][0]["away"])
        mark = len(teacher.texts)
        back = await Client.join(server, room["code"], name="s0", member=you["id"])
        again = await back.text("you")
        cfg = await back.text("config")
        roster = await teacher.text(
            "roster", lambda d: d["students"] and not d["students"][0]["away"], after=mark
        )
        return again, cfg, roster

    again, cfg, roster = run(main())
    assert again["mode"] == "fork" and again["name"] == "s0"
    assert cfg["config"]["learning_rate"] == 5.0
    assert [s["name"] for s in roster["students"]] == ["s0"]


def test_a_bad_first_message_is_refused_and_leaving_before_joining_is_quiet(start_server):
    server = start_server()

    async def main():
        room = server.new_room()
        ws = await websockets.connect(f"{server.ws}/ws/room/{room['code']}")
        await ws.send(b"\x00binary")
        bad = Client(ws, "bad")
        error = await bad.text("error")
        code = (await bad.closing())[0]
        gone = await websockets.connect(f"{server.ws}/ws/room/{room['code']}")
        await gone.close()
        # The server is still fine: a proper join works.
        ok = await Client.join(server, room["code"], name="ok")
        await ok.text("you")
        return error, code

    error, code = run(main())
    assert code == 4107 and error["code"] == "invalid_message"
    server.stop()
    assert "Traceback" not in server.log()


def test_an_exported_state_can_be_shared_over_http_and_bad_ones_are_refused(server):
    async def export():
        room, teacher, _ = await instructor_and_students(server, 0)
        await teacher.send("configure", hidden=[3], dataset="xor")
        await teacher.send("step", epochs=4)
        await teacher.send("export")
        return (await teacher.text("state"))["state"]

    state = run(export())
    status, body = server.post("/api/snapshots", {"state": state})
    assert status == 200 and body["url"] == f"/s/{body['id']}"
    status, raw, _ = server.get(f"/api/snapshots/{body['id']}")
    assert json.loads(raw)["state"]["trainer"]["epoch"] == 4
    for bad in ({"state": {"trainer": {"nonsense": 1}}}, {"state": 3}, {}):
        status, error = server.post("/api/snapshots", bad)
        assert status == 422, bad
        assert "state" in error["detail"]
    too_big = dict(state, view={**state.get("view", {})})
    too_big["trainer"] = dict(state["trainer"])
    too_big["trainer"]["config"] = {**state["trainer"]["config"], "hidden": [64] * 12}
    status, error = server.post("/api/snapshots", {"state": too_big})
    assert status == 422


def test_the_run_goes_on_while_the_instructor_is_away_and_they_take_it_back(server):
    async def main():
        room, teacher, (student,) = await instructor_and_students(server, 1)
        await teacher.send("play")
        await teacher.close()
        away = await student.text("room", lambda d: not d["instructor_online"])
        mark = len(student.frames)
        await student.until(lambda: len(student.frames) > mark + 3)  # still training
        seen = len(student.texts)
        back = await Client.join(server, room["code"], secret=room["secret"])
        you = await back.text("you")
        online = await student.text("room", lambda d: d["instructor_online"], after=seen)
        await back.send("pause")
        await student.text("status", lambda d: d["state"] == "paused")
        return away, you, online

    away, you, online = run(main())
    assert you["mode"] == "control" and online["instructor_online"]


def test_pushing_the_current_run_copies_its_custom_data_to_every_student(server):
    async def main():
        room, teacher, students = await instructor_and_students(server, 2)
        points = [[1.0, 1.0, 1], [-1.0, -1.0, 0], [2.0, -2.0, 1], [-2.0, 2.0, 0]] * 3
        await teacher.send("clear_points")
        await teacher.send("add_points", points=points)
        await teacher.text("dataset", lambda d: len(d["points"]) == len(points))
        await teacher.send("push", title="your turn", current=True)
        out = []
        for s in students:
            await s.text("pushed", lambda d: d["scenario"]["title"] == "your turn")
            # The fork announces itself with `you`, then sends its own config and dataset.
            fork_at = next(
                i
                for i, m in enumerate(s.texts)
                if m["type"] == "you" and m["data"]["mode"] == "fork"
            )
            out.append(await s.text("dataset", after=fork_at))
        return out

    for dataset in run(main()):
        assert sorted(p[:3] for p in dataset["points"]) == sorted(
            [[1.0, 1.0, 1], [-1.0, -1.0, 0], [2.0, -2.0, 1], [-2.0, 2.0, 0]] * 3
        )
