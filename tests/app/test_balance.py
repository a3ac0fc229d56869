"""Even load across workers (app.balance): a real two-worker server and 40 connections."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from app import balance
from tests.app.test_live_server import WAIT, next_text

pytestmark = pytest.mark.timeout(180)
CONNECTIONS = 40


def published_loads(directory: Path) -> dict[str, int]:
    """Sessions per worker, as the workers publish them (app.balance)."""
    return {p.name: int(p.read_text()) for p in directory.iterdir() if not p.name.startswith(".")}


def test_two_workers_share_40_connections_within_1_2_times(live_server_factory, tmp_path):
    server = live_server_factory(workers=2, balance_dir=tmp_path)

    async def scenario():
        sockets = []
        try:
            for _ in range(CONNECTIONS):
                ws = await connect(server.ws_url)
                await next_text(ws, "hello")  # a session on one worker before the next
                sockets.append(ws)
                # Both workers have looked at their counts since this session came (each
                # publishes and sets its gate in one step), so the next connection meets
                # gates that know of it: a state, not a time, however loaded the machine.
                while sum(published_loads(tmp_path).values()) != len(sockets):
                    await asyncio.sleep(balance.PERIOD / 5)
            while sum(published_loads(tmp_path).values()) != CONNECTIONS:
                await asyncio.sleep(balance.PERIOD)  # the last count is being written
            loads = published_loads(tmp_path)
            # The published counts are the workers' real ones: /healthz of one agrees.
            with urllib.request.urlopen(server.url + "/healthz", timeout=WAIT) as response:
                health = json.loads(response.read())
            assert loads[str(health["pid"])] == health["sessions"]
        finally:
            for ws in sockets:
                await ws.close()
        assert len(loads) == 2, loads
        assert max(loads.values()) <= 1.2 * min(loads.values()), loads

    asyncio.run(scenario())


def test_a_worker_ahead_stops_accepting_and_the_least_loaded_never_does():
    assert balance.ahead(12, [10])
    assert not balance.ahead(11, [10])
    assert not balance.ahead(10, [12])
    assert not balance.ahead(30, [])  # alone: always accepts
