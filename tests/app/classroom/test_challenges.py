"""Challenges on a real server over real websockets: post, submit, rank, limits, export,
and a restart that keeps every submission."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from app.classroom.challenge_store import CSV_HEADER
from app.classroom.store import Store
from app.settings import Settings
from engine.challenge import Challenge, hidden_test_set
from tests.app.classroom.server import Client, run

# The server fixture runs with the default limits.
SUBMITS_PER_MINUTE = Settings.model_fields["submits_per_minute"].default
XOR = {"title": "Split the quadrants", "dataset": "xor", "metric": "test_accuracy", "goal": 0.95}


async def teacher_of(server, room):
    teacher = await Client.join(server, room["code"], secret=room["secret"])
    await teacher.text("you", lambda d: d["role"] == "instructor")
    return teacher


async def own_copy(server, room, name, **join):
    """A student on their own session (fork), with the challenge announced to them."""
    s = await Client.join(server, room["code"], name=name, **join)
    await s.text("you", lambda d: d["mode"] == "follow")
    await s.send("fork")
    await s.text("you", lambda d: d["mode"] == "fork")
    return s


async def sign_rule(s: Client, weight: float, features=("x1_x2",)) -> None:
    """No hidden layer, the given features, every weight `weight`, bias 0 (paused)."""
    await s.send("configure", dataset="xor", noise=0, hidden=[], features=list(features))
    await s.text("config", lambda d: d["config"]["hidden"] == [])
    for i in range(len(features)):
        await s.send("set_weight", layer=1, source=i, target=0, value=weight)
    await s.send("set_bias", layer=1, neuron=0, value=0.0)


async def with_challenge(server, **rules):
    """A new room, its instructor, and the XOR challenge posted."""
    room = server.new_room()
    teacher = await teacher_of(server, room)
    await teacher.send("challenge", **XOR, **rules)
    await teacher.text("challenge")  # posted: a submit from now on is measured against it
    return room, teacher


def stored_challenge(server) -> Challenge:
    """The posted challenge as the server stored it, secret seed included (the test reads
    the server's own SQLite file to recompute the hidden figures independently)."""
    store = Store.open(server.data_dir)
    try:
        rows, _ = store.execute("SELECT spec FROM challenges ORDER BY id DESC LIMIT 1")
    finally:
        store.close()
    spec = json.loads(rows[0][0])
    seed = spec.pop("test_seed")
    return Challenge.from_dict(spec, seed)


def test_a_posted_challenge_reaches_every_student_without_its_secret(server):
    async def main():
        room = server.new_room()
        teacher = await teacher_of(server, room)
        follower = await Client.join(server, room["code"], name="fol")
        forked = await own_copy(server, room, "fork")
        await teacher.send("challenge", **XOR, max_neurons=4, features=["x1", "x2", "x1_x2"])
        for c in (teacher, follower, forked):
            posted = (await c.text("challenge"))["challenge"]
            assert posted["dataset"] == "xor" and posted["goal"] == 0.95
            assert posted["goal_text"] == "test accuracy ≥ 95.0 %"
            assert posted["config"]["dataset"] == "xor"
            assert "test_seed" not in posted
        raw = json.dumps(forked.texts)
        assert str(stored_challenge(server).test_seed) not in raw
        # A late joiner is told at once, with the (empty) leaderboard.
        late = await Client.join(server, room["code"], name="late")
        assert (await late.text("challenge"))["challenge"]["title"] == XOR["title"]
        assert (await late.text("leaderboard"))["entries"] == []

    run(main())


def test_the_leaderboard_shows_what_the_server_measured_whatever_the_client_claims(server):
    async def main():
        room, teacher = await with_challenge(server)
        good = await own_copy(server, room, "good")
        liar = await own_copy(server, room, "liar")
        await sign_rule(good, 5.0)  # exactly xor's labelling: accuracy 1 at noise 0
        await sign_rule(liar, 0.0, features=("x1", "x2"))  # tanh(0) = 0: class 1 everywhere
        claim = {"value": 1.0, "test_accuracy": 1.0, "goal_met": True, "rank": 1}
        await liar.send("submit", **claim)
        lie = await liar.text("verdict")
        await good.send("submit")
        truth = await good.text("verdict")
        return lie, truth, teacher

    lie, truth, teacher = run(main())
    _, y = hidden_test_set(stored_challenge(server))
    assert lie["value"] == pytest.approx(np.mean(y == 1))  # the closed form, not the claim
    assert lie["value"] < 0.95 and not lie["goal_met"]
    assert lie["message"].startswith("Not yet: the server measured test accuracy")
    assert truth["value"] == 1.0 and truth["goal_met"] and truth["rank"] == 1
    assert "Goal reached" in truth["message"] and "1st of 2" in truth["message"]
    board = [m["data"] for m in teacher.texts if m["type"] == "leaderboard"][-1]
    assert [(e["rank"], e["name"], e["value"]) for e in board["entries"]] == [
        (1, "good", 1.0),
        (2, "liar", lie["value"]),
    ]


def test_broken_rules_rank_below_every_network_within_them(server):
    async def main():
        room, teacher = await with_challenge(server, features=["x1", "x2"], max_neurons=2)
        cheat = await own_copy(server, room, "cheat")
        honest = await own_copy(server, room, "honest")
        await sign_rule(cheat, 5.0)  # perfect, but with a feature the challenge forbids
        await sign_rule(honest, 0.0, features=("x1", "x2"))
        await cheat.send("submit")
        verdict = await cheat.text("verdict")
        await honest.send("submit")
        await honest.text("verdict")
        board = await teacher.text("leaderboard", lambda d: d["submissions"] == 2)
        return verdict, board

    verdict, board = run(main())
    assert verdict["value"] == 1.0 and not verdict["goal_met"] and not verdict["within_rules"]
    assert "x1_x2" in verdict["message"] and "breaks the rules" in verdict["message"]
    assert [e["name"] for e in board["entries"]] == ["honest", "cheat"]


def test_who_may_post_and_submit_and_bad_fields_are_named(server):
    async def main():
        room = server.new_room()
        teacher = await teacher_of(server, room)
        follower = await Client.join(server, room["code"], name="fol")
        await follower.text("you")
        await follower.send("submit")
        none_yet = await follower.text("error")
        mark = len(follower.texts)
        await follower.send("challenge", **XOR)
        not_yours = await follower.text("error", after=mark)
        await teacher.send("challenge", **{**XOR, "goal": 95})
        bad = await teacher.text("error")
        await teacher.send("challenge", **XOR)
        await follower.text("challenge")
        mark = len(follower.texts)
        await follower.send("submit")
        following = await follower.text("error", after=mark)
        await teacher.send("submit")
        teacher_submits = await teacher.text("error", lambda d: d["message"].startswith("stud"))
        return none_yet, not_yours, bad, following, teacher_submits

    none_yet, not_yours, bad, following, teacher_submits = run(main())
    assert none_yet["code"] == "no_challenge"
    assert not_yours["code"] == "forbidden"
    assert bad["code"] == "invalid_field" and bad["field"] == "goal" and "0 to 1" in bad["message"]
    assert following["code"] == "forbidden" and "own copy" in following["message"]
    assert teacher_submits["code"] == "forbidden"


def test_submissions_per_student_per_minute_are_bounded(server):
    async def main():
        room, teacher = await with_challenge(server)
        s = await own_copy(server, room, "eager")
        for _ in range(SUBMITS_PER_MINUTE):
            mark = len(s.texts)
            await s.send("submit")
            answer = await s.until(
                lambda mark=mark: next(
                    (m for m in s.texts[mark:] if m["type"] in ("verdict", "error")), None
                )
            )
            assert answer["type"] == "verdict", answer
        await s.send("submit")
        refused = await s.text("error")
        # Another student is not held back by it.
        other = await own_copy(server, room, "other")
        await other.send("submit")
        await other.text("verdict")
        board = await teacher.text(
            "leaderboard", lambda d: d["submissions"] == SUBMITS_PER_MINUTE + 1
        )
        return refused, board

    refused, board = run(main())
    assert refused["code"] == "rate_limited" and "a minute" in refused["message"]
    assert board["students"] == 2


def test_submissions_survive_a_restart_and_export_as_csv(start_server):
    server = start_server()

    async def before():
        room, teacher = await with_challenge(server)
        students = {name: await own_copy(server, room, name) for name in ("ada", "bob")}
        verdicts = []
        for name, weight in (("ada", 5.0), ("bob", -5.0), ("ada", 0.0)):
            s = students[name]
            await sign_rule(s, weight)
            mark = len(s.texts)
            await s.send("submit")
            verdicts.append(await s.text("verdict", after=mark))
        board = await teacher.text("leaderboard", lambda d: d["submissions"] == 3)
        return room, verdicts, board

    room, verdicts, board = run(before())
    assert [v["value"] for v in verdicts][:2] == [1.0, 0.0]
    assert "your best submission" in verdicts[2]["message"]  # ada's first one still counts
    assert [(e["name"], e["value"]) for e in board["entries"]] == [("ada", 1.0), ("bob", 0.0)]
    server.stop()
    again = start_server(PLAYGROUND_DATA_DIR=str(server.data_dir))

    async def after():
        late = await Client.join(again, room["code"], name="late")
        posted = await late.text("challenge")
        return posted, await late.text("leaderboard")

    posted, board_after = run(after())
    assert board_after["entries"] == board["entries"]
    challenge_id = posted["challenge"]["id"]

    path = f"/api/rooms/{room['code']}/challenges/{challenge_id}/submissions.csv"
    status, body = again.post(path, {"secret": "wrong"})
    assert status == 403
    status, body = again.post(path, {})
    assert status == 403
    status, text, headers = _post_raw(again, path, {"secret": room["secret"]})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_HEADER)
    assert [r["name"] for r in rows] == ["ada", "bob", "ada"]
    assert [float(r["value"]) for r in rows] == [v["value"] for v in verdicts]
    assert [r["goal_met"] for r in rows] == ["1", "0", "0"]
    assert {r["metric"] for r in rows} == {"test_accuracy"}
    missing = f"/api/rooms/{room['code']}/challenges/{challenge_id + 99}/submissions.csv"
    assert again.post(missing, {"secret": room["secret"]})[0] == 404


def _post_raw(server, path: str, body: dict) -> tuple[int, str, dict[str, str]]:
    import urllib.request

    req = urllib.request.Request(server.base + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode(), {k.lower(): v for k, v in r.headers.items()}
