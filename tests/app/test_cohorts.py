"""Cohort training in the scheduler, against real servers over real websockets (app.cohorts)."""

from __future__ import annotations

import asyncio
import re
import urllib.request

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.app.test_live_server import WAIT, next_frame, next_text, send

pytestmark = pytest.mark.timeout(180)
# Three sessions of one shape, told apart by their seeds and learning rates (a cohort may
# mix them: each member keeps its own trajectory).
EPOCHS = 40
# Each pauses at EPOCHS by itself (stop_at), so the frame of that epoch always arrives, however
# many frames a loaded machine made a slow reader miss before it (the latest one wins).
MEMBERS = [
    {"stop_at": EPOCHS},
    {"seed": 5, "learning_rate": 0.01, "stop_at": EPOCHS},
    {"seed": 9, "learning_rate": 0.1, "stop_at": EPOCHS},
]
# Slices of a second: every slice of a default network is whole epochs and no cohort is cut,
# however loaded the machine (epoch costs are measured in wall time, which load inflates).
# With 25 ms, load 26 made epochs cost more than two slices: sessions then trained in
# mini-batches and sent progress frames mid-epoch, numbered with the last whole epoch, whose
# weights differed from the other run's frame of that number.
ROOMY = {"slice_ms": 1000}
# For watching sessions join and leave, a cohort must also form whenever its members play: at
# 2 fps each member's fair share of the loop is far above what its frames cost, so none waits
# out a CPU debt and falls out of step (at 30 fps and load 26, all three trained alone).
STEADY = {**ROOMY, "fps": 2}


def gauges(server, *names: str) -> tuple[float, ...]:
    """Values of `names` from one /metrics page: one moment of the server."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=WAIT) as response:
        text = response.read().decode()
    values = []
    for name in names:
        match = re.search(rf"^playground_{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
        assert match, name
        values.append(float(match.group(1)))
    return tuple(values)


async def wait_cohorts(server, members: int, largest: int) -> None:
    """Wait (a state, not a time) until /metrics shows `members` playing sessions whose last
    slice ran in a cohort, the largest cohort of `largest`."""
    deadline = asyncio.get_running_loop().time() + 60
    seen = set()
    while (state := gauges(server, "sessions_in_cohorts", "cohort_largest")) != (
        members,
        largest,
    ):
        seen.add(state)
        assert asyncio.get_running_loop().time() < deadline, (
            f"never {members}, {largest}; saw {sorted(seen)}"
        )
        await asyncio.sleep(0.05)


async def wait_until(check, what: str) -> None:
    """Wait (a state, not a time) until check() is true."""
    deadline = asyncio.get_running_loop().time() + 60
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"never saw {what}"
        await asyncio.sleep(0.05)


async def open_session(server, config: dict) -> ClientConnection:
    ws = await connect(server.ws_url, max_size=None)
    await next_text(ws, "hello")
    if config:
        await send(ws, "configure", config)
        await next_text(ws, "config")
    return ws


async def weights_by_epoch(ws: ClientConnection, epochs: int) -> dict[int, bytes]:
    """The weights and output map of every frame received until epoch `epochs`, by epoch."""
    seen: dict[int, bytes] = {}
    while True:
        header, arrays = await next_frame(ws)
        seen[header["epoch"]] = arrays["weights"].tobytes() + arrays["output"].tobytes()
        if header["epoch"] >= epochs:
            return seen


async def play_all(server) -> list[dict[int, bytes]]:
    sockets = [await open_session(server, config) for config in MEMBERS]
    try:
        for ws in sockets:
            await send(ws, "play")
        return await asyncio.gather(*(weights_by_epoch(ws, EPOCHS) for ws in sockets))
    finally:
        for ws in sockets:
            await ws.close()


def test_cohort_members_send_the_frames_they_would_send_alone(live_server_factory):
    together = live_server_factory(**ROOMY)
    alone = live_server_factory(cohorts=0, **ROOMY)

    async def scenario():
        cohort_runs = await play_all(together)
        assert gauges(together, "cohort_slices_total") > (0,)
        assert gauges(together, "cohort_maps_total") > (0,)  # frames of maps made together
        # Every cohort step trains two members or more, every stack of maps holds two or more.
        slices, members, maps, stacks = gauges(
            together,
            "cohort_slices_total",
            "cohort_members_total",
            "cohort_maps_total",
            "map_stacks_total",
        )
        assert 2 * slices <= members <= len(MEMBERS) * slices
        assert 2 * stacks <= maps <= len(MEMBERS) * stacks
        alone_runs = await play_all(alone)
        assert gauges(alone, "cohort_slices_total", "cohort_members_total") == (0, 0)
        assert gauges(alone, "solo_slices_total") >= (len(MEMBERS) * EPOCHS,)
        for mine, theirs in zip(cohort_runs, alone_runs, strict=True):
            common = sorted(set(mine) & set(theirs) - {0})
            assert common[-1] == EPOCHS, common  # the paused frame; others as they came
            for epoch in common:
                assert mine[epoch] == theirs[epoch], f"weights or map differ at epoch {epoch}"
        # Different seeds and rates: the members really are different networks.
        assert cohort_runs[0][EPOCHS] != cohort_runs[1][EPOCHS]

    asyncio.run(scenario())


def test_sessions_join_and_leave_cohorts_on_configure_pause_and_close(live_server_factory):
    server = live_server_factory(**STEADY)

    # No stop_at here: a loaded machine may take longer than its 40 epochs between the steps
    # (a member paused at stop_at is in no cohort, and the waits below would never end).
    endless = [{k: v for k, v in m.items() if k != "stop_at"} for m in MEMBERS]

    async def scenario():
        a, b, c = [await open_session(server, config) for config in endless]
        for ws in (a, b, c):
            await send(ws, "play")
        await wait_cohorts(server, 3, 3)
        # Their metrics are measured together too, whenever two are due in one slice (how
        # often that happens in a short run depends on the machine's load: waited for here).
        await wait_until(lambda: gauges(server, "cohort_metrics_total") > (0,), "cohort metrics")
        await send(c, "configure", {"hidden": [3]})  # another shape: c trains alone
        await next_text(c, "config")
        await wait_cohorts(server, 2, 2)
        await send(c, "configure", {"hidden": [4, 2]})  # the default shape again
        await next_text(c, "config")
        await wait_cohorts(server, 3, 3)
        await send(b, "pause")
        await wait_cohorts(server, 2, 2)
        await a.close()
        await wait_cohorts(server, 0, 1)
        await send(b, "play")
        await wait_cohorts(server, 2, 2)
        for ws in (b, c):
            await ws.close()

    asyncio.run(scenario())
