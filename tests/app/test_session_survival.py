"""Solo sessions that survive their worker (app.saved_sessions): real servers, real sockets.

A session saved when its socket drops resumes on another server process sharing the
SQLite file of a data directory or a Redis, and on the same server after a restart, in
exactly its state: the engine's export (weights, optimizer, generators, epoch, a partly
run epoch) and the server's fields; training then goes on as an uninterrupted run does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app import session_state
from app.metrics import sample_values
from app.session_store import RedisSessions, SqliteSessions, key_of
from tests.app.test_live_server import WAIT, next_text, send

pytestmark = pytest.mark.timeout(180)

# Adam (moment estimates), dropout (its generator) and shuffled mini-batches (the shuffle
# generator and, after the batches below, a partly run epoch) are all in the state.
CONFIG = {
    "dataset": "xor",
    "hidden": [5, 3],
    "optimizer": "adam",
    "learning_rate": 0.01,
    "dropout": 0.2,
    "batch_size": 7,
    "noise": 10,
}


def metric(server: Any, name: str) -> float:
    with urllib.request.urlopen(server.url + "/metrics", timeout=WAIT) as response:
        return sample_values(response.read().decode()).get(f"playground_{name}", 0.0)


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    """Poll `condition` (a state, not a time) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def exported(ws: ClientConnection) -> dict[str, Any]:
    await send(ws, "export")
    return (await next_text(ws, "state"))["state"]


async def step(ws: ClientConnection, **amount: int) -> dict[str, Any]:
    """Train exactly `amount` and wait for its status."""
    await send(ws, "step", amount)
    while True:
        status = await next_text(ws, "status")
        if status["state"] == "paused":
            return status


async def prepare(ws: ClientConnection) -> str:
    """Configure, train 6 epochs and 3 mini-batches (a partly run epoch); the session id."""
    hello = await next_text(ws, "hello")
    await send(ws, "configure", CONFIG)
    await next_text(ws, "config")
    await step(ws, epochs=6)
    await step(ws, batches=3)
    return hello["session"]


async def continue_run(ws: ClientConnection) -> dict[str, Any]:
    """What every run here does after the interruption: 4 epochs, then its export."""
    await step(ws, epochs=4)
    return await exported(ws)


async def uninterrupted(server: Any) -> dict[str, Any]:
    """The same messages on one socket that never leaves: the reference trajectory."""
    async with connect(server.ws_url) as ws:
        await prepare(ws)
        return await continue_run(ws)


