"""Every limit, with small configured values: size, rate, points, sessions, grace period."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.app.wsclient import Closed, connect, running_app

pytestmark = pytest.mark.timeout(60)


def test_message_over_the_size_limit_gets_too_large_and_the_session_continues():
    with running_app(max_message_bytes=1000) as client, connect(client) as (ws, _):
        ws.send("", raw=json.dumps({"type": "ping", "data": {"t": "x" * 1000}}))
        error = ws.error()
        assert error["code"] == "too_large"
        assert "1000 bytes" in error["message"]
        ws.send("ping", {"t": "small"})
        assert ws.expect("pong") == {"t": "small"}


def test_messages_beyond_the_rate_are_refused_with_rate_limited():
    app = running_app(messages_per_second=0.01, message_burst=3)
    with app as client, connect(client) as (ws, _):
        for t in range(4):
            ws.send("ping", {"t": t})
        answers = []
        while len(answers) < 4:
            message = ws.receive()
            if isinstance(message, dict) and message["type"] in ("pong", "error"):
                answers.append(message)
        assert [m["type"] for m in answers] == ["pong", "pong", "pong", "error"]
        assert answers[3]["data"]["code"] == "rate_limited"


def test_points_beyond_the_limit_are_refused():
    with running_app(max_points=510) as client, connect(client) as (ws, _):
        ws.expect("dataset")  # 500 generated points
        ws.send("add_points", {"points": [[0, 0, 1]] * 11})
        error = ws.error()
        assert error["field"] == "points" and "10" in error["message"]
        ws.send("add_points", {"points": [[0, 0, 1]] * 10})
        assert len(ws.expect("dataset")["points"]) == 510


def test_csv_beyond_the_points_limit_is_refused():
    with running_app(max_points=3) as client, connect(client) as (ws, _):
        ws.send("load_csv", {"text": "1,1,1\n2,2,0\n3,3,1\n4,4,0\n"})
        error = ws.error()
        assert error["code"] == "invalid_data" and "3" in error["message"]


def test_narrower_network_limits_are_published_and_enforced():
    with running_app(max_hidden_layers=2, max_neurons=3) as client:
        with connect(client) as (ws, hello):
            assert hello["options"]["hidden"]["max_layers"] == 2
            assert hello["options"]["hidden"]["max"] == 3
            ws.send("configure", {"hidden": [3, 3, 3]})
            assert ws.error()["message"].startswith("hidden: must be a list of 0-2 layer sizes")
            ws.send("configure", {"hidden": [4]})
            assert "each from 1 to 3" in ws.error()["message"]
        options = client.get("/api/options").json()["options"]
        assert options["hidden"]["max"] == 3


def test_sessions_beyond_the_limit_are_closed_with_server_full_and_a_reason():
    with running_app(max_sessions=1) as client, connect(client):
        with pytest.raises(Closed) as closed, connect(client):
            pass
        assert closed.value.code == 4001
        assert "limit of 1 sessions" in closed.value.reason


def test_resume_within_grace_gets_the_same_epoch_weights_data_and_config():
    with running_app() as client:
        with connect(client) as (ws, hello):
            ws.send("configure", {"hidden": [3], "learning_rate": 0.1, "fps": 12})
            ws.expect("config")
            ws.send("add_points", {"points": [[1.5, 1.5, 1]]})
            dataset = ws.expect("dataset")
            ws.send("step", {"epochs": 6})
            before = ws.frame_where(lambda f: f.header["epoch"] == 6)
        with connect(client, hello["session"]) as (ws, again):
            assert again["resumed"] is True
            assert again["session"] == hello["session"]
            assert again["config"]["hidden"] == [3]
            assert again["config"]["learning_rate"] == 0.1
            assert again["config"]["fps"] == 12
            assert ws.expect("dataset") == dataset
            frame = ws.frame()
            assert frame.header["epoch"] == 6
            np.testing.assert_array_equal(frame.arrays["weights"], before.arrays["weights"])


def test_a_playing_session_resumes_playing_from_where_it_stopped():
    with running_app() as client:
        with connect(client) as (ws, hello):
            ws.send("play")
            ws.frame_where(lambda f: f.header["epoch"] >= 3)
        detached = client.app.state.registry.sessions[hello["session"]]
        stopped = detached.trainer.epoch
        with connect(client) as (other, _):  # the loop keeps serving others meanwhile
            other.send("play")
            other.frame_where(lambda f: f.header["epoch"] >= 5)
        assert detached.trainer.epoch == stopped  # nothing trains while nobody watches
        with connect(client, hello["session"]) as (ws, again):
            assert again["status"]["state"] == "playing"
            assert again["status"]["epoch"] == stopped
            ws.frame_where(lambda f: f.header["epoch"] > stopped)


def test_session_is_freed_after_the_grace_period():
    with running_app(grace_seconds=120) as client:
        registry = client.app.state.registry
        now = [1000.0]
        registry.clock = lambda: now[0]
        with connect(client) as (ws, hello):
            pass
        now[0] += 119
        with connect(client, hello["session"]) as (ws, again):
            assert again["resumed"] is True
        now[0] += 121
        with pytest.raises(Closed) as closed, connect(client, hello["session"]):
            pass
        assert closed.value.code == 4000
        assert hello["session"] not in registry.sessions


def test_unknown_session_is_closed_with_session_unknown():
    with running_app() as client, pytest.raises(Closed) as closed, connect(client, "nope"):
        pass
    assert closed.value.code == 4000
    assert "unknown or expired" in closed.value.reason


def test_opening_a_session_twice_closes_the_first_socket_as_replaced():
    with running_app() as client, connect(client) as (first, hello):
        with connect(client, hello["session"]) as (second, _), pytest.raises(Closed) as closed:
            while True:
                first.receive()
        assert closed.value.code == 4003
        with connect(client, hello["session"]) as (third, again):
            third.send("ping", {"t": 2})
            assert third.expect("pong") == {"t": 2}


def test_detached_sessions_count_towards_the_limit_until_they_expire():
    with running_app(max_sessions=1, grace_seconds=10) as client:
        registry = client.app.state.registry
        now = [0.0]
        registry.clock = lambda: now[0]
        with connect(client):
            pass
        with pytest.raises(Closed) as closed, connect(client):
            pass
        assert closed.value.code == 4001
        now[0] += 11
        with connect(client) as (ws, hello):
            assert hello["resumed"] is False


def test_a_default_dataset_size_over_the_points_limit_is_refused():
    with running_app(max_points=1000) as client, connect(client) as (ws, _):
        ws.send("configure", {"problem": "regression"})  # 1200 points by default
        error = ws.error()
        assert error["field"] == "num_points" and "at most 1000" in error["message"]
        ws.send("configure", {"problem": "regression", "num_points": 1000})
        assert len(ws.expect("dataset")["points"]) == 1000


def test_an_expired_playing_session_leaves_the_scheduler_too():
    with running_app(grace_seconds=10) as client:
        registry, scheduler = client.app.state.registry, client.app.state.scheduler
        now = [0.0]
        registry.clock = lambda: now[0]
        with connect(client) as (ws, hello):
            ws.send("play")
            ws.frame_where(lambda f: f.header["epoch"] >= 2)
        assert hello["session"] in scheduler.active
        now[0] += 11
        assert registry.expire() == 1
        scheduler.runnable()
        assert hello["session"] not in scheduler.active
