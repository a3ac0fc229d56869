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
# Slices long enough that three default networks always fit in one, however loaded the
# machine is (a cohort is cut by its members' measured epoch costs).
ROOMY = {"slice_ms": 25}


def gauge(server, name: str) -> float:
    with urllib.request.urlopen(server.url + "/metrics", timeout=WAIT) as response:
        text = response.read().decode()
    match = re.search(rf"^playground_{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


async def wait_cohorts(server, members: int, largest: int) -> None:
    """Wait (a state, not a time) until /metrics shows `members` playing sessions whose last
    slice ran in a cohort, the largest cohort of `largest`."""
    deadline = asyncio.get_running_loop().time() + 60
    while (gauge(server, "sessions_in_cohorts"), gauge(server, "cohort_largest")) != (
        members,
        largest,
    ):
        assert asyncio.get_running_loop().time() < deadline, f"never {members}, {largest}"
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
        assert gauge(together, "cohort_slices_total") > 0
        assert gauge(together, "cohort_maps_total") > 0  # frames of maps made together
        alone_runs = await play_all(alone)
        assert gauge(alone, "cohort_slices_total") == 0
        for mine, theirs in zip(cohort_runs, alone_runs, strict=True):
            common = sorted(set(mine) & set(theirs) - {0})
            assert common[-1] == EPOCHS, common  # the paused frame; others as they came
            for epoch in common:
                assert mine[epoch] == theirs[epoch], f"weights or map differ at epoch {epoch}"
        # Different seeds and rates: the members really are different networks.
        assert cohort_runs[0][EPOCHS] != cohort_runs[1][EPOCHS]

    asyncio.run(scenario())


def test_sessions_join_and_leave_cohorts_on_configure_pause_and_close(live_server_factory):
    server = live_server_factory(**ROOMY)

    # No stop_at here: a loaded machine may take longer than its 40 epochs between the steps
    # (a member paused at stop_at is in no cohort, and the waits below would never end).
    endless = [{k: v for k, v in m.items() if k != "stop_at"} for m in MEMBERS]

    async def scenario():
        a, b, c = [await open_session(server, config) for config in endless]
        for ws in (a, b, c):
            await send(ws, "play")
        await wait_cohorts(server, 3, 3)
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
