"""A compare is charged to its session: CPU to its account, memory to its estimate."""

from __future__ import annotations

from app import budget
from tests.app.wsclient import connect, running_app


def _compare_frame(ws, epoch: int):
    return ws.frame_where(lambda f: f.header["type"] == "compare" and f.header["epoch"] >= epoch)


def test_the_compare_spends_its_sessions_cpu_and_memory_and_gives_the_memory_back():
    with running_app() as client, connect(client) as (ws, hello):
        session = client.app.state.registry.sessions[hello["session"]]
        registry = client.app.state.registry
        alone = session.memory_bytes
        ws.send("compare", {"action": "start", "seeds": 4})
        assert ws.expect("compare")["state"] == "running"
        _compare_frame(ws, 2)
        spent = session.cpu.spent
        # Frames already queued may be past epoch 2: wait for epochs trained after `spent`.
        _compare_frame(ws, session.compare.epoch + 2)
        # The session's own run is paused: what it spent meanwhile is the compare's.
        assert session.playing is False
        assert session.cpu.spent > spent
        assert session.compare_bytes > 0
        assert session.memory_bytes == alone + session.compare_bytes
        assert registry.memory_bytes >= session.memory_bytes
        ws.send("compare", {"action": "stop"})
        assert ws.expect("compare")["state"] == "stopped"
        ws.roundtrip()
        assert session.compare is None and session.memory_bytes == alone


def test_a_compare_past_the_memory_budget_is_refused_and_nothing_changes():
    # Room for one default session (about 0.6 MB), not for four more runs of it.
    with running_app(memory_budget_mb=1.0) as client, connect(client) as (ws, hello):
        session = client.app.state.registry.sessions[hello["session"]]
        before = session.memory_bytes
        assert before < budget.BYTES_PER_MB
        ws.send("compare", {"action": "start", "seeds": 4})
        error = ws.expect("error")
        assert (error["code"], error["request"]) == ("over_budget", "compare")
        assert session.compare is None and session.memory_bytes == before
        ws.send("ping", {"t": 1})
        assert ws.expect("pong")["t"] == 1


def test_a_training_compare_counts_among_the_sessions_sharing_the_cpu():
    with (
        running_app() as client,
        connect(client) as (ws, hello),
        connect(client) as (other, _),
    ):
        registry = client.app.state.registry
        session = registry.sessions[hello["session"]]
        other.send("play")
        other.frame_where(lambda f: f.header["epoch"] >= 2)
        assert session.cpu.competitors() == 1  # only the other one plays
        ws.send("compare", {"action": "start", "seeds": 2})
        _compare_frame(ws, 2)
        assert session.id in registry.comparing
        assert session.cpu.competitors() == 2  # its share is half the loop now
        ws.send("compare", {"action": "stop"})
        ws.expect("compare")
        ws.roundtrip()
        other.frame_where(lambda f: True)  # the loop has run since the stop
        assert session.id not in registry.comparing
        assert session.cpu.competitors() == 1