def same_run(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal engine state, field by field (the first difference is named)."""
    ta, tb = a["trainer"], b["trainer"]
    for field in ("epoch", "cursor", "params", "optimizer", "rng", "history", "epoch_order"):
        assert ta[field] == tb[field], field
    assert ta == tb and a["view"] == b["view"]


async def resume(url: str, session: str) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(f"{url}?session={session}")
    hello = await next_text(ws, "hello")
    assert hello["resumed"] is True
    return ws, hello


def test_a_restart_keeps_a_detached_session_and_it_trains_on_bit_for_bit(
    live_server_factory, tmp_path
):
    server = live_server_factory(data_dir=tmp_path)

    async def before_restart() -> tuple[str, dict[str, Any]]:
        async with connect(server.ws_url) as ws:
            session = await prepare(ws)
            return session, await exported(ws)

    session, state = asyncio.run(before_restart())
    wait_for(lambda: metric(server, "sessions_saved_total") >= 1, "the save on disconnect")
    server.stop()
    server.start()  # a new process: nothing of the session is in its memory

    async def after_restart() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        ws, hello = await resume(server.ws_url, session)
        async with ws:
            assert hello["status"]["epoch"] == 6 and hello["config"]["hidden"] == [5, 3]
            again = await exported(ws)
            return again, await continue_run(ws), await uninterrupted(server)

    again, continued, reference = asyncio.run(after_restart())
    same_run(again, state)
    same_run(continued, reference)
    assert continued["trainer"]["epoch"] == 10
    assert metric(server, "sessions_loaded_total") == 1


@pytest.fixture(params=["sqlite", "redis"])
def two_servers(request, live_server_factory, tmp_path):
    """Start two server processes sharing one store: a data directory's SQLite file, or
    Redis (each server then has a data directory of its own)."""
    if request.param == "sqlite":
        shared = [{"data_dir": tmp_path}, {"data_dir": tmp_path}]
    else:
        url = request.getfixturevalue("redis_server").url
        shared = [{"redis_url": url, "data_dir": tmp_path / d} for d in ("a", "b")]
    return lambda **settings: [live_server_factory(**s, **settings) for s in shared]


def test_a_session_moves_between_two_servers_and_back_exactly(two_servers):
    # Saved while attached too: each reconnect below goes at once to the other server, whose
    # claim waits for the final save of the socket that just left (the handover).
    one, two = two_servers(session_save_seconds=0.3)

    async def on_one() -> tuple[str, dict[str, Any]]:
        async with connect(one.ws_url) as ws:
            session = await prepare(ws)
            return session, await exported(ws)

    session, state = asyncio.run(on_one())

    async def on_two() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        ws, _ = await resume(two.ws_url, session)
        async with ws:
            again = await exported(ws)
            return again, await continue_run(ws), await uninterrupted(two)

    again, continued, reference = asyncio.run(on_two())
    same_run(again, state)
    same_run(continued, reference)

    async def back_on_one() -> dict[str, Any]:
        # The first server still holds its own, older copy: the stored one wins.
        ws, hello = await resume(one.ws_url, session)
        async with ws:
            assert hello["status"]["epoch"] == 10
            return await exported(ws)

    same_run(asyncio.run(back_on_one()), continued)
    assert metric(one, "sessions_loaded_total") == 1


def test_the_older_socket_is_replaced_when_its_session_opens_on_another_server(two_servers):
    one, two = two_servers(session_save_seconds=0.3)

    async def scenario() -> None:
        async with connect(one.ws_url) as first:
            session = (await next_text(first, "hello"))["session"]
            await send(first, "play")
            # Saved while it plays (at most every session_save_seconds, since it changes).
            await asyncio.to_thread(
                wait_for, lambda: metric(one, "sessions_saved_total") >= 1, "a save while playing"
            )
            ws, hello = await resume(two.ws_url, session)
            async with ws:
                assert hello["status"]["epoch"] > 0
                # The first server learns at its next save and lets go of its copy.
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(first.recv(), WAIT)
                assert closed.value.rcvd.code == 4003
                await send(ws, "ping", {"t": 1})
                assert (await next_text(ws, "pong"))["t"] == 1

    asyncio.run(scenario())


def test_an_expired_session_resumes_nowhere(live_server_factory, tmp_path):
    settings = {"data_dir": tmp_path, "grace_seconds": 1.0}
    one, two = live_server_factory(**settings), live_server_factory(**settings)
    store = SqliteSessions(tmp_path / "sessions.sqlite3", 1.0, 10, 10)

    async def detach() -> str:
        async with connect(one.ws_url) as ws:
            return (await next_text(ws, "hello"))["session"]

    session = asyncio.run(detach())
    wait_for(lambda: metric(one, "sessions_saved_total") >= 1, "the save on disconnect")
    wait_for(lambda: store.count() == 0, "the stored copy to expire")

    async def gone() -> None:
        async with connect(f"{two.ws_url}?session={session}") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd.code == 4000

    asyncio.run(gone())
    store.close()


def test_the_session_id_never_reaches_the_logs(live_server_factory, tmp_path):
    server = live_server_factory(data_dir=tmp_path, log_level="debug")

    async def scenario() -> str:
        async with connect(server.ws_url) as ws:
            session = await prepare(ws)
        ws, _ = await resume(server.ws_url, session)
        await ws.close()
        return session

    session = asyncio.run(scenario())
    wait_for(lambda: metric(server, "sessions_saved_total") >= 2, "both saves")
    assert "session=…" in server.log() and session not in server.log()
    # Nor the store: it keys sessions by a hash of the id (the WAL file included).
    for path in tmp_path.glob("sessions.sqlite3*"):
        assert session.encode() not in path.read_bytes()


def stored_epoch(path, session: str) -> tuple[int, int] | None:
    """(epoch, cursor) of the session as the SQLite store holds it, read without claiming."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute("SELECT state FROM sessions WHERE key = ?", (key_of(session),)).fetchone()
    if row is None:
        return None
    trainer = session_state.decode(row[0], 1 << 26)["trainer"]
    return trainer["epoch"], trainer["cursor"]


def test_a_crashed_server_resumes_a_session_from_its_last_save_while_attached(
    live_server_factory, tmp_path
):
    server = live_server_factory(data_dir=tmp_path, session_save_seconds=0.3)
    path = tmp_path / "sessions.sqlite3"

    async def play_then_crash() -> tuple[str, dict[str, Any]]:
        ws = await connect(server.ws_url)
        session = await prepare(ws)
        state = await exported(ws)
        position = state["trainer"]["epoch"], state["trainer"]["cursor"]
        assert position == (6, 21)  # 3 batches of 7 into epoch 7
        # Saved while its socket is still open (the session changed since the last save).
        await asyncio.to_thread(
            wait_for, lambda: stored_epoch(path, session) == position, "the periodic save"
        )
        server.kill()  # no shutdown code runs, the socket never says goodbye
        return session, state

    session, state = asyncio.run(play_then_crash())
    server.start()

    async def after_crash() -> dict[str, Any]:
        ws, _ = await resume(server.ws_url, session)
        async with ws:
            return await exported(ws)

    same_run(asyncio.run(after_crash()), state)


def test_a_redis_outage_leaves_sessions_in_memory_and_saving_resumes_with_redis(
    live_server_factory, redis_server, tmp_path
):
    server = live_server_factory(redis_url=redis_server.url, data_dir=tmp_path)

    async def first() -> tuple[str, dict[str, Any]]:
        async with connect(server.ws_url) as ws:
            session = await prepare(ws)
            return session, await exported(ws)

    session, state = asyncio.run(first())
    saved = metric(server, "sessions_saved_total")
    redis_server.stop()

    async def during_outage() -> None:
        # The claim fails: the worker that holds the session resumes it from memory.
        ws, _ = await resume(server.ws_url, session)
        async with ws:
            same_run(await exported(ws), state)
            await step(ws, epochs=1)

    asyncio.run(during_outage())
    wait_for(lambda: metric(server, "session_store_failures_total") >= 2, "the failed save")
    redis_server.start()

    async def after_outage() -> None:
        ws, _ = await resume(server.ws_url, session)
        await ws.close()

    asyncio.run(after_outage())
    wait_for(lambda: metric(server, "sessions_saved_total") > saved, "a save into Redis again")
    store = RedisSessions(redis_server.url, 60, 10, 10)
    try:  # what Redis holds now is the session as it went on during the outage
        stored = session_state.decode(store.claim(session, "test", False), 1 << 26)
        assert stored["trainer"]["epoch"] == 7
    finally:
        store.close()
