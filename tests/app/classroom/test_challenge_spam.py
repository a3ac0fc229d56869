"""A student spamming `submit` on a real server: told the limit, and no one else slows down."""

from __future__ import annotations

import asyncio
import json
import time

from app.abuse import MAX_CONFIG
from tests.app.classroom.server import Client, run
from tests.app.classroom.test_challenges import SUBMITS_PER_MINUTE, own_copy, with_challenge

FRAMES = 45  # the other student's frames per measured stretch (1.5 s at 30 fps)
ROUNDS = 3  # stretches without and with the spam, in turn: the machine's load varies


async def stretch(s: Client) -> tuple[int, float]:
    """The other student's next FRAMES frames, and how long they took."""
    start, started = len(s.frames), time.perf_counter()
    await s.until(lambda: len(s.frames) >= start + FRAMES)
    return FRAMES, time.perf_counter() - started


def test_a_student_spamming_submit_is_refused_and_slows_no_one(server):
    async def main():
        room, _ = await with_challenge(server)
        calm = await own_copy(server, room, "calm")
        await calm.send("configure", fps=30)
        await calm.send("play")
        spammer = await own_copy(server, room, "spammer")
        await spammer.send("configure", **MAX_CONFIG)  # the costliest network to evaluate
        await spammer.text("config", lambda d: d["config"]["hidden"] == MAX_CONFIG["hidden"])
        await calm.until(lambda: len(calm.frames) > 10)  # playing
        spamming = asyncio.Event()

        async def spam():
            while True:
                await spamming.wait()
                await spammer.send("submit")
                await asyncio.sleep(0.01)  # as fast as the socket's message limit lets

        task = asyncio.create_task(spam())
        quiet, loud = [], []
        try:
            for _ in range(ROUNDS):
                spamming.clear()
                quiet.append(await stretch(calm))
                spamming.set()
                loud.append(await stretch(calm))
            refused = await spammer.text("error", lambda d: d["request"] == "submit")
        finally:
            task.cancel()
        verdicts = sum(m["type"] == "verdict" for m in spammer.texts)
        fps = [sum(n for n, _ in x) / sum(t for _, t in x) for x in (quiet, loud)]
        return fps, refused, verdicts

    (before, during), refused, verdicts = run(main())
    # At 30 fps without the spam, at least 25 with it: a ratio, since the machine may be
    # loaded (stretches in turn, so that a change of load falls on both alike).
    assert during >= before * 25 / 30, (before, during)
    assert refused["code"] == "rate_limited" and (
        "a minute" in refused["message"] or "share of the server's CPU" in refused["message"]
    )
    assert 0 < verdicts <= SUBMITS_PER_MINUTE


def test_the_room_limits_are_the_servers_settings(start_server):
    server = start_server(PLAYGROUND_SUBMITS_PER_MINUTE="2", PLAYGROUND_WALL_OPENINGS="1")
    status, body, _ = server.get("/api/options")
    assert status == 200
    assert json.loads(body)["challenges"]["limits"]["submits_per_minute"] == 2

    async def main():
        room, teacher = await with_challenge(server)
        s = await own_copy(server, room, "eager")
        for _ in range(2):
            mark = len(s.texts)
            await s.send("submit")
            await s.text("verdict", after=mark)
        await s.send("submit")
        refused = await s.text("error", lambda d: d["request"] == "submit")
        await teacher.send("wall", open=True)
        await teacher.send("wall", open=False)
        await teacher.send("wall", open=True)
        wall = await teacher.text("error", lambda d: d["request"] == "wall")
        return refused, wall

    refused, wall = run(main())
    assert (
        refused["code"] == "rate_limited" and "at most 2 submissions a minute" in refused["message"]
    )
    assert wall["code"] == "rate_limited" and "at most 1 times a minute" in wall["message"]
