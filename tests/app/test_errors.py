"""Every error path: a bad message gets an `error` naming the field, and the session goes on."""

from __future__ import annotations

import json

import pytest

from tests.app.wsclient import Closed, connect, running_app

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def ws():
    with running_app() as client, connect(client) as (c, hello):
        yield c


def still_alive(ws) -> None:
    """The session keeps answering after the error."""
    ws.send("ping", {"t": 1})
    assert ws.expect("pong") == {"t": 1}


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ("not json", None, "JSON"),
        ("[1, 2]", None, "object"),
        ('{"type": "fly"}', "type", "configure"),
        ('{"data": {}}', "type", "play"),
        ('{"type": "configure"}', "data", "data object"),
        ('{"type": "set_weight", "data": 3}', "data", "data object"),
    ],
)
def test_malformed_envelope_is_an_invalid_message_error(ws, raw, field, words):
    ws.send("", raw=raw)
    error = ws.error()
    assert error["code"] == "invalid_message"
    assert error["field"] == field
    assert words in error["message"]
    still_alive(ws)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"learning_rate": 50}, "learning_rate", "1e-06 to 10"),
        ({"activation": "cubic"}, "activation", "tanh"),
        ({"dataset": "moon"}, "dataset", "circle"),
        ({"hidden": [4] * 9}, "hidden", "0-8 layer sizes, each from 1 to 32"),
        ({"hidden": [33]}, "hidden", "each from 1 to 32"),
        ({"num_points": 5000}, "num_points", "2000"),
        ({"fps": 0}, "fps", "1 to 60"),
        ({"fps": 61}, "fps", "1 to 60"),
        ({"epochs_per_frame": 1001}, "epochs_per_frame", "1 to 1000"),
        ({"thumb_size": 30}, "thumb_size", "10, 20, 25, 50"),
        ({"grid_size": 64}, "grid_size", "100, 200"),
        ({"wings": 2}, "wings", "config field"),
        ({"features": []}, "features", "non-empty"),
    ],
)
def test_bad_configure_names_the_field_and_allowed_values_and_changes_nothing(
    ws, data, field, words
):
    ws.send("configure", data)
    error = ws.error()
    assert error["code"] == "invalid_field"
    assert error["field"] == field
    assert error["request"] == "configure"
    assert words in error["message"]
    ws.send("configure", {})
    config = ws.expect("config")["config"]
    assert config["hidden"] == [4, 2] and config["learning_rate"] == 0.03 and config["fps"] == 30


def test_a_valid_server_field_with_a_bad_engine_field_applies_neither(ws):
    ws.send("configure", {"fps": 5, "learning_rate": -1})
    assert ws.error()["field"] == "learning_rate"
    ws.send("configure", {})
    assert ws.expect("config")["config"]["fps"] == 30


@pytest.mark.parametrize(
    ("kind", "data", "field", "words"),
    [
        ("step", {"epochs": 0}, "epochs", "1 to 1000"),
        ("step", {"epochs": 1001}, "epochs", "1 to 1000"),
        ("step", {"epochs": "ten"}, "epochs", "integer"),
        ("step", {"batches": -1}, "batches", "1 to 100000"),
        ("reset", {"reseed": "yes"}, "reseed", "true or false"),
        # `layer` counts layers of neurons (0 = inputs): the default network is [2, 4, 2, 1].
        ("set_weight", {"layer": 4, "source": 0, "target": 0, "value": 1}, "layer", "1 to 3"),
        ("set_weight", {"layer": 0, "source": 0, "target": 0, "value": 1}, "layer", "1 to 3"),
        ("set_weight", {"layer": 1, "source": 2, "target": 0, "value": 1}, "source", "0 to 1"),
        ("set_weight", {"layer": 1, "source": 0, "target": 4, "value": 1}, "target", "0 to 3"),
        ("set_weight", {"layer": 2, "source": 4, "target": 0, "value": 1}, "source", "0 to 3"),
        ("set_weight", {"layer": 1, "source": 0, "target": 0, "value": "x"}, "value", "finite"),
        ("set_weight", {"layer": 1, "source": 0, "target": 0, "value": 1e9}, "value", "finite"),
        ("set_bias", {"layer": 2, "neuron": 2, "value": 0}, "neuron", "0 to 1"),
        ("set_bias", {"layer": 0, "neuron": 0, "value": 0}, "layer", "1 to 3"),
        ("select_node", {"layer": 4, "neuron": 0}, "layer", "0 to 3"),
        ("select_node", {"layer": 1, "neuron": 4}, "neuron", "0 to 3"),
        ("add_points", {"points": [[1, 2]]}, "points", "[x1, x2, label]"),
        ("add_points", {"points": [[1, 2, 9]]}, "label", "0 to 5"),
        ("add_points", {"points": "many"}, "points", "list"),
        ("remove_points", {"near": [1], "radius": 1}, "near", "[x1, x2]"),
        ("remove_points", {"near": [1, 1], "radius": 0}, "radius", "above 0"),
        ("load_csv", {"text": "x1,x2,label\n1,abc,1\n"}, "x2", "row 2"),
        ("load_csv", {"text": 5}, "text", "string"),
        ("restore", {"state": {"trainer": {"nonsense": 1}}}, "state", "exported"),
        ("restore", {"state": 7}, "state", "trainer"),
    ],
)
def test_bad_message_data_names_the_field_and_the_session_continues(ws, kind, data, field, words):
    ws.send(kind, data)
    error = ws.error()
    assert error["request"] == kind
    assert error["field"] == field
    assert words in error["message"]
    assert error["code"] in ("invalid_field", "invalid_data")
    still_alive(ws)


def test_binary_messages_are_refused_with_an_error(ws):
    ws.ws.send_bytes(b"\x00\x01")
    assert ws.error()["code"] == "invalid_message"
    still_alive(ws)


def test_restore_over_the_server_limits_is_refused():
    with running_app(max_hidden_layers=2) as client, connect(client) as (ws, _):
        ws.send("configure", {"hidden": [2, 2]})
        ws.expect("config")
        ws.send("export")
        state = ws.expect("state")["state"]
        state["trainer"]["config"]["hidden"] = [2, 2, 2]
        ws.send("restore", {"state": state})
        error = ws.error()
        assert error["field"] in ("state", "hidden")
        still_alive(ws)


def test_diverged_run_reports_status_and_sends_no_garbage_frames(ws):
    ws.send("configure", {"problem": "regression", "activation": "linear", "learning_rate": 10})
    ws.expect("config")
    ws.roundtrip()
    ws.send("play")
    status = ws.expect("status")
    while status["state"] == "playing":
        status = ws.expect("status")
    assert status["state"] == "diverged"
    assert "learning rate" in status["message"]
    for message in ws.roundtrip():
        if not isinstance(message, dict):
            header = message.header
            assert header["train_loss"] is not None
            assert all(v == v for v in message.arrays["weights"])  # no NaN
    ws.send("play")
    assert ws.expect("status")["state"] == "diverged"
    ws.send("configure", {"learning_rate": 0.01})
    ws.send("reset")
    assert ws.expect("status")["state"] == "paused"


def test_too_many_errors_close_the_socket_with_too_many_errors():
    with running_app(max_errors=3) as client, connect(client) as (ws, _):
        for _ in range(4):
            ws.send("", raw="garbage")
        with pytest.raises(Closed) as closed:
            while True:
                ws.receive()
        assert closed.value.code == 4002


def test_export_reply_is_json(ws):
    ws.send("export")
    state = ws.expect("state")["state"]
    assert json.loads(json.dumps(state)) == state
    assert state["view"]["fps"] == 30


def test_deeply_nested_json_is_an_invalid_message(ws):
    ws.send("", raw="[" * 100_000 + "]" * 100_000)
    assert ws.error()["code"] in ("invalid_message", "too_large")
    still_alive(ws)


def test_unknown_session_id_with_non_ascii_characters_gets_a_valid_close_reason():
    with running_app() as client, pytest.raises(Closed) as closed, connect(client, "ü" * 60):
        pass
    assert closed.value.code == 4000
    assert len(closed.value.reason.encode()) <= 123


def test_a_live_change_after_divergence_sends_the_cleared_status(ws):
    ws.send("configure", {"problem": "regression", "activation": "linear", "learning_rate": 10})
    ws.send("step", {"epochs": 3})
    assert ws.expect("status")["state"] in ("paused", "diverged")
    ws.roundtrip()
    ws.send("step")
    assert ws.expect("status")["state"] == "diverged"
    ws.send("configure", {"learning_rate": 0.001})
    ws.expect("config")
    assert ws.expect("status")["state"] == "paused"


def test_regenerate_on_custom_data_keeps_the_points_with_a_new_split(ws):
    ws.expect("dataset")
    ws.send("load_csv", {"text": "".join(f"{i % 5},{i // 5 - 3},{i % 2}\n" for i in range(40))})
    before = ws.expect("dataset")["points"]
    ws.send("regenerate")
    after = ws.expect("dataset")["points"]
    assert sorted(p[:3] for p in after) == sorted(p[:3] for p in before)
    assert [p[3] for p in after] != [p[3] for p in before]
